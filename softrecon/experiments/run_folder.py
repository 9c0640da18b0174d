"""One run of a table on disk, and the states a run is in: the layout that the package
(planning, collecting) and ``softrecon-reproduce`` (training, evaluating) share.

Layout of a reproduction::

    <out>/<table>/<data>-<budget>/<row>/         a training run folder (checkpoints/, ...), seed 0
        row.json                                  written once its training finished
        eval_<split>/metrics.json                 eval.py's result on that split
        eval_<split>/data.json                    the data folder that evaluation read
    <out>/<table>/<data>-<budget>/<row>-seed<s>/  the same row trained with seed s > 0
    <out>/<table>/<data>-<budget>/table.md, table.csv
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
from typing import Any, Dict, Optional

from softrecon.rundir.checkpoint import CHECKPOINT_DIR
from softrecon.rundir.folder import CONFIG_FILE
from softrecon.utils.atomic import atomic_write

ROW_RECORD = "row.json"
EVAL_DATA_RECORD = "data.json"  # eval_<split>/data.json: the data folder an evaluation read
METRICS_FILE = "metrics.json"  # eval_<split>/metrics.json: eval.py's result


class RunState(str, enum.Enum):
    """Where a run (row, seed) stands, as the table and ``--status`` print it. A status with
    a reason is ``status.because(reason)`` ('failed: training (see ...)'); a plain one is
    the member. The members compare equal to their text (a ``str`` enum)."""

    DONE = "done"
    NOT_RUN = "not run"  # no row.json: never trained to its end
    NOT_EVALUATED = "not evaluated"  # trained, some split not evaluated
    FAILED = "failed"
    # The states of a run submitted to SLURM (``cluster_runs``) until it is done or failed.
    NOT_SUBMITTED = "not submitted"
    PENDING = "pending"
    REQUEUED = "requeued"
    RUNNING = "running"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def because(self, reason: str) -> str:
        """The status with its reason: ``'<status>: <reason>'``."""
        return f"{self.value}: {reason}"


@dataclasses.dataclass(frozen=True)
class RunFolder:
    """The folder of one run (row, seed) of a table: where its record, config,
    checkpoints and evaluations are.

    Args:
        path: the run folder (``<table folder>/<row>`` or ``<row>-seed<s>``: ``of``).
    """

    path: str

    @staticmethod
    def name(row_name: str, seed: int) -> str:
        """The folder name of a row trained with ``seed``: the row's name for seed 0 (where a
        single-seed table keeps it), ``<row>-seed<seed>`` otherwise."""
        return row_name if seed == 0 else f"{row_name}-seed{seed}"

    @classmethod
    def of(cls, table_dir: str, row_name: str, seed: int) -> "RunFolder":
        """The folder of (row, seed) in a table folder."""
        return cls(os.path.join(table_dir, cls.name(row_name, seed)))

    @property
    def record_path(self) -> str:
        """row.json: written once the run's training finished."""
        return os.path.join(self.path, ROW_RECORD)

    @property
    def config_path(self) -> str:
        """The run's saved config (written by training)."""
        return os.path.join(self.path, CONFIG_FILE)

    @property
    def checkpoint_dir(self) -> str:
        return os.path.join(self.path, CHECKPOINT_DIR)

    def trained(self) -> bool:
        """Whether the training finished (row.json is there)."""
        return os.path.exists(self.record_path)

    def has_checkpoints(self) -> bool:
        """Whether an interrupted training left checkpoints to resume from."""
        return os.path.isdir(self.checkpoint_dir) and bool(os.listdir(self.checkpoint_dir))

    def read_record(self) -> Optional[Dict[str, Any]]:
        """row.json's content, or None before the training finished."""
        if not self.trained():
            return None
        with open(self.record_path, encoding="utf-8") as handle:
            return json.load(handle)

    def write_record(self, record: Dict[str, Any]) -> None:
        """Write row.json (atomically)."""
        with atomic_write(self.record_path, "w") as handle:
            json.dump(record, handle, indent=2)

    def eval_dir(self, split: str) -> str:
        """Where the run's evaluation on ``split`` goes (eval.py's run folder)."""
        return os.path.join(self.path, f"eval_{split}")

    def metrics_path(self, split: str) -> str:
        """eval.py's metrics of the run on ``split``; its existence marks the split evaluated."""
        return os.path.join(self.eval_dir(split), METRICS_FILE)

    def eval_data_path(self, split: str) -> str:
        """Where the data an evaluation of ``split`` read is recorded (``drift.data_identity``)."""
        return os.path.join(self.eval_dir(split), EVAL_DATA_RECORD)

    def evaluated(self, split: str) -> bool:
        return os.path.exists(self.metrics_path(split))
