import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from softrecon.geometry import icosphere
from softrecon.io import MeshLoadError, bake_surface_textures, load_mesh, read_obj, sample_texture, save_obj
from softrecon.structures.textures import texel_barycentrics


def test_round_trip_with_colors(tmp_path):
    vertices, faces = icosphere(1)
    colors = torch.rand(42, 3, generator=torch.Generator().manual_seed(0))
    path = tmp_path / "sphere.obj"
    save_obj(path, vertices, faces, colors)
    mesh = load_mesh(path)
    assert torch.equal(mesh.vertices[0], vertices)  # 9 significant digits: float32 exact
    assert torch.equal(mesh.faces[0], faces)
    torch.testing.assert_close(mesh.colors[0], colors)
    assert mesh.color_mode == "vertex"


def test_round_trip_float64_exact_without_colors(tmp_path):
    vertices, faces = icosphere(1, dtype=torch.float64)
    path = tmp_path / "sphere.obj"
    save_obj(path, vertices, faces)
    mesh = load_mesh(path, dtype=torch.float64)
    assert torch.equal(mesh.vertices[0], vertices) and mesh.colors is None


def test_polygons_negative_indices_and_slash_forms(tmp_path):
    path = tmp_path / "quad.obj"
    path.write_text(
        "# a quad and a triangle\n"
        "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\n"
        "vt 0 0\nvt 1 0\nvt 1 1\nvn 0 0 1\n"
        "g group\ns off\n"
        "f 1/1/1 2/2/1 3/3/1 4//1\n"
        "v 2 2 2\n"
        "f -1 -4 -3\n"
    )
    raw = read_obj(str(path))
    assert raw.faces.tolist() == [[0, 1, 2], [0, 2, 3], [4, 1, 2]]
    assert raw.vertices.shape == (5, 3) and raw.colors is None


def test_texture_sampled_at_vertices(tmp_path):
    texture = np.zeros((2, 2, 3), dtype=np.uint8)
    texture[0, :] = (255, 0, 0)  # top row (v near 1): red
    texture[1, :] = (0, 0, 255)  # bottom row (v near 0): blue
    Image.fromarray(texture).save(tmp_path / "tex.png")
    (tmp_path / "m.mtl").write_text("newmtl paint\nKd 1 1 1\nmap_Kd tex.png\n")
    (tmp_path / "m.obj").write_text(
        "mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0.25 0.75\nvt 0.75 0.75\nvt 0.25 0.25\nusemtl paint\nf 1/1 2/2 3/3\n"
    )
    mesh = load_mesh(tmp_path / "m.obj")
    torch.testing.assert_close(mesh.colors[0], torch.tensor([[1.0, 0, 0], [1, 0, 0], [0, 0, 1]]))


def test_sample_texture_bilinear_midpoint():
    texture = np.array([[[0.0], [1.0]]])  # (1, 2, 1): left texel 0, right texel 1
    values = sample_texture(texture, np.array([[0.5, 0.5], [0.25, 0.5], [0.75, 0.5]]))
    np.testing.assert_allclose(values[:, 0], [0.5, 0.0, 1.0])


