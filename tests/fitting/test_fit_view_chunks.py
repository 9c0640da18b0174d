"""The hard target renders of fit_mesh, done a few views at a time for big meshes
(memory), equal one call with every view."""

import torch

from softrecon.fitting import shape as shape_module
from softrecon.fitting.shape import hard_color_images, hard_silhouettes
from softrecon.fitting.views import orbit_views
from softrecon.geometry import icosphere


def test_view_chunks_give_the_same_images(monkeypatch):
    vertices, faces = icosphere(2)
    vertices = vertices * torch.tensor([0.45, 0.3, 0.2])
    colors = (vertices - vertices.min(0).values) / (vertices.max(0).values - vertices.min(0).values)
    views = orbit_views(6, [30.0, -30.0])
    silhouettes, images = (
        hard_silhouettes(vertices, faces, views, 16),
        hard_color_images(vertices, faces, colors, views, 16),
    )
    monkeypatch.setattr(shape_module, "FACE_VIEWS_PER_CALL", len(faces) * 4)  # chunks of 4 and 2 views
    assert torch.equal(hard_silhouettes(vertices, faces, views, 16), silhouettes) and silhouettes.any()
    assert torch.equal(hard_color_images(vertices, faces, colors, views, 16), images)
