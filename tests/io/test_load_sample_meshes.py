"""The sample meshes shipped in softrecon/assets/meshes load and normalize."""

import pathlib

import pytest
import torch

from softrecon.io import load_mesh, normalize_to_unit_box, unit_box_transform

MESHES = pathlib.Path(__file__).resolve().parents[2] / "softrecon" / "assets" / "meshes"


@pytest.mark.parametrize(
    "name, num_faces, colored",
    [("cow/cow.obj", 5856, True), ("airplane.ply", 2452, False)],
)
def test_sample_meshes_load_and_normalize(name, num_faces, colored):
    mesh = load_mesh(MESHES / name)
    assert mesh.num_faces == num_faces and (mesh.colors is not None) == colored
    vertices = normalize_to_unit_box(mesh.vertices)
    extent = vertices.amax(1) - vertices.amin(1)
    torch.testing.assert_close(extent.max(), torch.tensor(1.0))
    torch.testing.assert_close(vertices.amax(1) + vertices.amin(1), torch.zeros(1, 3), atol=1e-6, rtol=0)
    if colored:
        # Spot the cow is mostly white with black patches: a spread of texture colours.
        assert 0.0 <= mesh.colors.min() and mesh.colors.max() <= 1.0 and mesh.colors.std() > 0.1


def test_normalize_batched_and_errors():
    vertices = torch.tensor([[[0.0, 0, 0], [4, 2, 1]], [[1.0, 1, 1], [1, 1, 3]]])
    out = normalize_to_unit_box(vertices)
    torch.testing.assert_close(out[0], torch.tensor([[-0.5, -0.25, -0.125], [0.5, 0.25, 0.125]]))
    torch.testing.assert_close(out[1], torch.tensor([[0.0, 0, -0.5], [0, 0, 0.5]]))
    centre, scale = unit_box_transform(vertices[0])
    torch.testing.assert_close(centre, torch.tensor([[2.0, 1, 0.5]]))
    torch.testing.assert_close(scale, torch.tensor([[0.25]]))
    with pytest.raises(ValueError, match="same point"):
        normalize_to_unit_box(torch.ones(1, 3, 3))
    with pytest.raises(ValueError, match="vertices must be"):
        normalize_to_unit_box(torch.ones(3))


def test_cow_texture_baked_per_face():
    """Spot's UV texture baked into 2 x 2 texels per face: texture mode, colours in [0, 1]
    and close on average to the per-vertex colours sampled from the same texture."""
    textured = load_mesh(MESHES / "cow" / "cow.obj", texture_resolution=2)
    assert textured.color_mode == "texture" and textured.colors.shape == (1, 5856, 4, 3)
    assert 0.0 <= textured.colors.min() and textured.colors.max() <= 1.0
    per_vertex = load_mesh(MESHES / "cow" / "cow.obj").face_colors()  # (1, F, 3, 3)
    assert (textured.colors.mean(2) - per_vertex.mean(2)).abs().mean() < 0.05