def test_missing_material_file_warns_and_loads_without_colors(tmp_path):
    (tmp_path / "m.obj").write_text("mtllib nowhere.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl x\nf 1 2 3\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mesh = load_mesh(tmp_path / "m.obj")
    assert mesh.colors is None and any("nowhere.mtl" in str(w.message) for w in caught)


@pytest.mark.parametrize(
    "text, message",
    [
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\n", "no faces"),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", "out of range"),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 -4\n", "before the first vertex"),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1 2/2 3/1\n", "texture coordinate index out of range"),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n", "line 4"),
        ("v 0 zero 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "line 1"),
        ("v 0 0 0\nv 1 0 0\nf 1 2\n", "line 3"),
        ("v nan 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "NaN"),
        ("v inf 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "NaN or inf"),
    ],
)
def test_bad_files_raise_mesh_load_error_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bad.obj"
    path.write_text(text)
    with pytest.raises(MeshLoadError, match=message) as info:
        load_mesh(path)
    assert str(path) in str(info.value) and isinstance(info.value, ValueError)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(MeshLoadError, match="no such file"):
        load_mesh(tmp_path / "absent.obj")
    (tmp_path / "mesh.stl").write_text("solid")
    with pytest.raises(MeshLoadError, match="unsupported extension"):
        load_mesh(tmp_path / "mesh.stl")


def test_save_obj_errors_and_atomicity(tmp_path):
    vertices, faces = icosphere(0)
    with pytest.raises(ValueError, match="faces indices"):
        save_obj(tmp_path / "x.obj", vertices, faces + 12)
    with pytest.raises(ValueError, match="colors"):
        save_obj(tmp_path / "x.obj", vertices, faces, torch.rand(5, 3))
    with pytest.raises(ValueError, match="vertices"):
        save_obj(tmp_path / "x.obj", vertices[:, :2], faces)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def _textured_obj(tmp_path, face_lines):
    """A 4 x 2 texture (left half red/blue rows, right half green), a textured material
    'paint' (Kd 1 0.5 1) and a plain one 'plain' (Kd 0.2 0.3 0.4); returns the .obj path."""
    texture = np.zeros((2, 4, 3), dtype=np.uint8)
    texture[0, :2] = (255, 0, 0)
    texture[1, :2] = (0, 0, 255)
    texture[:, 2:] = (0, 255, 0)
    Image.fromarray(texture).save(tmp_path / "tex.png")
    (tmp_path / "m.mtl").write_text("newmtl paint\nKd 1 0.5 1\nmap_Kd tex.png\nnewmtl plain\nKd 0.2 0.3 0.4\n")
    (tmp_path / "m.obj").write_text(
        "mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\n"
        "vt 0.1 0.2\nvt 0.9 0.3\nvt 0.2 0.8\nvt -0.4 1.7\n" + face_lines
    )
    return tmp_path / "m.obj", np.asarray(texture, dtype=np.float64) / 255.0


@pytest.mark.parametrize("resolution", [1, 3])
def test_texture_baked_per_face(tmp_path, resolution):
    path, texture = _textured_obj(
        tmp_path,
        "usemtl paint\nf 1/1 2/2 3/3\nf 2/2 4/4 3/3\n"  # textured, UVs on every corner
        "f 1 2 4\n"  # textured material, no UVs: flat Kd
        "usemtl plain\nf 1/1 4/4 3/3\n",  # no texture: flat Kd
    )
    mesh = load_mesh(path, dtype=torch.float64, texture_resolution=resolution)
    assert mesh.color_mode == "texture" and mesh.colors.shape == (1, 4, resolution**2, 3)
    uvs = np.array([[0.1, 0.2], [0.9, 0.3], [0.2, 0.8], [-0.4, 1.7]])
    centroids = texel_barycentrics(resolution).numpy()
    for face, corners in ((0, [0, 1, 2]), (1, [1, 3, 2])):
        expected = np.array([1.0, 0.5, 1.0]) * sample_texture(texture, centroids @ uvs[corners])
        np.testing.assert_allclose(mesh.colors[0, face].numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(mesh.colors[0, 2].numpy(), np.broadcast_to([1.0, 0.5, 1.0], (resolution**2, 3)))
    np.testing.assert_allclose(mesh.colors[0, 3].numpy(), np.broadcast_to([0.2, 0.3, 0.4], (resolution**2, 3)))
    # Without texture_resolution: per-vertex colours, as before.
    assert load_mesh(path).color_mode == "vertex"


def test_read_obj_keeps_uvs_and_materials_for_baking(tmp_path):
    path, _ = _textured_obj(
        tmp_path, "f 1/1 2/2 3/3\nusemtl unknown\nf 2 4 3\nusemtl plain\nf 1/1 4/4 3/3\nusemtl paint\nf 1/2 2/3 3/1\n"
    )
    raw = read_obj(str(path))
    assert raw.uvs.shape == (4, 2) and raw.face_uv_indices.tolist() == [[0, 1, 2], [-1, -1, -1], [0, 3, 2], [1, 2, 0]]
    names = [("texture" if m.texture is not None else "plain") for m in raw.materials]
    assert [names[k] if k >= 0 else None for k in raw.face_material_indices] == [None, None, "plain", "texture"]
    baked = bake_surface_textures(raw, 2)
    assert baked.shape == (4, 4, 3) and baked.dtype == torch.float64
    assert (baked[:2] == 1).all()  # no (known) material: white, like the per-vertex colours
    # Files without materials keep the new fields None and bake to None.
    plain = tmp_path / "plain.obj"
    plain.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1 2/1 3/1\n")
    raw = read_obj(str(plain))
    assert raw.uvs is None and raw.materials is None and bake_surface_textures(raw, 2) is None


def test_texture_resolution_without_a_uv_texture_loads_as_before(tmp_path):
    path, _ = _textured_obj(
        tmp_path, "usemtl plain\nf 1/1 2/2 3/3\nusemtl paint\nf 2 4 3\n"
    )  # textured face has no UVs
    mesh = load_mesh(path, texture_resolution=2)
    assert mesh.color_mode == "vertex"
    vertices, faces = icosphere(0)
    save_obj(tmp_path / "ball.obj", vertices, faces)
    assert load_mesh(tmp_path / "ball.obj", texture_resolution=2).colors is None


def test_texture_resolution_errors(tmp_path):
    path, _ = _textured_obj(tmp_path, "usemtl paint\nf 1/1 2/2 3/3\n")
    for bad in (0, 2.0, True):
        with pytest.raises(ValueError, match="texture_resolution"):
            load_mesh(path, texture_resolution=bad)
    (tmp_path / "nan.obj").write_text(path.read_text().replace("vt 0.1 0.2", "vt nan 0.2"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NaN cast to int in the per-vertex sampling
        with pytest.raises(MeshLoadError, match="NaN") as info:  # caught with the per-vertex colours already
            load_mesh(tmp_path / "nan.obj", texture_resolution=2)
        raw = read_obj(str(tmp_path / "nan.obj"))
    assert str(tmp_path / "nan.obj") in str(info.value)
    with pytest.raises(ValueError, match="texture coordinates of textured faces contain NaN"):
        bake_surface_textures(raw, 2)
