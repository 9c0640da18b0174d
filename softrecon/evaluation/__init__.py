"""Evaluation of trained reconstruction models: voxel IoU (+ Chamfer, F-score) per class."""

from softrecon.models.inference import reconstruct

from .evaluate import evaluate, load_model
from .scoring import VoxelScorer

__all__ = ["VoxelScorer", "evaluate", "load_model", "reconstruct"]
