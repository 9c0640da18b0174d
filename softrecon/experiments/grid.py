"""A factorial table's summary: GenDR's grid of distributions x T-conorms read as a grid.

GenDR (Petersen et al., CVPR 2022) ranks its distributions by their IoU averaged over the
T-conorms. A table whose rows carry the factors ``distribution`` and ``T-conorm``
(``catalogue.Row.factors``) gets, per split:

- the matrix of mean IoUs (over seeds), one line per distribution, one column per T-conorm,
  the best of each column in bold;
- each distribution's mean over the T-conorms, with the intervals of ``statistics`` and its
  paired difference to a reference distribution. Pairing is per seed (the seed-s runs of
  all T-conorms averaged, minus the reference's) and per object (each object's IoU averaged
  over the T-conorms and seeds, the same objects resampled for both).

Only distributions with a run under every T-conorm of the table, on every seed the
reference has, are averaged: a partial row would be an average over other T-conorms or
seeds.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from . import statistics as statistics_
from .catalogue import DISTRIBUTION, T_CONORM
from .collect import RowResult

#: The distribution the others are paired with when the table's baseline row is no cell of
#: the grid: SoftRas' own (the paper's sigmoid is the logistic's CDF).
DEFAULT_REFERENCE = "logistic"


def cell_of(result: RowResult) -> Optional[Tuple[str, str]]:
    """(distribution, T-conorm) of a row, or None for a row outside the grid."""
    factors = dict(result.row.factors)
    if DISTRIBUTION in factors and T_CONORM in factors:
        return factors[DISTRIBUTION], factors[T_CONORM]
    return None


def _seed_runs(result: RowResult, split: str) -> Dict[object, RowResult]:
    """seed -> that seed's run, for the runs evaluated on ``split``."""
    return {run.record.get("seed", ""): run for run in result.runs if split in run.iou}


def averaged_runs(cells: Sequence[RowResult], split: str, seeds: Sequence) -> List[statistics_.RunStats]:
    """One ``RunStats`` per seed of ``seeds``: the mean IoU of that seed's runs averaged over
    ``cells`` (the T-conorms of one distribution), their per-object IoUs averaged likewise
    (None when a cell did not record them)."""
    runs = []
    for seed in seeds:
        per_cell = [_seed_runs(cell, split)[seed] for cell in cells]
        objects = [run.per_object.get(split) for run in per_cell]
        runs.append(
            statistics_.RunStats(
                seed,
                sum(run.iou[split]["mean"] for run in per_cell) / len(per_cell),
                statistics_.average_objects(objects) if all(objects) else None,
            )
        )
    return runs


def grid_lines(results: Sequence[RowResult], split: str) -> List[str]:
    """The grid's Markdown on ``split`` (empty when fewer than two rows are cells of a
    grid, or no distribution has every T-conorm). The reference distribution is the
    baseline's (``results[0]``) when it is a cell, else ``DEFAULT_REFERENCE``."""
    cells = {cell_of(result): result for result in results if cell_of(result) and split in result.iou}
    if len(cells) < 2:
        return []
    distributions = list(dict.fromkeys(distribution for distribution, _ in cells))
    t_conorms = list(dict.fromkeys(t_conorm for _, t_conorm in cells))
    means = {cell: result.iou[split]["mean"] for cell, result in cells.items()}
    best = {t: max(means[d, t] for d in distributions if (d, t) in means) for t in t_conorms}

    def cell_text(distribution, t_conorm):
        value = means.get((distribution, t_conorm))
        text = statistics_.points(value)
        return f"**{text}**" if value is not None and value == best[t_conorm] else text

    lines = [
        f"### The grid: mean IoU per distribution and T-conorm ({split})",
        "",
        "| distribution | " + " | ".join(t_conorms) + " |",
        "| --- | " + " | ".join(["---:"] * len(t_conorms)) + " |",
    ]
    lines += [f"| {d} | " + " | ".join(cell_text(d, t) for t in t_conorms) + " |" for d in distributions]
    complete = [d for d in distributions if all((d, t) in cells for t in t_conorms)]
    baseline = cell_of(results[0])
    reference = baseline[0] if baseline and baseline[0] in complete else DEFAULT_REFERENCE
    seeds = (
        [
            s
            for s in _seed_runs(cells[reference, t_conorms[0]], split)
            if all(s in _seed_runs(cells[reference, t], split) for t in t_conorms)
        ]
        if reference in complete
        else []
    )
    if not seeds:
        lines += [
            "",
            f"No mean over the T-conorms is paired: the reference distribution `{reference}` lacks a run "
            f"under some of {', '.join(t_conorms)} on every seed.",
        ]
        return lines
    averaged = {}  # the distributions with a run of every T-conorm on every seed of the reference's
    for d in complete:
        own = [cells[d, t] for t in t_conorms]
        if all(s in _seed_runs(cell, split) for s in seeds for cell in own):
            averaged[d] = averaged_runs(own, split, seeds)
    base = averaged[reference]
    stats = {d: statistics_.row_stats(runs, None if d == reference else base) for d, runs in averaged.items()}
    order = sorted(stats, key=lambda d: -stats[d].over_seeds.estimate)
    left_out = [d for d in distributions if d not in averaged]
    lines += [
        "",
        f"### Each distribution's mean over the T-conorms {', '.join(t_conorms)} ({split}), best first",
        "",
        *statistics_.markdown_lines(order, [stats[d] for d in order], reference),
    ]
    if left_out:
        lines += [
            "",
            f"Not averaged (a run missing under some T-conorm, or on a seed of `{reference}`'s "
            f"{', '.join(str(s) for s in seeds)}): {', '.join(left_out)}.",
        ]
    return lines
