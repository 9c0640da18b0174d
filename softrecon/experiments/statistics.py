"""What a table's numbers can carry: each row's mean IoU with 95% intervals over seeds and
over test objects, and its paired difference to the table's baseline row.

Two sources of noise, two intervals:

- **seeds** (training noise): the row's mean IoU per seed, a Student-t interval over the
  seeds; the paired difference pairs the runs of the same seed (row minus baseline) and
  takes the t interval of those differences.
- **objects** (the finite test set): the per-object IoUs (each object's voxel IoU averaged
  over its views and over the seeds) resampled within each class by a percentile
  bootstrap, the statistic being the benchmark's own (the unweighted mean over classes of
  the per-class means); the paired difference resamples the same objects for the row and
  the baseline, so that what both find hard cancels.

A row is marked where a paired interval excludes zero. The stratified bootstrap is written
here (numpy): ``scipy.stats.bootstrap`` resamples one sample or independent samples, not
strata with a statistic over them.

Input: per seed, one mean IoU and ``{class: {object: iou}}`` (``eval.py``'s metrics.json
``mean`` and ``per_object``).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
import scipy.stats

#: Confidence of every interval.
CONFIDENCE = 0.95
#: Bootstrap resamples (the percentile interval's ends move by ~0.1 point of IoU between
#: generator seeds at this count on a 500-object test set).
RESAMPLES = 2000
#: Seed of the bootstrap's generator: a table is reproducible to the digit.
BOOTSTRAP_SEED = 0

#: {class: {object: iou}} of one run (or averaged over runs).
PerObject = Mapping[str, Mapping[str, float]]


@dataclasses.dataclass(frozen=True)
class Interval:
    """An estimate with its 95% interval (NaN ends where it cannot be given)."""

    estimate: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


NO_INTERVAL = Interval(math.nan, math.nan, math.nan)


def seed_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean of ``values`` (one per seed) with its Student-t interval (NaN ends below two
    values)."""
    values = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not values:
        return NO_INTERVAL
    mean = float(np.mean(values))
    if len(values) < 2:
        return Interval(mean, math.nan, math.nan)
    half = scipy.stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * np.std(values, ddof=1) / math.sqrt(len(values))
    return Interval(mean, mean - half, mean + half)


def average_objects(runs: Sequence[PerObject]) -> Dict[str, Dict[str, float]]:
    """Each object's IoU averaged over the runs that evaluated it (objects of all runs)."""
    sums: Dict[str, Dict[str, List[float]]] = {}
    for run in runs:
        for name, objects in run.items():
            for obj, iou in objects.items():
                sums.setdefault(name, {}).setdefault(obj, []).append(float(iou))
    return {name: {obj: float(np.mean(v)) for obj, v in objects.items()} for name, objects in sums.items()}


def _class_mean_bootstrap(per_class: Sequence[np.ndarray], confidence: float, resamples: int, seed: int) -> Interval:
    """The unweighted mean over classes of per-class means of ``per_class`` (one array of
    per-object values per class), with its stratified percentile-bootstrap interval."""
    per_class = [values for values in per_class if len(values)]
    if not per_class:
        return NO_INTERVAL
    estimate = float(np.mean([values.mean() for values in per_class]))
    generator = np.random.default_rng(seed)
    draws = np.zeros(resamples)
    for values in per_class:
        picks = generator.integers(0, len(values), size=(resamples, len(values)))
        draws += values[picks].mean(axis=1)
    draws /= len(per_class)
    tail = (1 - confidence) / 2
    return Interval(estimate, float(np.quantile(draws, tail)), float(np.quantile(draws, 1 - tail)))


