"""The compiled NMR renderer (csrc/*/nmr_*) against the dense reference
(softrecon/renderer/nmr/reference.py), forward and backward, float64: the CPU kernel,
the CUDA kernels emulated on the host, random scenes and the hand-worked golden cases
(docs/METHOD.md section 9, docs/KERNELS.md "The NMR renderer")."""

from __future__ import annotations

import pytest
import torch
from scene_factories import random_scene
from test_nmr_reference import GOLDEN_FACE

from softrecon.renderer import NmrSettings, soft_rasterize
from softrecon.renderer.nmr import _kernels as nmr_kernels
from softrecon.renderer.nmr.reference import nmr_backward_reference, nmr_forward_reference

pytestmark = pytest.mark.skipif(not nmr_kernels.nmr_available("cpu"), reason="softrecon._C has no NMR op")

BACKENDS = ["cpu", "cuda_emulated"]


def _scene(seed, colors, num_faces=14, size=(11, 9)):
    generator = torch.Generator().manual_seed(seed)
    fv, fc = random_scene(2, num_faces, generator, num_channels=3)
    if colors == "none":
        fc = None
    elif colors == "texture":
        fc = torch.rand(2, num_faces, 4, 3, generator=generator, dtype=torch.float64)
    grad = torch.randn(2, 4 if fc is not None else 1, *size, generator=generator, dtype=torch.float64)
    return fv, fc, grad


