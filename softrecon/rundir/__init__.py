"""A run folder on disk: its checkpoints (``checkpoint``), paths and saved config
(``folder``), the lock that keeps one writer per folder (``lock``) and the logger of its
scalars, images and meshes (``logger``). Shared by training and evaluation."""

from .checkpoint import CheckpointError, list_checkpoints, load_checkpoint, resolve_checkpoint, save_checkpoint

__all__ = [
    "CheckpointError",
    "list_checkpoints",
    "load_checkpoint",
    "resolve_checkpoint",
    "save_checkpoint",
]
