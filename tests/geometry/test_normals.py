import pytest
import torch

from softrecon.geometry import face_normals, gather_face_attributes, icosphere, vertex_normals


def test_face_normal_of_a_ccw_triangle_and_degenerate_face():
    vertices = torch.tensor([[[0.0, 0, 0], [2, 0, 0], [0, 3, 0], [5, 5, 5]]])
    faces = torch.tensor([[0, 1, 2], [0, 2, 1], [3, 3, 3], [0, 1, 1]])
    normals = face_normals(vertices, faces)
    expected = torch.tensor([[[0.0, 0, 1], [0, 0, -1], [0, 0, 0], [0, 0, 0]]])
    torch.testing.assert_close(normals, expected)


def test_vertex_normals_area_weighted():
    # Two faces meeting at vertex 0: one in the xy plane (area 2), one in the xz plane (area 0.5).
    vertices = torch.tensor([[[0.0, 0, 0], [2, 0, 0], [0, 2, 0], [0, 0, 1], [1, 0, 0], [9, 9, 9]]])
    faces = torch.tensor([[0, 1, 2], [0, 3, 4]])  # normals +z (area 2) and +y (area 0.5)
    normals = vertex_normals(vertices, faces)
    n1 = torch.cross(vertices[0, 1] - vertices[0, 0], vertices[0, 2] - vertices[0, 0], dim=0)  # (0, 0, 4)
    n2 = torch.cross(vertices[0, 3] - vertices[0, 0], vertices[0, 4] - vertices[0, 0], dim=0)  # (0, 1, 0)
    expected0 = (n1 + n2) / (n1 + n2).norm()
    torch.testing.assert_close(normals[0, 0], expected0)
    torch.testing.assert_close(normals[0, 1], torch.tensor([0.0, 0, 1]))
    torch.testing.assert_close(normals[0, 5], torch.zeros(3))  # unused vertex


def test_sphere_normals_point_outward_and_batched_faces():
    vertices, faces = icosphere(2, dtype=torch.float64)
    batch = torch.stack([vertices, 2 * vertices + 1])
    normals = vertex_normals(batch, faces[None].expand(2, -1, -1))
    assert normals.shape == (2, 162, 3)
    assert ((normals[0] * vertices).sum(-1) > 0.99).all()
    torch.testing.assert_close(normals[0], normals[1])
    assert face_normals(batch, faces).shape == (2, 320, 3)


def test_gradients_finite_with_degenerate_faces():
    vertices = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]]], dtype=torch.float64, requires_grad=True)
    faces = torch.tensor([[0, 1, 2], [0, 0, 0], [0, 3, 1]])  # padding face and a zero-area face
    (face_normals(vertices, faces).sum() + vertex_normals(vertices, faces).sum()).backward()
    assert torch.isfinite(vertices.grad).all()


def test_gradcheck():
    vertices, faces = icosphere(0, dtype=torch.float64)
    vertices = (vertices + 0.1 * torch.randn(12, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))[
        None
    ]
    vertices.requires_grad_()
    assert torch.autograd.gradcheck(lambda v: vertex_normals(v, faces), (vertices,))
    assert torch.autograd.gradcheck(lambda v: face_normals(v, faces), (vertices,))


def test_gather_broadcast_and_errors():
    attributes = torch.arange(12.0).reshape(1, 4, 3)
    faces = torch.tensor([[[0, 1, 2]], [[3, 2, 1]]])
    out = gather_face_attributes(attributes, faces)
    assert out.shape == (2, 1, 3, 3)
    torch.testing.assert_close(out[1, 0, 0], attributes[0, 3])
    with pytest.raises(ValueError, match="int64"):
        gather_face_attributes(attributes, faces.int())
    with pytest.raises(ValueError, match="batch"):
        gather_face_attributes(attributes.expand(3, -1, -1), faces)
    with pytest.raises(ValueError, match="vertices"):
        face_normals(torch.zeros(4, 3), faces[0])
