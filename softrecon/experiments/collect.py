"""Collecting a table: each run's result read from its folder (``read_row``), a row's
seeds combined into one (``combine_seeds``)."""

from __future__ import annotations

import dataclasses
import json
import statistics
from typing import Dict, List, Sequence

from .catalogue import Row
from .run_folder import RunFolder, RunState


@dataclasses.dataclass
class RowResult:
    """What one row gave: per-class and mean IoU per split, and where it came from. A
    row of several seeds (``combine_seeds``) holds the means over its seeds, the spread
    of its mean IoU and the per-seed results."""

    row: Row
    status: str  # a RunState, or one with its reason ('failed: ...', 'done, but ...')
    iou: Dict[str, Dict[str, float]]  # split -> {class name: IoU fraction, 'mean': ...}
    record: Dict  # row.json: commit, overrides, seed, config path, train seconds
    spread: Dict[str, float] = dataclasses.field(default_factory=dict)  # split -> sd of the mean IoU over seeds
    color_error: Dict[str, float] = dataclasses.field(default_factory=dict)  # split -> mean held-out colour error
    per_seed: List["RowResult"] = dataclasses.field(default_factory=list)  # empty for a single seed
    per_object: Dict[str, Dict] = dataclasses.field(
        default_factory=dict
    )  # split -> {class: {object: IoU}} (metrics.json)

    @property
    def runs(self) -> List["RowResult"]:
        """The per-seed results, or the row itself when it has one seed."""
        return self.per_seed or [self]

    @property
    def seeds(self) -> List:
        """The seeds behind the row's values (those evaluated on some split)."""
        if not self.per_seed:
            return [self.record.get("seed", "")]
        return [result.record.get("seed", "") for result in self.per_seed if result.iou]


def read_row(row_dir: str, row: Row, splits: Sequence[str]) -> RowResult:
    """Collect a row from its folder (missing pieces give status 'not run')."""
    folder = RunFolder(row_dir)
    record = folder.read_record()
    if record is None:
        return RowResult(row, RunState.NOT_RUN, {}, {})
    iou, color_error, per_object = {}, {}, {}
    for split in splits:
        if folder.evaluated(split):
            with open(folder.metrics_path(split), encoding="utf-8") as handle:
                metrics = json.load(handle)
            iou[split] = dict(metrics["per_class"], mean=metrics["mean"])
            if metrics.get("per_object"):
                per_object[split] = metrics["per_object"]
            if "mean_color_error" in metrics:  # the colour model's held-out colour error (eval.py)
                color_error[split] = metrics["mean_color_error"]
    status = record.get("status", RunState.DONE)
    if status == RunState.DONE and len(iou) < len(splits):
        status = RunState.NOT_EVALUATED
    return RowResult(row, status, iou, record, color_error=color_error, per_object=per_object)


def combine_seeds(results: Sequence[RowResult]) -> RowResult:
    """One row from its per-seed results (same row, one per seed): per split, the mean
    over the seeds evaluated on it of each class's IoU and of the mean IoU, and the
    sample standard deviation of the mean IoU (with two seeds or more). Status 'done'
    when every seed is done, else the first other status with how many seeds are done."""
    if len(results) == 1:
        return results[0]
    iou: Dict[str, Dict[str, float]] = {}
    spread: Dict[str, float] = {}
    color_error: Dict[str, float] = {}
    for split in sorted({split for result in results for split in result.iou}):
        evaluated = [result.iou[split] for result in results if split in result.iou]
        names = [name for name in evaluated[0] if all(name in values for values in evaluated)]
        iou[split] = {name: statistics.fmean(values[name] for values in evaluated) for name in names}
        if len(evaluated) >= 2:
            spread[split] = statistics.stdev(values["mean"] for values in evaluated)
        errors = [result.color_error[split] for result in results if split in result.color_error]
        if errors:
            color_error[split] = statistics.fmean(errors)
    done = sum(result.status == RunState.DONE for result in results)
    status = (
        RunState.DONE
        if done == len(results)
        else f"{next(r.status for r in results if r.status != RunState.DONE)} ({done}/{len(results)} seeds done)"
    )
    first = results[0]
    return RowResult(
        first.row, status, iou, first.record, spread=spread, color_error=color_error, per_seed=list(results)
    )
