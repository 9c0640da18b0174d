"""Voxelizer: analytic shapes, the ground-truth index convention worked out by hand,
thin parts, small cracks, parts and batches, input checks."""

import math

import numpy as np
import pytest
import torch

from softrecon.dataset_builders.primitives import box
from softrecon.geometry import icosphere
from softrecon.voxel import (
    array_index_to_cell_center,
    occupied_volume,
    point_to_array_index,
    voxelize,
    voxelize_batch,
    voxelize_parts,
)


def _box_mesh(low, high):
    low, high = np.asarray(low, float), np.asarray(high, float)
    return box((low + high) / 2, high - low)


def test_asymmetric_box_lands_in_hand_computed_cells():
    # Box x in [0.2, 0.3], y in [0.1, 0.2], z in [-0.3, -0.2]: with i = floor(31 v + 16)
    # x: 22.2 .. 25.3 -> cells 22..25; y: 19.1 .. 22.2 -> 19..22; z: 6.7 .. 9.8 -> 6..9,
    # stored as voxels[i_y, i_x, 31 - i_z]: axis 0 in 19..22, axis 1 in 22..25, axis 2 in 22..25.
    vertices, faces = _box_mesh([0.2, 0.1, -0.3], [0.3, 0.2, -0.2])
    voxels = voxelize(vertices, faces, 32)
    expected = np.zeros((32, 32, 32), dtype=bool)
    expected[19:23, 22:26, 22:26] = True
    assert voxels.dtype == np.bool_ and voxels.shape == (32, 32, 32)
    np.testing.assert_array_equal(voxels, expected)


def test_cube_cell_counts_for_each_fill_mode():
    # [-0.3, 0.3]: 31 * 0.3 + 16 = 25.3 and 6.7 -> cells 6..25, 20 per axis.
    vertices, faces = _box_mesh([-0.3] * 3, [0.3] * 3)
    assert voxelize(vertices, faces, fill="flood").sum() == 20**3
    assert voxelize(vertices, faces, fill="carve").sum() == 20**3
    assert voxelize(vertices, faces, fill="none").sum() == 20**3 - 18**3  # the shell


def test_full_unit_cube_fills_whole_grid_even_at_the_border():
    vertices, faces = _box_mesh([-0.5] * 3, [0.5] * 3)
    assert voxelize(vertices, faces, 32).all()


def _sphere(radius, level=3):
    vertices, faces = icosphere(level, dtype=torch.float64)
    return vertices.numpy() * radius, faces.numpy()


def test_sphere_cells_match_the_analytic_solid():
    radius = 0.45
    vertices, faces = _sphere(radius)
    voxels = voxelize(vertices, faces, 32)
    # Distance from the origin to the nearest point of each cell (object frame).
    index = np.stack(np.meshgrid(*(np.arange(32),) * 3, indexing="ij"), -1).reshape(-1, 3)
    centers = array_index_to_cell_center(index, 32)
    half = 0.5 / 31
    nearest = np.linalg.norm(np.maximum(np.abs(centers) - half, 0.0), axis=1)
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    inner = np.min(np.abs(np.einsum("fk,fk->f", normals / np.linalg.norm(normals, axis=1, keepdims=True), tri[:, 0])))
    occupied = voxels[index[:, 0], index[:, 1], index[:, 2]]
    assert occupied[nearest < inner - 1e-9].all()  # every cell meeting the inscribed ball
    assert not occupied[nearest > radius + 1e-9].any()  # no cell outside the sphere


def test_sphere_volume_matches_steiner_formula():
    # A cell is occupied iff it meets the solid, so the occupied volume is about the
    # volume of the sphere grown by a cell-sized cube; by Steiner's formula that is
    # 4/3 pi r^3 + 3 pi h r^2 + 6 h^2 r + h^3 for a ball plus a cube of side h.
    radius, h = 0.45, 1 / 31
    vertices, faces = _sphere(radius, level=4)
    expected = 4 / 3 * math.pi * radius**3 + 3 * math.pi * h * radius**2 + 6 * h * h * radius + h**3
    assert occupied_volume(voxelize(vertices, faces)) == pytest.approx(expected, rel=0.02)
    interior = voxelize(vertices, faces) & ~voxelize(vertices, faces, fill="none")
    assert interior.sum() > 0.8 * 4 / 3 * math.pi * (radius * 31) ** 3


def test_thin_plate_and_thin_rod_get_their_cells():
    vertices, faces = _box_mesh([-0.4, 0.005, -0.4], [0.4, 0.006, 0.4])
    voxels = voxelize(vertices, faces)
    # x, z: 31 * 0.4 = 12.4 -> cells 3..28 (26); y: 16.155 .. 16.186 -> cell 16 only.
    assert voxels.sum() == 26 * 26 and voxels[16].sum() == 26 * 26
    from softrecon.dataset_builders.primitives import cylinder

    start, end = np.array([-0.4, -0.3, 0.2]), np.array([0.35, 0.4, -0.3])
    rod = cylinder(start, end, 0.002, segments=6)
    voxels = voxelize(*rod)
    along = point_to_array_index(start + np.linspace(0, 1, 2000)[:, None] * (end - start), 32)
    assert voxels[along[:, 0], along[:, 1], along[:, 2]].all()


