"""Budgets: how long each row of a table trains and what that costs. The figures are
data (``budgets.yaml`` beside this file, each measurement's source in docs/TABLES.md,
"Time estimates"); ``BUDGETS`` holds them as ``Budget`` objects."""

from __future__ import annotations

import dataclasses
import os
from typing import Dict, Optional

import yaml

from .catalogue import Row

BUDGETS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "budgets.yaml")


@dataclasses.dataclass(frozen=True)
class Budget:
    """How long each row trains: the presets it starts from and what that costs."""

    name: str
    experiments: Dict[str, str]  # model kind ('silhouette' | 'color') -> experiment preset
    iterations: int  # the presets' trainer.iterations (for the time estimate)
    seconds_per_iteration: Dict[str, Optional[float]]  # kind -> measured cost of one iteration, None if unmeasured
    measured_on: str  # where the costs were measured (and how)
    eval_seconds: Dict[str, Optional[float]]  # kind -> one evaluation of a row on one split, same machine
    # row name -> its step's measured cost over its preset's (rows that render far more
    # pixel-face pairs than the preset); rows not listed cost what their preset does.
    row_step_factors: Dict[str, float] = dataclasses.field(default_factory=dict)

    def seconds_per_step(self, row: Row) -> Optional[float]:
        """Measured seconds of one training iteration of ``row`` (None if unmeasured)."""
        step = self.seconds_per_iteration[row.kind]
        return None if step is None else step * self.row_step_factors.get(row.name, 1.0)


def load_budgets(path: str = BUDGETS_FILE) -> Dict[str, Budget]:
    """{name: Budget} of a budgets file (``budgets.yaml``: one mapping of ``Budget``'s fields per budget)."""
    with open(path, encoding="utf-8") as handle:
        entries = yaml.safe_load(handle)
    return {name: Budget(name=name, **fields) for name, fields in entries.items()}


BUDGETS: Dict[str, Budget] = load_budgets()