def object_interval(
    per_object: PerObject, confidence: float = CONFIDENCE, resamples: int = RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> Interval:
    """The class-mean IoU of ``per_object`` with its bootstrap interval over objects."""
    arrays = [np.array(list(objects.values()), dtype=float) for objects in per_object.values()]
    return _class_mean_bootstrap(arrays, confidence, resamples, seed)


def paired_object_interval(
    row: PerObject,
    baseline: PerObject,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Interval:
    """Row minus baseline in class-mean IoU over the objects both evaluated, the same objects
    resampled for both (a paired bootstrap)."""
    arrays = []
    for name, objects in row.items():
        shared = [obj for obj in objects if obj in baseline.get(name, {})]
        arrays.append(np.array([objects[obj] - baseline[name][obj] for obj in shared], dtype=float))
    return _class_mean_bootstrap(arrays, confidence, resamples, seed)


@dataclasses.dataclass(frozen=True)
class RunStats:
    """One seed's run of a row: its mean IoU and per-object IoUs (None: not recorded)."""

    seed: object
    mean: float
    per_object: Optional[PerObject]


@dataclasses.dataclass(frozen=True)
class RowStats:
    """A row's intervals, and its paired differences to the baseline (None for the
    baseline itself or without a baseline)."""

    over_seeds: Interval
    over_objects: Interval
    difference_over_seeds: Optional[Interval]
    difference_over_objects: Optional[Interval]

    @property
    def marks(self) -> str:
        """'*' where the paired interval over seeds excludes 0, '†' where the one over objects
        does."""
        marks = ""
        if self.difference_over_seeds is not None and self.difference_over_seeds.excludes_zero:
            marks += "*"
        if self.difference_over_objects is not None and self.difference_over_objects.excludes_zero:
            marks += "†"
        return marks


def row_stats(runs: Sequence[RunStats], baseline: Optional[Sequence[RunStats]] = None) -> RowStats:
    """The intervals of a row from its runs, paired with the baseline's runs of the same
    seeds (and the same objects) when ``baseline`` is given."""
    over_seeds = seed_interval([run.mean for run in runs])
    recorded = [run.per_object for run in runs if run.per_object]
    over_objects = object_interval(average_objects(recorded)) if recorded else NO_INTERVAL
    if baseline is None:
        return RowStats(over_seeds, over_objects, None, None)
    base = {run.seed: run for run in baseline}
    paired = [(run, base[run.seed]) for run in runs if run.seed in base]
    difference_over_seeds = seed_interval([run.mean - other.mean for run, other in paired]) if paired else NO_INTERVAL
    with_objects = [(run, other) for run, other in paired if run.per_object and other.per_object]
    difference_over_objects = (
        paired_object_interval(
            average_objects([run.per_object for run, _ in with_objects]),
            average_objects([other.per_object for _, other in with_objects]),
        )
        if with_objects
        else NO_INTERVAL
    )
    return RowStats(over_seeds, over_objects, difference_over_seeds, difference_over_objects)


#: How to read the marks: the one sentence the tables print.
READING = (
    "Intervals are 95%: over seeds (Student t of the per-seed means) and over test objects (a bootstrap "
    "of the per-object IoUs within each class); Δ is the row minus the baseline on the same seeds and the "
    "same objects, and a row is marked `*` where Δ's interval over seeds excludes zero (the effect exceeds "
    "training noise) and `†` where its interval over objects does (it exceeds the test set's sampling "
    "noise), so an unmarked row cannot be told from its baseline."
)


def points(value: float) -> str:
    """A fraction as percentage points to two decimals ('' for None or NaN)."""
    return "" if value is None or not math.isfinite(value) else f"{100 * value:.2f}"


def _interval(interval: Optional[Interval], signed: bool = False) -> str:
    if interval is None or not math.isfinite(interval.low):
        return ""
    return (
        f"[{100 * interval.low:+.2f}, {100 * interval.high:+.2f}]"
        if signed
        else (f"[{points(interval.low)}, {points(interval.high)}]")
    )


def markdown_lines(names: Sequence[str], stats: Sequence[RowStats], baseline_name: str) -> List[str]:
    """The table of intervals (IoU in percentage points), one line per row, and the
    sentence on how to read it."""
    lines = [
        f"Mean IoU with 95% intervals; Δ: paired difference to `{baseline_name}`. {READING}",
        "",
        "| row | mean | 95% (seeds) | 95% (objects) | Δ | Δ 95% (seeds) | Δ 95% (objects) | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, row in zip(names, stats):
        difference = row.difference_over_seeds
        delta = (
            "" if difference is None or not math.isfinite(difference.estimate) else f"{100 * difference.estimate:+.2f}"
        )
        lines.append(
            f"| {name} | {points(row.over_seeds.estimate)} | {_interval(row.over_seeds)} | "
            f"{_interval(row.over_objects)} | {delta} | {_interval(row.difference_over_seeds, True)} | "
            f"{_interval(row.difference_over_objects, True)} | {row.marks} |"
        )
    return lines