def test_small_crack_does_not_leak():
    vertices, faces = _sphere(0.4)
    upper = vertices[faces].mean(axis=1)[:, 1] > 0
    cracked = np.concatenate([vertices, vertices + [0.0, 0.008, 0.0]])  # a 1/4-cell gap
    cracked_faces = np.where(upper[:, None], faces + len(vertices), faces)
    whole = voxelize(vertices, faces)
    split = voxelize(cracked, cracked_faces)
    assert split.sum() >= whole.sum()
    assert (split & whole).sum() == whole.sum()


def test_parts_are_or_of_filled_parts_and_batch_matches_loop():
    a = _box_mesh([-0.3, -0.3, -0.3], [0.1, 0.3, 0.3])
    b = _box_mesh([-0.1, -0.3, -0.3], [0.3, 0.3, 0.3])
    union = voxelize_parts([a, b])
    np.testing.assert_array_equal(union, voxelize(*_box_mesh([-0.3] * 3, [0.3] * 3)))
    vertices, faces = _sphere(0.3, level=2)
    batch = np.stack([vertices, vertices * 0.5 + 0.1])
    out = voxelize_batch(torch.from_numpy(batch), torch.from_numpy(faces), 16)
    assert out.shape == (2, 16, 16, 16)
    for k in range(2):
        np.testing.assert_array_equal(out[k], voxelize(batch[k], faces, 16))


def test_mesh_outside_grid_is_clipped_and_empty_mesh_is_empty():
    vertices, faces = _box_mesh([0.6, 0.6, 0.6], [0.9, 0.9, 0.9])
    assert not voxelize(vertices, faces).any()
    assert not voxelize(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)).any()
    # A box sticking out of the grid still fills the part inside.
    vertices, faces = _box_mesh([0.01, 0.01, 0.01], [0.9, 0.9, 0.9])
    voxels = voxelize(vertices, faces)
    assert voxels[16:, 16:, : 32 - 16].all() and voxels.sum() == 16**3


@pytest.mark.parametrize(
    "vertices, faces, resolution, fill, word",
    [
        (np.zeros((3, 2)), np.array([[0, 1, 2]]), 32, "flood", "vertices"),
        (np.zeros((3, 3)), np.array([[0, 1, 3]]), 32, "flood", "faces"),
        (np.zeros((3, 3)), np.array([[0.0, 1, 2]]), 32, "flood", "faces"),
        (np.full((3, 3), np.nan), np.array([[0, 1, 2]]), 32, "flood", "vertices"),
        (np.zeros((3, 3)), np.array([[0, 1, 2]]), 1, "flood", "resolution"),
        (np.zeros((3, 3)), np.array([[0, 1, 2]]), 32, "fill-all", "fill"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_argument(vertices, faces, resolution, fill, word):
    with pytest.raises(ValueError, match=word):
        voxelize(vertices, faces, resolution, fill)


def test_index_convention_by_hand_and_round_trip():
    # (0, 0, 0) -> cells (16, 16, 16) -> stored [16, 16, 31 - 16]; (0.5, -0.5, 0.5) ->
    # x 31.5 -> 31, y 0.5 -> 0, z 31.5 -> 31 -> stored [0, 31, 0].
    points = np.array([[0.0, 0.0, 0.0], [0.5, -0.5, 0.5]])
    np.testing.assert_array_equal(point_to_array_index(points, 32), [[16, 16, 15], [0, 31, 0]])
    index = np.array([[3, 7, 30], [31, 0, 12]])
    np.testing.assert_array_equal(point_to_array_index(array_index_to_cell_center(index, 32), 32), index)


def test_softras_surface_mode_is_a_subset_and_nearly_equal_on_closed_meshes():
    # SoftRas' voxelizer marks only cells around cell-edge crossings and vertices, so its
    # cells are a subset of the exact ones; on closed smooth meshes they almost agree.
    vertices, faces = _sphere(1.0, level=3)
    rng = np.random.default_rng(0)
    for _ in range(3):
        deformed = vertices * rng.uniform(0.15, 0.45, 3) * (1 + 0.15 * rng.standard_normal((len(vertices), 1)))
        exact = voxelize(deformed, faces)
        softras = voxelize(deformed, faces, surface="softras")
        assert (softras <= exact).all()
        assert softras.sum() >= 0.995 * exact.sum()
    box_vertices, box_faces = _box_mesh([0.2, 0.1, -0.3], [0.3, 0.2, -0.2])  # the hand-worked box
    np.testing.assert_array_equal(
        voxelize(box_vertices, box_faces, surface="softras"), voxelize(box_vertices, box_faces)
    )
    with pytest.raises(ValueError, match="surface"):
        voxelize(box_vertices, box_faces, surface="sampled")