def _compare(fv, fc, grad, settings, backend):
    emulate = backend == "cuda_emulated"
    image, maps = nmr_kernels.forward_maps(fv, fc, settings, emulate_cuda=emulate)
    ref_image, ref_maps = nmr_forward_reference(fv, fc, settings)
    torch.testing.assert_close(image, ref_image, rtol=1e-12, atol=1e-12)
    for got, expected in zip(maps, ref_maps):
        torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    vertices = fv.clone().requires_grad_(True)
    colors = None if fc is None else fc.clone().requires_grad_(True)
    nmr_kernels.nmr_kernel(vertices, colors, settings, emulate_cuda=emulate).backward(grad)
    ref_v, ref_c = nmr_backward_reference(fv, fc, settings, ref_image, ref_maps, grad)
    assert ref_v.abs().sum() > 0  # the scene exercises the gradient
    torch.testing.assert_close(vertices.grad, ref_v, rtol=1e-9, atol=1e-9)
    if fc is not None:
        torch.testing.assert_close(colors.grad, ref_c, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("colors", ["none", "vertex", "texture"])
@pytest.mark.parametrize("double_sided", [False, True])
def test_kernels_match_the_reference_on_random_scenes(backend, colors, double_sided):
    for seed in range(3):
        fv, fc, grad = _scene(seed, colors)
        settings = NmrSettings(image_size=(11, 9), near=1.0, far=3.0, double_sided=double_sided, background=(0.1,))
        _compare(fv, fc, grad, settings, backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_kernels_match_the_reference_on_the_golden_cases(backend):
    face = torch.tensor(GOLDEN_FACE, dtype=torch.float64)[None, None]
    back = torch.tensor([[-3.0, -3.0, 5.0], [-3.0, 9.0, 5.0], [9.0, -3.0, 5.0]], dtype=torch.float64)[None, None]
    settings = NmrSettings(image_size=4, background=(0.0,))
    for pixel, value in (((1, 2), -1.0), ((2, 1), 1.0)):
        grad = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
        grad[0, 0, pixel[0], pixel[1]] = value
        _compare(face, None, grad, settings, backend)
    fv = torch.cat([face, back], dim=1)
    fc = torch.tensor([1.0, 0.5], dtype=torch.float64)[None, :, None, None].expand(1, 2, 3, 1).contiguous()
    grad = torch.zeros(1, 2, 4, 4, dtype=torch.float64)
    grad[0, 0, 1, 2] = -1.0
    _compare(fv, fc, grad, settings, backend)
    vertices = fv.clone().requires_grad_(True)
    nmr_kernels.nmr_kernel(vertices, fc, settings, emulate_cuda=backend == "cuda_emulated").backward(grad)
    expected = torch.tensor([[0, 0, 0], [-75 / 88, -35 / 88, 0], [-35 / 88, -75 / 88, 0]], dtype=torch.float64)
    torch.testing.assert_close(vertices.grad[0, 0], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend", ["reference", *BACKENDS])
def test_a_face_whose_corners_and_edges_lie_on_pixel_centres_covers_them(backend):
    """Coverage is closed: the bounding-box half of the test (docs/METHOD.md section 9.1)
    keeps the centres on its border. Corners (-0.25, -0.25), (-0.25, 0.75), (0.75, -0.25)
    of a 4 x 4 image: three corners, two edge midpoints and the hypotenuse's centre
    (0.25, 0.25) are pixel centres, and every barycentric there is exact."""
    face = torch.tensor([[-0.25, -0.25, 2.0], [-0.25, 0.75, 2.0], [0.75, -0.25, 2.0]], dtype=torch.float64)
    settings = NmrSettings(image_size=4)
    if backend == "reference":
        image, _ = nmr_forward_reference(face[None, None], None, settings)
    else:
        image, _ = nmr_kernels.forward_maps(face[None, None], None, settings, emulate_cuda=backend == "cuda_emulated")
    expected = torch.zeros(4, 4, dtype=torch.float64)
    for row, col in ((0, 1), (1, 1), (2, 1), (1, 2), (2, 2), (2, 3)):
        expected[row, col] = 1.0
    torch.testing.assert_close(image[0, -1], expected, rtol=0, atol=0)


def test_cpu_and_emulated_cuda_agree_bit_for_bit_and_float32_is_close():
    fv, fc, grad = _scene(7, "vertex", num_faces=20)
    settings = NmrSettings(image_size=(11, 9), far=3.0, background=(0.1,))
    results = []
    for emulate in (False, True):
        v, c = fv.clone().requires_grad_(True), fc.clone().requires_grad_(True)
        image = nmr_kernels.nmr_kernel(v, c, settings, emulate_cuda=emulate)
        image.backward(grad)
        results.append((image.detach(), v.grad, c.grad))
    for a, b in zip(*results):
        assert torch.equal(a, b)
    v32 = fv.float().requires_grad_(True)
    image32 = nmr_kernels.nmr_kernel(v32, fc.float(), settings)
    image32.backward(grad.float())
    assert (image32.detach().double() - results[0][0]).abs().max() < 1e-5
    assert torch.allclose(v32.grad.double(), results[0][1], rtol=1e-4, atol=1e-4)


def test_soft_rasterize_auto_runs_the_kernel_and_ops_name_bad_arguments(monkeypatch):
    fv, fc, grad = _scene(1, "vertex")
    settings = NmrSettings(image_size=(11, 9), far=3.0)
    calls = []
    original = nmr_kernels.nmr_kernel
    monkeypatch.setattr(nmr_kernels, "nmr_kernel", lambda *a, **k: calls.append(k) or original(*a, **k))
    auto = soft_rasterize(fv, fc, settings)
    assert calls == [{"emulate_cuda": False}]
    torch.testing.assert_close(auto, soft_rasterize(fv, fc, settings, backend="reference"), rtol=0, atol=0)
    ext = nmr_kernels.soft_kernels._extension()
    params = nmr_kernels._params(settings, False)
    image, a, c, d = ext.nmr_forward(params, fv, fc, torch.zeros(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="grad_image"):
        ext.nmr_backward(params, fv, fc, image, a, c, d, grad[:, :2])
    with pytest.raises(ValueError, match="background"):
        ext.nmr_forward(params, fv, fc, torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="alpha_face"):
        ext.nmr_backward(params, fv, fc, image, a.int(), c, d, grad)
