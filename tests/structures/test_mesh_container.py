import pytest
import torch

from softrecon.geometry import icosphere
from softrecon.structures import Mesh


def _tetra():
    vertices = torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    faces = torch.tensor([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    return vertices, faces


def test_shared_faces_are_expanded_and_face_vertices_gathered():
    vertices, faces = _tetra()
    mesh = Mesh(torch.stack([vertices, vertices + 1]), faces)
    assert mesh.num_meshes == 2 and mesh.faces.shape == (2, 4, 3)
    fv = mesh.face_vertices()
    assert fv.shape == (2, 4, 3, 3)
    torch.testing.assert_close(fv[1, 3], vertices[[1, 2, 3]] + 1)
    moved = mesh.face_vertices(mesh.vertices * 2)
    torch.testing.assert_close(moved, fv * 2)
    assert mesh.verts_per_mesh.tolist() == [4, 4] and mesh.faces_per_mesh.tolist() == [4, 4]


def test_vertex_and_face_colors():
    vertices, faces = icosphere(0)
    colors_v = torch.rand(1, 12, 3)
    mesh = Mesh(vertices[None], faces, colors_v)
    assert mesh.color_mode == "vertex"
    torch.testing.assert_close(mesh.face_colors()[0, 5], colors_v[0, faces[5]])
    colors_f = torch.rand(1, 20, 2)
    mesh = Mesh(vertices[None], faces, colors_f)
    assert mesh.color_mode == "face"
    fc = mesh.face_colors()
    assert fc.shape == (1, 20, 3, 2)
    torch.testing.assert_close(fc[0, 7], colors_f[0, 7].expand(3, 2))
    assert Mesh(vertices[None], faces).face_colors() is None


def test_ambiguous_color_mode_needs_explicit_mode():
    vertices, faces = _tetra()  # V == F == 4
    colors = torch.rand(1, 4, 3)
    with pytest.raises(ValueError, match="color_mode"):
        Mesh(vertices[None], faces, colors)
    assert Mesh(vertices[None], faces, colors, color_mode="face").color_mode == "face"
    with pytest.raises(ValueError, match="color_mode"):
        Mesh(vertices[None], faces, colors, color_mode="corner")


def test_from_list_pads_with_zeros_and_degenerate_faces():
    v0, f0 = _tetra()
    v1, f1 = icosphere(0)
    c0, c1 = torch.rand(4, 3), torch.rand(12, 3)
    mesh = Mesh.from_list([(v0, f0, c0), (v1, f1, c1)], color_mode="vertex")
    assert mesh.vertices.shape == (2, 12, 3) and mesh.faces.shape == (2, 20, 3) and mesh.colors.shape == (2, 12, 3)
    assert mesh.verts_per_mesh.tolist() == [4, 12] and mesh.faces_per_mesh.tolist() == [4, 20]
    assert (mesh.vertices[0, 4:] == 0).all() and (mesh.faces[0, 4:] == 0).all() and (mesh.colors[0, 4:] == 0).all()
    torch.testing.assert_close(mesh.vertices[1], v1)
    assert (mesh.face_normals()[0, 4:] == 0).all()  # padding faces are degenerate
    plain = Mesh.from_list([(v0, f0), (v1, f1)])
    assert plain.colors is None


def test_from_list_errors():
    v0, f0 = _tetra()
    with pytest.raises(ValueError, match="non-empty"):
        Mesh.from_list([])
    with pytest.raises(ValueError, match="every mesh has colors"):
        Mesh.from_list([(v0, f0, torch.rand(4, 3)), (v0, f0)])
    with pytest.raises(ValueError, match=r"meshes\[1\] vertices"):
        Mesh.from_list([(v0, f0), (v0[None], f0)])


def test_validation_errors_name_the_argument():
    vertices, faces = _tetra()
    with pytest.raises(ValueError, match="faces indices"):
        Mesh(vertices[None], faces + 1)
    with pytest.raises(ValueError, match="faces indices"):
        Mesh(vertices[None], faces - 1)
    bad = vertices.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="vertices contains NaN"):
        Mesh(bad[None], faces)
    with pytest.raises(ValueError, match="vertices must be a"):
        Mesh(vertices, faces)
    with pytest.raises(ValueError, match="int64"):
        Mesh(vertices[None], faces.int())
    with pytest.raises(ValueError, match="faces must have batch size"):
        Mesh(vertices[None], torch.stack([faces, faces]))
    with pytest.raises(ValueError, match="colors"):
        Mesh(vertices[None], faces, torch.rand(1, 5, 3))
    with pytest.raises(ValueError, match="colors"):
        Mesh(vertices[None], faces, torch.rand(1, 4, 3, dtype=torch.float64), color_mode="vertex")


def test_to_and_update_vertices():
    vertices, faces = icosphere(0)
    mesh = Mesh(vertices[None], faces, torch.rand(1, 12, 3)).to(dtype=torch.float64)
    assert (
        mesh.vertices.dtype == torch.float64 and mesh.colors.dtype == torch.float64 and mesh.faces.dtype == torch.int64
    )
    moved = mesh.update_vertices(mesh.vertices * 3)
    torch.testing.assert_close(moved.vertices, mesh.vertices * 3)
    assert moved.colors is mesh.colors and len(moved) == 1
    assert "N=1, V=12, F=20" in repr(moved)


def test_texture_mode_inferred_from_4d_colors():
    vertices, faces = _tetra()  # V == F: no ambiguity for 4-D colours
    textures = torch.rand(1, 4, 9, 3)
    mesh = Mesh(vertices[None], faces, textures)
    assert mesh.color_mode == "texture" and mesh.texture_resolution == 3
    assert mesh.face_colors() is textures  # (N, F, R * R, C) as soft_rasterize takes it
    assert mesh.face_colors(textures * 2).shape == (1, 4, 9, 3)
    assert Mesh(vertices[None], faces, torch.rand(1, 4, 1, 2), color_mode="texture").texture_resolution == 1
    assert Mesh(vertices[None], faces, torch.rand(1, 4, 3), color_mode="face").texture_resolution is None
    assert "texture C=3 R=3" in repr(mesh)


def test_texture_mode_errors_name_colors():
    vertices, faces = _tetra()
    with pytest.raises(ValueError, match="R \\* R texels"):
        Mesh(vertices[None], faces, torch.rand(1, 4, 3, 3))  # 3 samples: not a square
    with pytest.raises(ValueError, match="R \\* R texels"):
        Mesh(vertices[None], faces, torch.rand(1, 4, 5, 3))
    with pytest.raises(ValueError, match="colors must be \\(N, F, R \\* R, C\\)"):
        Mesh(vertices[None], faces, torch.rand(1, 5, 4, 3))  # F = 5 != 4
    with pytest.raises(ValueError, match="colors must be \\(N, F, R \\* R, C\\)"):
        Mesh(vertices[None], faces, torch.rand(1, 4, 3), color_mode="texture")
    with pytest.raises(ValueError, match="color_mode='texture'"):
        Mesh(vertices[None], faces, torch.rand(1, 4, 4, 3), color_mode="face")
    with pytest.raises(ValueError, match="colors must have the dtype"):
        Mesh(vertices[None], faces, torch.rand(1, 4, 4, 3, dtype=torch.float64))
    bad = torch.rand(1, 4, 4, 3)
    bad[0, 1, 2, 0] = float("inf")
    with pytest.raises(ValueError, match="colors contains NaN or inf"):
        Mesh(vertices[None], faces, bad)


def test_from_list_pads_textures_with_zero_texels():
    v0, f0 = _tetra()
    v1, f1 = icosphere(0)
    t0, t1 = torch.rand(4, 4, 3), torch.rand(20, 4, 3)
    mesh = Mesh.from_list([(v0, f0, t0), (v1, f1, t1)])
    assert mesh.color_mode == "texture" and mesh.colors.shape == (2, 20, 4, 3) and mesh.texture_resolution == 2
    assert torch.equal(mesh.colors[0, :4], t0) and (mesh.colors[0, 4:] == 0).all() and torch.equal(mesh.colors[1], t1)
    assert mesh.faces_per_mesh.tolist() == [4, 20]
    with pytest.raises(ValueError, match="same R \\* R texels"):
        Mesh.from_list([(v0, f0, t0), (v1, f1, torch.rand(20, 9, 3))])
    with pytest.raises(ValueError, match="one mode"):
        Mesh.from_list([(v0, f0, t0), (v1, f1, torch.rand(20, 3))])
    with pytest.raises(ValueError, match="same number of channels"):
        Mesh.from_list([(v0, f0, t0), (v1, f1, torch.rand(20, 4, 2))])


def test_to_and_update_vertices_keep_textures():
    vertices, faces = icosphere(0)
    mesh = Mesh(vertices[None], faces, torch.rand(1, 20, 4, 3)).to(dtype=torch.float64)
    assert mesh.color_mode == "texture" and mesh.colors.dtype == torch.float64 and mesh.colors.shape == (1, 20, 4, 3)
    moved = mesh.update_vertices(mesh.vertices * 2)
    assert moved.colors is mesh.colors and moved.color_mode == "texture"
