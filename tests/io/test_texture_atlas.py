"""save_textured_obj: OBJ + MTL + PNG atlas that load_mesh reads back texel for texel."""

import os

import pytest
import torch

from softrecon.geometry import icosphere
from softrecon.io import load_mesh, save_textured_obj


@pytest.mark.parametrize("resolution", [1, 3, 5])
def test_round_trip_is_exact_to_8_bits(tmp_path, resolution):
    vertices, faces = icosphere(1)
    textures = torch.rand(
        faces.shape[0], resolution**2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(resolution)
    )
    path = tmp_path / "ball.obj"
    save_textured_obj(path, vertices, faces, textures)
    assert sorted(os.listdir(tmp_path)) == ["ball.mtl", "ball.obj", "ball_texture.png"]
    mesh = load_mesh(path, dtype=torch.float64, texture_resolution=resolution)
    assert mesh.color_mode == "texture" and mesh.texture_resolution == resolution
    assert torch.equal(mesh.faces[0], faces.long())
    assert torch.allclose(mesh.vertices[0], vertices.double(), rtol=0, atol=1e-6)
    quantized = (textures * 255).round() / 255
    assert torch.allclose(mesh.colors[0], quantized, rtol=0, atol=1e-12)


def test_atlas_is_a_grid_of_one_cell_per_face(tmp_path):
    import imageio.v3 as iio

    vertices, faces = icosphere(0)  # 20 faces -> 5 x 4 cells
    textures = torch.full((faces.shape[0], 4, 3), 0.5, dtype=torch.float64)
    save_textured_obj(tmp_path / "t.obj", vertices, faces, textures, texel_pixels=3)
    atlas = iio.imread(tmp_path / "t_texture.png")
    assert atlas.shape == (4 * 6, 5 * 6, 3)  # cells of R * texel_pixels = 6 pixels
    assert (atlas[: 6 * 4, : 6 * 5] == 128).all()  # every face's cell painted (no padding cell left)


@pytest.mark.parametrize(
    "textures, match",
    [
        (torch.rand(20, 3, 3), "per-vertex"),
        (torch.rand(20, 5, 3), "R \\* R"),
        (torch.rand(19, 4, 3), "textures must have shape"),
        (torch.full((20, 4, 3), float("nan")), "NaN"),
    ],
)
def test_bad_textures_are_named_and_nothing_is_written(tmp_path, textures, match):
    vertices, faces = icosphere(0)
    with pytest.raises(ValueError, match=match):
        save_textured_obj(tmp_path / "t.obj", vertices, faces, textures)
    assert os.listdir(tmp_path) == []


def test_bad_texel_pixels_and_oversized_atlas(tmp_path):
    vertices, faces = icosphere(0)
    textures = torch.rand(20, 4, 3)
    with pytest.raises(ValueError, match="texel_pixels"):
        save_textured_obj(tmp_path / "t.obj", vertices, faces, textures, texel_pixels=0)
    with pytest.raises(ValueError, match="atlas"):
        save_textured_obj(tmp_path / "t.obj", vertices, faces, textures, texel_pixels=4000)
    assert os.listdir(tmp_path) == []
