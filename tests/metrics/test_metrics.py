"""Metrics: IoU, Chamfer and F-score on hand-computed cases, point sampling, voxel surface points."""

import numpy as np
import pytest
import torch

from softrecon.dataset_builders.primitives import box
from softrecon.metrics import chamfer_distance, fscore, sample_points_on_mesh, voxel_iou, voxel_surface_points
from softrecon.voxel import point_to_array_index, voxelize


def test_voxel_iou_hand_case_batched_and_tensor():
    pred = np.zeros((2, 4, 4, 4), dtype=bool)
    gt = np.zeros((2, 4, 4, 4), dtype=bool)
    pred[0, 0, 0, :2] = True  # 2 cells
    gt[0, 0, 0, 1:4] = True  # 3 cells, 1 shared -> 1 / 4
    np.testing.assert_allclose(voxel_iou(pred, gt), [0.25, 1.0])  # second pair: both empty
    got = voxel_iou(torch.from_numpy(pred), torch.from_numpy(gt))
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), [0.25, 1.0])
    with pytest.raises(ValueError, match="same shape"):
        voxel_iou(pred, gt[:1])


def test_chamfer_hand_case_numpy_and_torch_with_gradient():
    a = np.array([[0.0, 0.0, 0.0]])
    b = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    # A -> B: 1; B -> A: mean(1, 4) = 2.5.
    assert chamfer_distance(a, b) == pytest.approx(3.5)
    assert chamfer_distance(a, b, squared=False) == pytest.approx(1.0 + 1.5)
    ta = torch.tensor(a, requires_grad=True)
    value = chamfer_distance(ta, torch.tensor(b))
    assert value.item() == pytest.approx(3.5)
    value.backward()
    # d/da of |a-b1|^2 + (|b1-a|^2 + |b2-a|^2)/2 at a = 0: -2 b1 - b1 - b2 = (-3, -2, 0).
    np.testing.assert_allclose(ta.grad.numpy(), [[-3.0, -2.0, 0.0]])


def test_chamfer_random_sets_numpy_matches_torch():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 3)), rng.normal(size=(200, 3))
    assert chamfer_distance(torch.from_numpy(a), torch.from_numpy(b)).item() == pytest.approx(
        chamfer_distance(a, b), rel=1e-10
    )


def test_fscore_hand_case():
    a = np.array([[0.0, 0, 0], [1.0, 0, 0], [5.0, 0, 0], [6.0, 0, 0]])
    b = np.array([[0.05, 0, 0], [1.05, 0, 0]])
    # precision 2/4, recall 2/2 -> F = 2 * 0.5 * 1 / 1.5.
    assert fscore(a, b, 0.1) == pytest.approx(2 / 3)
    assert fscore(a, b + 10, 0.1) == 0.0
    with pytest.raises(ValueError, match="threshold"):
        fscore(a, b, 0.0)


def test_sample_points_on_mesh_surface_area_weighting_and_determinism():
    vertices, faces = box((0, 0, 0), (1, 1, 1))
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    points = sample_points_on_mesh(torch.from_numpy(vertices), torch.from_numpy(faces), 2000, gen())
    assert points.shape == (2000, 3) and points.dtype == torch.float64
    np.testing.assert_allclose(points.abs().max(dim=1).values.numpy(), 0.5, atol=1e-12)  # on the surface
    torch.testing.assert_close(points, sample_points_on_mesh(vertices, faces, 2000, gen()))
    # Two triangles of areas 1/2 and 3/2: a quarter of the points on the first.
    tri_v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 5], [3, 0, 5], [0, 1, 5]], dtype=float)
    tri_f = np.array([[0, 1, 2], [3, 4, 5]])
    pts = sample_points_on_mesh(tri_v, tri_f, 8000, gen())
    assert (pts[:, 2] < 1).double().mean().item() == pytest.approx(0.25, abs=0.02)


def test_voxel_surface_points_hand_cell_and_cube_shell():
    voxels = np.zeros((32, 32, 32), dtype=bool)
    voxels[16, 20, 5] = True  # i_y 16, i_x 20, i_z 31 - 5 = 26: centre ((20.5-16)/31, 0.5/31, 10.5/31)
    np.testing.assert_allclose(voxel_surface_points(voxels), [[4.5 / 31, 0.5 / 31, 10.5 / 31]])
    cube = voxelize(*box((0, 0, 0), (0.6, 0.6, 0.6)))
    points = voxel_surface_points(torch.from_numpy(cube))
    assert len(points) == 20**3 - 18**3
    index = point_to_array_index(points, 32)
    assert cube[index[:, 0], index[:, 1], index[:, 2]].all()
