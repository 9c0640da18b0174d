"""Tests of softrecon.losses: soft IoU, sparse Laplacian, flatten."""

import math

import pytest
import torch

from softrecon.losses import FlattenLoss, LaplacianLoss, multiview_iou_loss, soft_iou_loss


def grid_mesh(rows: int, cols: int, dtype=torch.float64):
    """A flat (rows x cols)-vertex grid in the z = 0 plane, every square split by the same diagonal."""
    ys, xs = torch.meshgrid(torch.arange(rows, dtype=dtype), torch.arange(cols, dtype=dtype), indexing="ij")
    vertices = torch.stack([xs, ys, torch.zeros_like(xs)], dim=-1).reshape(-1, 3)
    faces = []
    for r in range(rows - 1):
        for c in range(cols - 1):
            a, b, d, e = r * cols + c, r * cols + c + 1, (r + 1) * cols + c, (r + 1) * cols + c + 1
            faces += [[a, b, e], [a, e, d]]
    return vertices, torch.tensor(faces)


def octahedron(dtype=torch.float64):
    vertices = torch.tensor([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], dtype=dtype)
    faces = torch.tensor([[0, 2, 4], [2, 1, 4], [1, 3, 4], [3, 0, 4], [2, 0, 5], [1, 2, 5], [3, 1, 5], [0, 3, 5]])
    return vertices, faces


def dense_laplacian_loss(vertices, faces):
    """The SoftRas construction: dense I - D^-1 A, then the squared norm summed per mesh."""
    num_vertices = vertices.shape[1]
    adjacency = torch.zeros(num_vertices, num_vertices, dtype=vertices.dtype)
    for i, j in ((0, 1), (1, 2), (2, 0)):
        adjacency[faces[:, i], faces[:, j]] = 1
        adjacency[faces[:, j], faces[:, i]] = 1
    lap = torch.eye(num_vertices, dtype=vertices.dtype) - adjacency / adjacency.sum(1, keepdim=True)
    return (lap @ vertices).pow(2).sum(dim=(1, 2))


# ----------------------------------------------------------------------------- soft IoU
def test_soft_iou_identical_binary_masks_is_zero_and_disjoint_is_one():
    mask = torch.zeros(2, 8, 8)
    mask[:, 2:6, 1:5] = 1
    assert soft_iou_loss(mask, mask).item() == pytest.approx(0.0, abs=1e-6)
    other = torch.zeros_like(mask)
    other[:, 6:, 6:] = 1
    assert soft_iou_loss(mask, other).item() == pytest.approx(1.0, abs=1e-6)


def test_soft_iou_matches_formula_per_item():
    torch.manual_seed(0)
    pred, target = torch.rand(3, 5, 7, dtype=torch.float64), (torch.rand(3, 5, 7) > 0.5).double()
    expected = 1 - (pred * target).sum((1, 2)) / (pred + target - pred * target).sum((1, 2))
    torch.testing.assert_close(soft_iou_loss(pred, target, reduction="none"), expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(soft_iou_loss(pred, target), expected.mean(), atol=1e-6, rtol=0)
    stacked = torch.stack([pred, pred.flip(0)])
    targets = torch.stack([target, target.flip(0)])
    torch.testing.assert_close(multiview_iou_loss(stacked, targets), expected.mean(), atol=1e-6, rtol=0)


def test_soft_iou_rejects_bad_shapes():
    with pytest.raises(ValueError, match="target"):
        soft_iou_loss(torch.rand(2, 4, 4), torch.rand(2, 4, 5))
    with pytest.raises(ValueError, match="pred"):
        soft_iou_loss(torch.rand(4, 4), torch.rand(4, 4))
    with pytest.raises(ValueError, match="reduction"):
        soft_iou_loss(torch.rand(1, 4, 4), torch.rand(1, 4, 4), reduction="avg")


# ---------------------------------------------------------------------------- Laplacian
def test_laplacian_of_flat_regular_grid_is_zero_inside():
    vertices, faces = grid_mesh(5, 6)
    loss = LaplacianLoss(faces, vertices.shape[0])
    lap = loss.laplacian(vertices[None])[0].reshape(5, 6, 3)
    assert lap[1:-1, 1:-1].abs().max().item() < 1e-12  # interior vertices: neighbours symmetric
    assert lap[0, 0].abs().max().item() > 0.1  # corners are not (the test can fail)


def test_laplacian_matches_dense_construction():
    torch.manual_seed(1)
    vertices, faces = octahedron()
    batch = vertices[None] + 0.2 * torch.randn(3, *vertices.shape, dtype=torch.float64)
    expected = dense_laplacian_loss(batch, faces)
    torch.testing.assert_close(LaplacianLoss(faces, 6, reduction="none")(batch), expected)
    torch.testing.assert_close(LaplacianLoss(faces, 6)(batch), expected.mean())
    grid_v, grid_f = grid_mesh(3, 4)
    grid_batch = grid_v[None] + 0.1 * torch.randn(2, *grid_v.shape, dtype=torch.float64)
    torch.testing.assert_close(
        LaplacianLoss(grid_f, 12, reduction="sum")(grid_batch), dense_laplacian_loss(grid_batch, grid_f).sum()
    )


def test_laplacian_gradient_and_checks():
    vertices, faces = octahedron()
    batch = (vertices[None] * 1.1).requires_grad_()
    assert torch.autograd.gradcheck(LaplacianLoss(faces, 6), (batch,))
    with pytest.raises(ValueError, match="num_vertices"):
        LaplacianLoss(faces, 4)
    with pytest.raises(ValueError, match="faces"):
        LaplacianLoss(faces.double(), 6)
    with pytest.raises(ValueError, match="vertices"):
        LaplacianLoss(faces, 6)(vertices)


# ------------------------------------------------------------------------------ flatten
def test_flatten_is_zero_for_a_flat_sheet():
    vertices, faces = grid_mesh(4, 5)
    loss = FlattenLoss(faces)
    # 12 diagonals + 2 x 4 inner horizontal + 3 x 3 inner vertical edges of a 4 x 5 grid
    assert loss.edge_quads.shape[0] == 12 + 8 + 9
    assert loss(vertices[None]).item() == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("angle_deg, expected", [(180.0, 0.0), (90.0, 1.0), (60.0, (0.5 + 1) ** 2)])
def test_flatten_of_a_hinge_follows_the_dihedral_angle(angle_deg, expected):
    # Two triangles hinged on the x axis: one in the xy half plane y > 0, the other rotated.
    angle = math.radians(angle_deg)
    vertices = torch.tensor(
        [[0, 0, 0], [1, 0, 0], [0.5, 1, 0], [0.5, math.cos(angle), math.sin(angle)]], dtype=torch.float64
    )
    faces = torch.tensor([[0, 1, 2], [1, 0, 3]])
    assert FlattenLoss(faces)(vertices[None]).item() == pytest.approx(expected, abs=1e-5)


def test_flatten_counts_every_edge_of_a_closed_mesh_and_has_gradients():
    vertices, faces = octahedron()
    loss = FlattenLoss(faces)
    assert loss.edge_quads.shape[0] == 12
    # Octahedron dihedral angle: cos = -1/3, so 12 edges of (2/3)^2.
    assert loss(vertices[None]).item() == pytest.approx(12 * (2 / 3) ** 2, rel=1e-5)
    batch = vertices[None].clone().requires_grad_()
    assert torch.autograd.gradcheck(loss, (batch,))
