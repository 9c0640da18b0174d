"""Training: the multi-view objective, the loop with exact resume and DDP.

Checkpoints and the schedule live in ``softrecon.runs`` (shared with evaluation); they
are re-exported here so that ``from softrecon.training import save_checkpoint`` works.
"""

from softrecon.models.inference import resize_images
from softrecon.runs.checkpoint import (
    CheckpointError,
    list_checkpoints,
    load_checkpoint,
    resolve_checkpoint,
    save_checkpoint,
)
from softrecon.runs.schedule import step_decay

from .objective import MultiViewObjective, StepOutput
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
