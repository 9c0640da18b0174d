"""Training: the multi-view objective, the loop with exact resume and DDP, checkpoints."""

from .checkpoint import CheckpointError, list_checkpoints, load_checkpoint, resolve_checkpoint, save_checkpoint
from .objective import MultiViewObjective, StepOutput, resize_images
from .schedule import step_decay
from .trainer import Trainer, train

__all__ = [
    "CheckpointError",
    "MultiViewObjective",
    "StepOutput",
    "Trainer",
    "list_checkpoints",
    "load_checkpoint",
    "resize_images",
    "resolve_checkpoint",
    "save_checkpoint",
    "step_decay",
    "train",
]
