"""Rendering a collected table: Markdown (one block per split, the intervals of
``statistics``, a factorial table's ``grid`` summary, the rows' provenance, the published
figures) and its CSV twin."""

from __future__ import annotations

import csv
import io
import math
from typing import List, Sequence

from . import grid
from . import statistics as statistics_
from .catalogue import Table
from .collect import RowResult


def _percent(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.2f}"


def _class_names(results: Sequence[RowResult], split: str) -> List[str]:
    names: List[str] = []
    for result in results:
        for name in result.iou.get(split, {}):
            if name != "mean" and name not in names:
                names.append(name)
    return names


def markdown(
    table: Table, results: Sequence[RowResult], splits: Sequence[str], heading: str, data: str = "shapenet"
) -> str:
    """The table as Markdown: one block per split, rows x classes + mean, then (on the
    ShapeNet data only: elsewhere they are not comparable) the published means;
    per-class published cells are left empty: none could be sourced."""
    lines = [f"# {table.title}", "", heading, ""]
    published_rows = table.published if data == "shapenet" else ()
    if table.published and not published_rows:
        lines += [
            f"The published figures ({', '.join(f'{p.method}: {p.mean_iou}' for p in table.published)}) are on ShapeNet; not comparable with the {data} data.",
            "",
        ]
    several = any(result.per_seed for result in results)
    if several:
        lines += [
            "Each row's cells are means over its seeds; `sd` is the sample standard deviation of the mean IoU "
            "over the seeds (percentage points), `seeds` the seeds behind the values.",
            "",
        ]
    for split in splits:
        names = _class_names(results, split)
        colors = any(split in result.color_error for result in results)
        extra = (["sd", "seeds"] if several else []) + (["colour error"] if colors else [])
        lines += [f"## {split} split", "", "| row | " + " | ".join(names + ["mean"] + extra) + " | status |"]
        lines.append("| --- | " + " | ".join(["---:"] * (len(names) + 1 + len(extra))) + " | --- |")
        for result in results:
            values = result.iou.get(split, {})
            cells = [_percent(values.get(name)) for name in names + ["mean"]]
            if several:
                cells += [_percent(result.spread.get(split)), " ".join(str(seed) for seed in result.seeds)]
            if colors:
                error = result.color_error.get(split)
                cells.append("" if error is None else f"{error:.4f}")
            lines.append(f"| {result.row.name} | " + " | ".join(cells) + f" | {result.status} |")
        for entry in published_rows:
            lines.append(
                f"| *{entry.method}* (published, {entry.split} split) | "
                + " | ".join([""] * len(names))
                + f" | {entry.mean_iou} |"
                + " |" * len(extra)
                + " |"
            )
        if results and any(result.iou.get(split) for result in results):
            lines += ["", *interval_lines(results, split)]
            summary = grid.grid_lines(results, split)
            lines += ["", *summary] if summary else []
        if colors:
            lines += [
                "",
                "colour error: mean absolute RGB error (0 to 1) of the predicted textured mesh rendered at the "
                "input view and held-out views, against their images (eval.py, `mean_color_error`).",
            ]
        lines.append("")
    lines += ["## Rows", "", "| row | overrides | commit | seed | description |", "| --- | --- | --- | --- | --- |"]
    for result in results:
        for one in result.runs:
            record = one.record
            overrides = " ".join(record.get("overrides", [])) or " ".join(one.row.overrides)
            lines.append(
                f"| {one.row.name} | `{overrides}` | {record.get('commit', '')} | {record.get('seed', '')} | {one.row.description} |"
            )
    if published_rows:
        lines += ["", "Published figures and their sources:", ""]
        lines += [
            f"- {entry.method}: {entry.mean_iou} ({entry.split} split). {entry.source}" for entry in published_rows
        ]
    return "\n".join(lines) + "\n"


def run_stats(result: RowResult, split: str) -> List[statistics_.RunStats]:
    """The per-seed mean IoUs and per-object IoUs of a row on a split."""
    return [
        statistics_.RunStats(one.record.get("seed", ""), one.iou[split]["mean"], one.per_object.get(split))
        for one in result.runs
        if split in one.iou
    ]


def interval_lines(results: Sequence[RowResult], split: str) -> List[str]:
    """The table of intervals of ``statistics.py`` for a split; the first row is the
    baseline the others are paired with."""
    baseline = run_stats(results[0], split)
    stats = [statistics_.row_stats(run_stats(r, split), None if i == 0 else baseline) for i, r in enumerate(results)]
    return statistics_.markdown_lines([r.row.name for r in results], stats, results[0].row.name)


def csv_text(results: Sequence[RowResult], splits: Sequence[str]) -> str:
    """One line per (row, seed, split, class) plus the mean: row, split, class, iou,
    status, commit, seed, overrides, config (machine-readable twin of the Markdown; the
    per-seed values, from which the Markdown's means and spreads are computed). A colour
    model's held-out colour error is one more line, class ``color_error``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", "split", "class", "iou", "status", "commit", "seed", "overrides", "config"])
    for result in results:
        for one in result.runs:
            record = one.record
            common = [
                one.status,
                record.get("commit", ""),
                record.get("seed", ""),
                " ".join(record.get("overrides", [])),
                record.get("config", ""),
            ]
            for split in splits:
                for name, value in one.iou.get(split, {}).items():
                    writer.writerow([one.row.name, split, name, value, *common])
                if split in one.color_error:
                    writer.writerow([one.row.name, split, "color_error", one.color_error[split], *common])
            if not one.iou:
                writer.writerow([one.row.name, "", "", "", *common])
    return buffer.getvalue()
