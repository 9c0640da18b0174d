"""``renderer='nmr'`` in the SoftRas compat layer (not part of SoftRas): the NMR renderer
(docs/METHOD.md section 9) behind ``SoftRenderer``, ``SoftRasterizer`` and ``Renderer``."""

import pytest
import torch

import softrecon.compat.softras as sr
from softrecon.renderer import NmrSettings


def _triangle():
    vertices = torch.tensor([[[-0.5, -0.5, 0.0], [-0.5, 0.6, 0.0], [0.6, -0.5, 0.0]]], requires_grad=True)
    return vertices, torch.tensor([[[0, 1, 2]]], dtype=torch.int32)


@pytest.mark.parametrize("name", ["softras", "nmr"])
def test_soft_renderer_with_either_renderer_has_geometry_gradients(name):
    vertices, faces = _triangle()
    renderer = sr.SoftRenderer(image_size=16, camera_mode="look_at", renderer=name, sigma_val=1e-4)
    assert isinstance(renderer.rasterizer.native_settings(), NmrSettings) == (name == "nmr")
    images = renderer(vertices, faces)
    if name == "nmr":
        assert set(images[:, 3].unique().tolist()) <= {0.0, 1.0}  # hard silhouette
    images[:, 3, 4:12, 4:12].sum().backward()
    assert vertices.grad.abs().sum() > 0


def test_hard_renderer_with_nmr_has_geometry_gradients_and_bad_names_are_refused():
    vertices, faces = _triangle()
    hard = sr.Renderer(image_size=16, camera_mode="look_at", anti_aliasing=False, renderer="nmr")
    hard(sr.Mesh(vertices, faces))[:, 3, 4:12, 4:12].sum().backward()
    assert vertices.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="renderer"):
        sr.SoftRasterizer(renderer="kato")
    with pytest.raises(ValueError, match="renderer"):
        sr.functional.soft_rasterize(vertices.detach()[:, None].expand(1, 1, 3, 3), None, renderer="kato")
