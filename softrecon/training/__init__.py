"""Training: the multi-view objective, the model with its loss (``task``), the loop
(``loop``) and its callbacks, set up from the config (``assemble``) by ``Trainer``, with
exact resume and DDP.

Checkpoints and the schedule live in ``softrecon.rundir`` (shared with evaluation); they
are re-exported here so that ``from softrecon.training import save_checkpoint`` works.
"""

from softrecon.config.schedule import scheduled, step_decay
from softrecon.models.inference import resize_images
from softrecon.rundir.checkpoint import (
    CheckpointError,
    list_checkpoints,
    load_checkpoint,
    resolve_checkpoint,
    save_checkpoint,
)

from .callbacks import Callback
from .loop import FitLoop
from .objective import MultiViewObjective, StepOutput
from .summary import TrainSummary
from .task import ReconstructionTask
from .trainer import Trainer, train

__all__ = [
    "Callback",
    "CheckpointError",
    "FitLoop",
    "MultiViewObjective",
    "ReconstructionTask",
    "StepOutput",
    "TrainSummary",
    "Trainer",
    "list_checkpoints",
    "load_checkpoint",
    "resize_images",
    "resolve_checkpoint",
    "save_checkpoint",
    "scheduled",
    "step_decay",
    "train",
]
