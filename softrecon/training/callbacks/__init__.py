"""The training loop's callbacks (Lightning's picture without its library): logging
(``logs``) and keeping the run (``checkpointing``), built from the config by
``default_callbacks``."""

from __future__ import annotations

from typing import List

from omegaconf import DictConfig

from softrecon.rundir.logger import RunLogger

from .base import Callback
from .checkpointing import Checkpointing, Validation
from .logs import ImageLog, MeshLog, ProgressBar, RunRecord, ScalarLog


def default_callbacks(cfg: DictConfig, logger: RunLogger, is_main: bool) -> List[Callback]:
    """The callbacks of ``train.py``, in the order they act on an iteration: progress bar,
    scalars, images, meshes, validation, the run's record (config text; hyperparameters
    with the final metrics at the end), then the checkpoint (last: it saves the state
    after everything the iteration did)."""
    trainer_cfg, total = cfg.trainer, int(cfg.trainer.iterations)
    return [
        ProgressBar(total, int(trainer_cfg.log_every), is_main and bool(cfg.logging.progress)),
        ScalarLog(logger, int(trainer_cfg.log_every), total, int(cfg.data.batch_size)),
        ImageLog(logger, int(trainer_cfg.image_every), total),
        MeshLog(logger, int(trainer_cfg.mesh_every), int(cfg.logging.mesh_samples), total),
        Validation(logger, int(trainer_cfg.val_every), total, is_main),
        RunRecord(logger, cfg),
        Checkpointing(cfg, int(trainer_cfg.checkpoint_every), total, is_main),
    ]


__all__ = [
    "Callback",
    "Checkpointing",
    "ImageLog",
    "MeshLog",
    "ProgressBar",
    "RunRecord",
    "ScalarLog",
    "Validation",
    "default_callbacks",
]
