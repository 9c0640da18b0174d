"""Callbacks that keep a run: checkpoints (and the run folder's record) and validation."""

from __future__ import annotations

import os
import warnings

from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from softrecon.rundir.checkpoint import list_checkpoints, set_aside_after
from softrecon.rundir.folder import CONFIG_FILE
from softrecon.rundir.logger import RunLogger
from softrecon.utils.atomic import atomic_write

from .base import Callback, every, every_and_last


class Checkpointing(Callback):
    """Checkpoints every ``checkpoint_every`` iterations and at the last one, written
    after everything else the iteration does (so a resume repeats none of it).

    At each (re)start the main rank writes ``<run>/config.yaml`` and, when training
    branches from an older checkpoint, moves the folder's later checkpoints aside (they
    belong to the abandoned trajectory).

    Args:
        cfg: the run's config (written to ``config.yaml``).
        checkpoint_every: ``trainer.checkpoint_every``.
        total: the last iteration.
        is_main: whether this process writes (rank 0).
    """

    def __init__(self, cfg: DictConfig, checkpoint_every: int, total: int, is_main: bool) -> None:
        self.cfg, self.checkpoint_every, self.total, self.is_main = cfg, checkpoint_every, total, is_main

    def acts_at(self, iteration: int) -> bool:
        return every(iteration, self.checkpoint_every) or iteration == self.total

    def on_fit_start(self, trainer) -> None:
        if not self.is_main:
            return
        moved = set_aside_after(trainer.checkpoint_dir, trainer.iteration)
        if moved:
            warnings.warn(
                f"resumed at iteration {trainer.iteration}: the {len(moved)} later checkpoint(s) of this folder belong to "
                f"the abandoned trajectory and were moved to {os.path.dirname(moved[0])!r}"
            )
        with atomic_write(os.path.join(trainer.run_dir, CONFIG_FILE), "w") as handle:  # overwritten each (re)start
            handle.write(OmegaConf.to_yaml(self.cfg, resolve=True))

    def on_step_end(self, trainer, output) -> None:
        if self.acts_at(trainer.iteration):
            trainer.save_checkpoint()

    def on_fit_end(self, trainer) -> None:
        if trainer.iteration == self.total and self.is_main and not list_checkpoints(trainer.checkpoint_dir):
            trainer.save_checkpoint()  # e.g. iterations=0, or resumed at the end already


class Validation(Callback):
    """The cheap validation voxel IoU (``trainer.validate``) every ``val_every``
    iterations and at the last one (0: never), on the main rank: logged as ``val/*``
    scalars and printed.

    Args:
        logger: the run's logger.
        val_every: ``trainer.val_every``.
        total: the last iteration.
        is_main: whether this process validates (rank 0).
    """

    def __init__(self, logger: RunLogger, val_every: int, total: int, is_main: bool) -> None:
        self.logger, self.val_every, self.total, self.is_main = logger, val_every, total, is_main

    def acts_at(self, iteration: int) -> bool:
        return every_and_last(iteration, self.val_every, self.total)

    def on_step_end(self, trainer, output) -> None:
        it = trainer.iteration
        if self.is_main and self.acts_at(it):
            values = trainer.validate()
            self.logger.scalars(values, it)
            tqdm.write(f"iteration {it}: validation voxel IoU (mean over classes) {values['val/iou_mean']:.4f}")
