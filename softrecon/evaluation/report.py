"""Result tables of an evaluation: Markdown (with the published figures), CSV and JSON.

IoU values are fractions in [0, 1] in the files meant for programs (JSON, CSV) and
percentages in the Markdown table meant for people, as the papers print them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Dict, List, Optional

from softrecon import protocol
from softrecon.utils.atomic import atomic_write

from .published import PUBLISHED

# The 13 ShapeNetCore classes of the NMR renders (softrecon.protocol).
SHAPENET_CLASS_IDS = protocol.SHAPENET_CLASS_IDS

# Published mean 3D IoU (percent) over those 13 classes, with their sources (one place:
# softrecon.evaluation.published). Only means are quoted.
PUBLISHED_MEAN_IOU = tuple((f"{r.method} ({r.split} split; {r.source})", r.mean_iou) for r in PUBLISHED)


def is_shapenet_benchmark(class_ids) -> bool:
    """Whether the evaluated classes are exactly the 13 benchmark classes."""
    return set(class_ids) == set(SHAPENET_CLASS_IDS)


def _percent(value: Optional[float]) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.2f}"


def _number(value: Optional[float], digits: int = 5) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def markdown_table(results: Dict) -> str:
    """Per-class and mean results as Markdown, with the published means beside ours
    when the classes are the 13 ShapeNet benchmark classes."""
    has_points = bool(results.get("per_class_chamfer"))
    header = "| class | id | samples | 3D IoU (%) |" + (" Chamfer | F-score (%) |" if has_points else "")
    rule = "| --- | --- | ---: | ---: |" + (" ---: | ---: |" if has_points else "")
    lines = [header, rule]
    for name, class_id in results["class_ids"].items():
        row = f"| {name} | {class_id} | {results['num_samples'][name]} | {_percent(results['per_class'].get(name))} |"
        if has_points:
            row += f" {_number(results['per_class_chamfer'].get(name))} | {_percent(results['per_class_fscore'].get(name))} |"
        lines.append(row)
    mean_row = f"| **mean over classes** | | {sum(results['num_samples'].values())} | **{_percent(results['mean'])}** |"
    if has_points:
        mean_row += f" {_number(results.get('mean_chamfer'))} | {_percent(results.get('mean_fscore'))} |"
    lines.append(mean_row)
    if results.get("per_class_color_error"):
        lines += [
            "",
            f"Colour error on held-out views ({results['color_error_note']}): mean over classes {_number(results['mean_color_error'], 4)}",
        ]
        lines += [f"- {name}: {_number(value, 4)}" for name, value in results["per_class_color_error"].items()]
    if is_shapenet_benchmark(results["class_ids"].values()):
        lines += ["", "| method | mean 3D IoU (%) over the 13 classes |", "| --- | ---: |"]
        lines.append(f"| **ours** ({results['checkpoint_iteration']} iterations) | **{_percent(results['mean'])}** |")
        lines += [f"| {method} | {value} |" for method, value in PUBLISHED_MEAN_IOU]
    return "\n".join(lines) + "\n"


def csv_text(results: Dict) -> str:
    """One row per class plus a 'mean' row: class, class_id, samples, iou[, chamfer, fscore]."""
    has_points = bool(results.get("per_class_chamfer"))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["class", "class_id", "samples", "iou"] + (["chamfer", "fscore"] if has_points else []))
    for name, class_id in results["class_ids"].items():
        row: List = [name, class_id, results["num_samples"][name], results["per_class"].get(name)]
        if has_points:
            row += [results["per_class_chamfer"].get(name), results["per_class_fscore"].get(name)]
        writer.writerow(row)
    row = ["mean", "", sum(results["num_samples"].values()), results["mean"]]
    if has_points:
        row += [results.get("mean_chamfer"), results.get("mean_fscore")]
    writer.writerow(row)
    return buffer.getvalue()


def write_text(path: str, text: str) -> None:
    with atomic_write(path, "w") as handle:
        handle.write(text)


def _finite_or_none(value):
    """NaN and infinities -> None (JSON has no NaN; ``"mean": NaN`` is not valid JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(item) for item in value]
    return value


def write_json(path: str, payload: Dict) -> None:
    """``payload`` as strict JSON (non-finite numbers become null), written atomically."""
    write_text(path, json.dumps(_finite_or_none(payload), indent=2, sort_keys=False, allow_nan=False) + "\n")
