import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from softrecon.geometry import icosphere
from softrecon.io import MeshLoadError, load_mesh, read_obj, sample_texture, save_obj


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
