"""Evaluation of trained reconstruction models: voxel IoU (+ Chamfer, F-score) per class."""

from .evaluate import evaluate, load_model
from .scoring import VoxelScorer, reconstruct

__all__ = ["VoxelScorer", "evaluate", "load_model", "reconstruct"]
