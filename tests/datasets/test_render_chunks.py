"""The chunked dataset renderer (views and faces in chunks, to bound memory)
gives bit-identical images to rendering all 24 views at once in float64."""

import numpy as np
import pytest
import torch

from softrecon.dataset_builders import render as render_module
from softrecon.dataset_builders.primitives import box
from softrecon.dataset_builders.render import DEFAULT_LIGHTING, NEUTRAL_GREY, render_benchmark_views
from softrecon.geometry import icosphere
from softrecon.renderer import RasterSettings, soft_rasterize
from softrecon.renderer.cameras import benchmark_camera


def _all_views_at_once(vertices, faces, face_colors, image_size, lighting):
    """The renderer before chunking (commit f176bc0), verbatim in its arithmetic: the oracle."""
    vertices = torch.as_tensor(vertices).double()
    faces = torch.as_tensor(faces).long()
    num_faces = len(faces)
    if face_colors is None:
        colors = torch.full((num_faces, 3, 3), NEUTRAL_GREY, dtype=torch.float64)
    else:
        colors = torch.as_tensor(face_colors).double()
        if colors.shape == (num_faces, 3):
            colors = colors[:, None, :].expand(num_faces, 3, 3)
    views = torch.arange(24)
    camera = benchmark_camera(views, dtype=torch.float64)
    screen = camera.project(vertices[None].expand(24, -1, -1))
    face_vertices = screen[:, faces]
    colors = colors[None].expand(24, -1, -1, -1)
    if lighting is not None:
        tri = vertices[faces]
        normals = torch.linalg.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        normals = normals / normals.norm(dim=1, keepdim=True).clamp(min=torch.finfo(normals.dtype).tiny)
        to_eye = camera.eye[:, None, :] - tri.mean(dim=1)[None]
        facing = torch.where((to_eye * normals[None]).sum(-1, keepdim=True) < 0, -1.0, 1.0).to(normals)
        light = lighting.light(normals[None] * facing, 3)
        colors = (colors * light[:, :, None, :]).clamp(0.0, 1.0)
    settings = RasterSettings(image_size=int(image_size), **render_module._HARD)
    with torch.no_grad():
        image = soft_rasterize(face_vertices.float(), colors.float().contiguous(), settings)
    return np.rint(image.clamp(0.0, 1.0).numpy() * 255).astype(np.uint8)


def _meshes():
    sphere_v, sphere_f = icosphere(2, dtype=torch.float64)
    rng = np.random.default_rng(0)
    box_v, box_f = box((0.1, -0.1, 0.05), (0.5, 0.3, 0.7))
    yield "sphere grey", sphere_v.numpy() * 0.45, sphere_f.numpy(), None
    yield "sphere per-face colours", sphere_v.numpy() * 0.45, sphere_f.numpy(), rng.random((len(sphere_f), 3))
    yield "box per-corner colours", box_v, box_f, rng.random((len(box_f), 3, 3))


@pytest.mark.parametrize("lighting", [DEFAULT_LIGHTING, None], ids=["lit", "unlit"])
@pytest.mark.parametrize(
    "chunks", [(1 << 20, 1 << 18), (1, 50), (5 * 320, 100)], ids=["default", "1 view, 50 faces", "5 views"]
)
def test_chunked_rendering_is_bit_identical_to_all_views_at_once(monkeypatch, lighting, chunks):
    monkeypatch.setattr(render_module, "FACE_VIEWS_PER_CHUNK", chunks[0])
    monkeypatch.setattr(render_module, "FACES_PER_CHUNK", chunks[1])
    for name, vertices, faces, colors in _meshes():
        got = render_benchmark_views(vertices, faces, colors, 16, lighting=lighting)
        assert np.array_equal(got, _all_views_at_once(vertices, faces, colors, 16, lighting)), name
        assert got[:, 3].any(), name
