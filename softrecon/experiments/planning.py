"""Planning a table's runs: the overrides of a row, what is left to do in a table
folder, and how long it will take at the budget's measured costs."""

from __future__ import annotations

import dataclasses
from typing import List, Optional, Sequence, Tuple

from .budgets import Budget
from .catalogue import DATA_GROUPS, Row
from .run_folder import RunFolder


def train_overrides(row: Row, budget: Budget, data: str, seed: int) -> List[str]:
    """The ``train.py`` overrides of ``row`` (without the run folder)."""
    if data not in DATA_GROUPS:
        raise ValueError(f"data must be one of {tuple(DATA_GROUPS)}, got {data!r}")
    return [
        f"experiment={budget.experiments[row.kind]}",
        f"data={DATA_GROUPS[data]}",
        *row.overrides,
        f"trainer.seed={seed}",
    ]


def iterations_of(budget: Budget, extra_overrides: Sequence[str]) -> int:
    """Iterations a row trains: the budget's, unless an extra override sets trainer.iterations."""
    iterations = budget.iterations
    for override in extra_overrides:
        key, _, value = override.partition("=")
        if key.lstrip("+") == "trainer.iterations":
            iterations = int(value)
    return iterations


@dataclasses.dataclass(frozen=True)
class PendingRun:
    """What is left of one (row, seed) run: its training, and how many splits to evaluate."""

    row: Row
    train: bool
    num_evals: int


def pending_work(table_dir: str, runs: Sequence[Tuple[Row, int]], splits: Sequence[str]) -> List[PendingRun]:
    """The runs (row, seed) of a table folder that still have training or evaluation to do."""
    pending = []
    for row, seed in runs:
        folder = RunFolder.of(table_dir, row.name, seed)
        train = not folder.trained()
        num_evals = sum(not folder.evaluated(split) for split in splits)
        if train or num_evals:
            pending.append(PendingRun(row, train, num_evals))
    return pending


def estimate_seconds(
    pending: Sequence[PendingRun], budget: Budget, jobs: int, iterations: Optional[int] = None
) -> Optional[float]:
    """Wall time of the pending runs from the budget's measured costs per model kind and
    row (None if a cost they need was never measured); a run to train counts all ``iterations``
    (default: the budget's), even one that will resume. ``jobs`` runs share the machine
    at a time: the total over the jobs, but at least the longest run."""
    iterations = budget.iterations if iterations is None else iterations
    costs = []
    for run in pending:
        step, evaluation = budget.seconds_per_step(run.row), budget.eval_seconds[run.row.kind]
        if (run.train and step is None) or (run.num_evals and evaluation is None):
            return None
        costs.append((iterations * step if run.train else 0.0) + (run.num_evals * evaluation if run.num_evals else 0.0))
    if not costs:
        return 0.0
    return max(sum(costs) / max(1, jobs), max(costs))
