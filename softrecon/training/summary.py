"""What a finished training run reports: ``TrainSummary`` and its one-line form."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from softrecon.rundir.checkpoint import CHECKPOINT_DIR
from softrecon.rundir.folder import CONFIG_FILE
from softrecon.rundir.logger import MESH_DIR, TENSORBOARD_DIR


@dataclass(frozen=True)
class TrainSummary:
    """The end of a training run (what ``softrecon.training.train`` returns).

    Attributes:
        run_dir: the run folder.
        iteration: iterations done in all.
        iterations_this_start: iterations this (re)start ran.
        seconds: wall-clock time of this start's iterations (logging, validation and
            checkpoints included).
        last_loss: the total loss of the last iteration (None when none ran).
        val_iou: the last validation voxel IoU, mean over classes, as a fraction in
            [0, 1] (None when validation is off or did not run this start).
        val_iteration: the iteration that validation was at.
    """

    run_dir: str
    iteration: int
    iterations_this_start: int
    seconds: float
    last_loss: Optional[float]
    val_iou: Optional[float]
    val_iteration: Optional[int]

    def line(self) -> str:
        """One line: iterations, time, last loss, last validation IoU, where everything is."""
        minutes, seconds = divmod(round(self.seconds), 60)
        parts = [
            f"trained to iteration {self.iteration} ({self.iterations_this_start} this start, {minutes} min {seconds} s)"
        ]
        parts.append("last loss " + (f"{self.last_loss:.4f}" if self.last_loss is not None else "-"))
        if self.val_iou is not None:
            parts.append(f"validation voxel IoU {self.val_iou:.4f} (mean over classes, iteration {self.val_iteration})")
        else:
            parts.append("no validation this start (trainer.val_every=0)")
        where = [f"{CHECKPOINT_DIR}/", CONFIG_FILE]
        for folder in (TENSORBOARD_DIR, MESH_DIR):
            if os.path.isdir(os.path.join(self.run_dir, folder)):
                where.append(f"{folder}/")
        parts.append(f"run folder {self.run_dir}: " + ", ".join(where))
        if TENSORBOARD_DIR + "/" in where:
            parts.append(f"view: tensorboard --logdir {os.path.join(self.run_dir, TENSORBOARD_DIR)}")
        return "; ".join(parts)
