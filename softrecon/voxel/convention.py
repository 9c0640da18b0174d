"""The ground-truth voxel index convention (docs/METHOD.md section 7), in one place.

A point (x, y, z) of the object frame (object in [-0.5, 0.5]^3, y up) lies in the grid
cell k = floor((R - 1) * v + R / 2) per axis; for R = 32 that is floor(31 v + 16), the
convention read off the reference evaluation code. Continuous *grid coordinates*
g = (R - 1) * v + R / 2 put cell k at [k, k + 1). The occupancy array is stored as
``voxels[i_y, i_x, R - 1 - i_z]``: first axis y, second x, third z reversed.

Shape symbols: P points, R resolution.
"""

from __future__ import annotations

import numpy as np


def check_resolution(resolution) -> int:
    """Return ``resolution`` as an int >= 2, or raise ValueError naming it."""
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    return int(resolution)


def to_grid_coordinates(points: np.ndarray, resolution: int) -> np.ndarray:
    """Object-frame points (..., 3) -> continuous grid coordinates (..., 3), x y z order.

    Cell k of an axis spans [k, k + 1) in grid coordinates.
    """
    resolution = check_resolution(resolution)
    return (resolution - 1) * np.asarray(points, dtype=np.float64) + resolution / 2.0


def from_grid_coordinates(grid: np.ndarray, resolution: int) -> np.ndarray:
    """Inverse of ``to_grid_coordinates``: grid coordinates (..., 3) -> object frame."""
    resolution = check_resolution(resolution)
    return (np.asarray(grid, dtype=np.float64) - resolution / 2.0) / (resolution - 1)


def point_to_array_index(points: np.ndarray, resolution: int) -> np.ndarray:
    """Object-frame points (P, 3) float -> (P, 3) int64 array indices (i_y, i_x, R-1-i_z).

    Indices are not clipped: a point outside the grid gets an index outside [0, R).
    """
    cells = np.floor(to_grid_coordinates(points, resolution)).astype(np.int64)  # (P, 3): k_x, k_y, k_z
    resolution = int(resolution)
    return np.stack([cells[..., 1], cells[..., 0], resolution - 1 - cells[..., 2]], axis=-1)


def array_index_to_cell_center(indices: np.ndarray, resolution: int) -> np.ndarray:
    """Array indices (P, 3) (first axis y, second x, third z reversed) -> (P, 3) float64
    object-frame centres of those cells (x, y, z order)."""
    indices = np.asarray(indices)
    resolution = check_resolution(resolution)
    cells = np.stack([indices[..., 1], indices[..., 0], resolution - 1 - indices[..., 2]], axis=-1)
    return from_grid_coordinates(cells + 0.5, resolution)


def xyz_grid_to_array(occupancy_xyz: np.ndarray) -> np.ndarray:
    """An occupancy grid indexed [k_x, k_y, k_z] (..., R, R, R) -> the stored convention
    [i_y, i_x, R-1-i_z] (a view, no copy)."""
    return np.swapaxes(occupancy_xyz, -3, -2)[..., ::-1]


def array_to_xyz_grid(voxels: np.ndarray) -> np.ndarray:
    """Inverse of ``xyz_grid_to_array``: stored (..., R, R, R) -> indexed [k_x, k_y, k_z]."""
    return np.swapaxes(np.asarray(voxels)[..., ::-1], -3, -2)
