"""Evaluation metrics: voxel IoU, Chamfer distance, F-score, and point sampling."""

from .points import chamfer_distance, fscore, nearest_distances, sample_points_on_mesh, voxel_surface_points
from .voxel_iou import voxel_iou

__all__ = [
    "chamfer_distance",
    "fscore",
    "nearest_distances",
    "sample_points_on_mesh",
    "voxel_iou",
    "voxel_surface_points",
]
