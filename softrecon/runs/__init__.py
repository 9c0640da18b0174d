"""Run machinery shared by training and evaluation (below both in the layers).

Checkpoints (``checkpoint``), run folders and their lock (``run_dir``, ``run_lock``),
devices and the DDP set-up (``distributed``), RNG state (``rng``), phase timing
(``timing``), the run logger (``run_logger``), opening a run's dataset (``dataset``) and
the lr / sigma step schedule (``schedule``).
"""

from .checkpoint import CheckpointError, list_checkpoints, load_checkpoint, resolve_checkpoint, save_checkpoint
from .schedule import scheduled, step_decay

__all__ = [
    "CheckpointError",
    "list_checkpoints",
    "load_checkpoint",
    "resolve_checkpoint",
    "save_checkpoint",
    "scheduled",
    "step_decay",
]
