"""Mesh -> occupancy grid in the ground-truth voxel convention (docs/METHOD.md section 7)."""

from .batch import voxelize_batch
from .convention import (
    array_index_to_cell_center,
    array_to_xyz_grid,
    from_grid_coordinates,
    point_to_array_index,
    to_grid_coordinates,
    xyz_grid_to_array,
)
from .voxelize import FILL_MODES, SURFACE_MODES, occupied_volume, voxelize, voxelize_parts

__all__ = [
    "FILL_MODES",
    "SURFACE_MODES",
    "array_index_to_cell_center",
    "array_to_xyz_grid",
    "from_grid_coordinates",
    "occupied_volume",
    "point_to_array_index",
    "to_grid_coordinates",
    "voxelize",
    "voxelize_batch",
    "voxelize_parts",
    "xyz_grid_to_array",
]
