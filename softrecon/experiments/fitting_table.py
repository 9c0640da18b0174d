"""The fitting table: shape fitting and pose fitting with each renderer, on shipped meshes.

The paper's fitting comparisons (SoftRas against NMR, Kato et al. 2018) as runs of the
two fitting commands, one run folder per (case, renderer, seed):

- **shape**: ``softrecon-fit-mesh`` deforms the template sphere to a shipped mesh's
  silhouettes; scored by the held-out views' silhouette IoU and the voxel IoU against the
  true mesh. Seeds change which fitting views each step draws.
- **pose**: ``softrecon-fit-pose`` recovers the rigid pose of an object under occlusion
  from random starts turned ``perturbation`` degrees away from the truth; scored by the
  success rate (final rotation error under the command's ``success_rotation_deg``) and
  the median rotation error. Seed ``s`` runs the starts ``1000 s``, ``1000 s + 1``, ...,
  so every renderer starts from the same poses and the seeds never share a start.

Each renderer is compared with the baseline (SoftRas) on the same seeds (shape) or the
same starts (pose): paired differences with their 95% intervals, marked ``*`` where the
interval excludes zero. The fits run as subprocesses of the installed commands; a run
whose ``metrics.json`` is there is read, not run again (its ``request.json`` must match).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from importlib.resources import files
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import scipy.stats

from softrecon.experiments import statistics as stats
from softrecon.utils.atomic import atomic_write

#: The table's name (``softrecon-reproduce --table fitting``).
NAME = "fitting"
#: Renderer name -> the Hydra overrides that select it in both fitting commands.
RENDERERS: Mapping[str, Tuple[str, ...]] = {"softras": (), "nmr": ("renderer=nmr",)}
BASELINE = "softras"
#: Shipped meshes of the shape rows (paths under softrecon/assets/meshes).
SHAPE_TARGETS: Mapping[str, str] = {"cow": "cow/cow.obj", "airplane": "airplane.ply"}
#: Pose targets: the built-in coloured asymmetric object, and the textured cow.
POSE_TARGETS: Mapping[str, Optional[str]] = {"builtin": None, "cow": "cow/cow.obj"}
#: Starting rotation errors of the pose rows, degrees.
POSE_PERTURBATIONS: Tuple[float, ...] = (30.0, 60.0, 90.0)
#: Seed s of a pose row runs the starts START_STRIDE * s + i (so no two seeds share one).
START_STRIDE = 1000
METRICS_FILE = "metrics.json"
REQUEST_FILE = "request.json"
FIT_COMMANDS = {"shape": "softrecon.cli.fit_mesh", "pose": "softrecon.cli.fit_pose"}
#: Overrides every fit gets: no progress bars or GIFs in a table's runs.
QUIET = ("progress=false", "gif_every=0")


@dataclasses.dataclass(frozen=True)
class FittingBudget:
    """Steps and starts of a fitting table (the commands' own defaults at 'quick')."""

    shape_steps: int
    pose_steps: int
    pose_starts: int


BUDGETS: Mapping[str, FittingBudget] = {
    "quick": FittingBudget(shape_steps=300, pose_steps=150, pose_starts=10),
    "paper": FittingBudget(shape_steps=1000, pose_steps=300, pose_starts=30),
}


@dataclasses.dataclass(frozen=True)
class FitCase:
    """One row group of the table, run once per renderer and seed.

    Attributes:
        kind: 'shape' or 'pose'.
        name: the row's label, e.g. 'cow' or 'builtin @ 60°'.
        overrides: the command's Hydra overrides for this case (without renderer and seed).
    """

    kind: str
    name: str
    overrides: Tuple[str, ...]

    @property
    def folder(self) -> str:
        return self.kind + "_" + "".join(c if c.isalnum() else "_" for c in self.name).strip("_")


ASSETS_MARK = "<assets>"


def _assets_dir() -> str:
    return str(files("softrecon") / "assets" / "meshes")


def _asset(relative: str) -> str:
    return os.path.join(_assets_dir(), relative)


def portable(overrides: Sequence[str]) -> List[str]:
    """The overrides as a request records them: shipped meshes as ``<assets>/...``, so that
    a table's runs stay valid when the checkout or the installed package moves."""
    return [o.replace(_assets_dir(), ASSETS_MARK) for o in overrides]


def fitting_cases(budget: FittingBudget) -> List[FitCase]:
    """The table's cases at a budget: every shape target, every pose target at every
    perturbation."""
    cases = [
        FitCase("shape", name, (f"target={_asset(path)}", f"steps={budget.shape_steps}"))
        for name, path in SHAPE_TARGETS.items()
    ]
    for name, path in POSE_TARGETS.items():
        target = "builtin" if path is None else _asset(path)
        for degrees in POSE_PERTURBATIONS:
            overrides = (
                f"target={target}",
                f"steps={budget.pose_steps}",
                f"num_starts={budget.pose_starts}",
                f"rotation_perturbation_deg={degrees:g}",
            )
            cases.append(FitCase("pose", f"{name} @ {degrees:g}°", overrides))
    return cases


def run_overrides(case: FitCase, renderer: str, seed: int) -> List[str]:
    """The full override list of one run (case, renderer, seed)."""
    seed_value = START_STRIDE * seed if case.kind == "pose" else seed
    return [*case.overrides, *RENDERERS[renderer], f"seed={seed_value}", *QUIET]


def run_dir(out: str, case: FitCase, renderer: str, seed: int) -> str:
    return os.path.join(out, case.folder, renderer, f"seed{seed}")


class RequestMismatch(RuntimeError):
    """A run folder holds a fit made with other overrides than the table asks for now."""


def read_run(folder: str, overrides: Sequence[str]) -> Optional[Dict]:
    """The metrics of a finished run, None if it has not finished; refuses a run made with
    other overrides (delete the folder or use another --out)."""
    metrics_path = os.path.join(folder, METRICS_FILE)
    if not os.path.isfile(metrics_path):
        return None
    request_path = os.path.join(folder, REQUEST_FILE)
    recorded = None
    if os.path.isfile(request_path):
        with open(request_path, encoding="utf-8") as f:
            recorded = json.load(f).get("overrides")
    if recorded != portable(overrides):
        raise RequestMismatch(
            f"{folder}: fitted with overrides {recorded} but the table now asks for {portable(overrides)}; "
            "delete the folder or write the table to another --out"
        )
    with open(metrics_path, encoding="utf-8") as f:
        return json.load(f)


def run_fit(case: FitCase, folder: str, overrides: Sequence[str], threads: int = 0) -> None:
    """Run one fit as a subprocess of this Python (its output goes to ``fit.log``)."""
    os.makedirs(folder, exist_ok=True)
    with atomic_write(os.path.join(folder, REQUEST_FILE)) as f:
        json.dump({"kind": case.kind, "name": case.name, "overrides": portable(overrides)}, f, indent=1)
    command = [sys.executable, "-m", FIT_COMMANDS[case.kind], *overrides]
    command += [f"num_threads={threads}", f"hydra.run.dir={folder}"]
    with open(os.path.join(folder, "fit.log"), "w", encoding="utf-8") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise RuntimeError(f"fit failed (exit {done.returncode}): {' '.join(command)}; see {folder}/fit.log")


@dataclasses.dataclass
class CaseResult:
    """The runs of one case: metrics[renderer][seed] (None where not run)."""

    case: FitCase
    metrics: Dict[str, Dict[int, Optional[Dict]]]


def collect(
    out: str,
    budget: FittingBudget,
    renderers: Sequence[str],
    seeds: Sequence[int],
    run_missing: bool,
    threads: int = 0,
    report: Callable[[str], None] = print,
) -> List[CaseResult]:
    """Run what is missing (if ``run_missing``) and read every run of the table."""
    results = []
    for case in fitting_cases(budget):
        metrics: Dict[str, Dict[int, Optional[Dict]]] = {}
        for renderer in renderers:
            metrics[renderer] = {}
            for seed in seeds:
                folder = run_dir(out, case, renderer, seed)
                overrides = run_overrides(case, renderer, seed)
                found = read_run(folder, overrides)
                if found is None and run_missing:
                    report(f"fitting: {case.kind} {case.name} {renderer} seed {seed} -> {folder}")
                    run_fit(case, folder, overrides, threads)
                    found = read_run(folder, overrides)
                metrics[renderer][seed] = found
        results.append(CaseResult(case, metrics))
    return results


# --- statistics -----------------------------------------------------------------------


def _t_interval(values: Sequence[float]) -> stats.Interval:
    return stats.seed_interval(values)


def proportion_interval(successes: int, trials: int) -> stats.Interval:
    """A success rate with its 95% Wilson score interval (scipy)."""
    if trials == 0:
        return stats.NO_INTERVAL
    ci = scipy.stats.binomtest(successes, trials).proportion_ci(confidence_level=stats.CONFIDENCE, method="wilson")
    return stats.Interval(successes / trials, float(ci.low), float(ci.high))


def paired_proportion_interval(row: Mapping[int, bool], baseline: Mapping[int, bool]) -> Optional[stats.Interval]:
    """The difference of two success rates measured on the same starts (row minus
    baseline), with Newcombe's 95% score interval for paired proportions (his 1998 method
    10: the two Wilson intervals combined, corrected by the phi correlation of the pairs).
    Unlike a t interval of the per-start differences it stays inside [-1, 1].

    Args:
        row, baseline: {start: succeeded}; the starts both hold are paired.

    Returns:
        None where no start is shared.
    """
    keys = sorted(set(row) & set(baseline))
    if not keys:
        return None
    both = sum(1 for k in keys if row[k] and baseline[k])
    row_only = sum(1 for k in keys if row[k] and not baseline[k])
    baseline_only = sum(1 for k in keys if baseline[k] and not row[k])
    neither = len(keys) - both - row_only - baseline_only
    first = proportion_interval(both + row_only, len(keys))
    second = proportion_interval(both + baseline_only, len(keys))
    p1, l1, u1 = first.estimate, first.low, first.high
    p2, l2, u2 = second.estimate, second.low, second.high
    margins = (both + row_only) * (baseline_only + neither) * (both + baseline_only) * (row_only + neither)
    phi = 0.0 if margins == 0 else (both * neither - row_only * baseline_only) / math.sqrt(margins)
    estimate = p1 - p2
    below = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    above = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return stats.Interval(estimate, estimate - below, estimate + above)


def _starts(run_metrics: Optional[Dict]) -> Dict[int, Dict]:
    return {} if run_metrics is None else {s["seed"]: s for s in run_metrics["starts"]}


@dataclasses.dataclass(frozen=True)
class ShapeRow:
    renderer: str
    silhouette_iou: stats.Interval
    voxel_iou: stats.Interval
    silhouette_difference: Optional[stats.Interval]
    voxel_difference: Optional[stats.Interval]
    seeds: int


@dataclasses.dataclass(frozen=True)
class PoseRow:
    renderer: str
    success: stats.Interval
    median_rotation_error: float
    success_difference: Optional[stats.Interval]
    starts: int


def _paired(row: Mapping[int, float], baseline: Mapping[int, float]) -> Optional[stats.Interval]:
    keys = sorted(set(row) & set(baseline))
    return _t_interval([row[k] - baseline[k] for k in keys]) if keys else None


def shape_rows(result: CaseResult) -> List[ShapeRow]:
    """Per renderer: means over seeds with t intervals, and paired differences to the
    baseline over the seeds both ran."""

    def per_seed(renderer: str, key: str) -> Dict[int, float]:
        return {s: m[key] for s, m in result.metrics[renderer].items() if m is not None and key in m}

    rows = []
    for renderer in result.metrics:
        sil, vox = per_seed(renderer, "heldout_silhouette_iou"), per_seed(renderer, "voxel_iou")
        paired = renderer != BASELINE and BASELINE in result.metrics
        rows.append(
            ShapeRow(
                renderer,
                _t_interval(list(sil.values())),
                _t_interval(list(vox.values())),
                _paired(sil, per_seed(BASELINE, "heldout_silhouette_iou")) if paired else None,
                _paired(vox, per_seed(BASELINE, "voxel_iou")) if paired else None,
                len(sil),
            )
        )
    return rows


def pose_rows(result: CaseResult) -> List[PoseRow]:
    """Per renderer: the success rate over every start (Wilson interval), the median
    rotation error, and the paired difference in success to the baseline over the starts
    both ran (``paired_proportion_interval``)."""

    def per_start(renderer: str) -> Dict[int, Dict]:
        merged: Dict[int, Dict] = {}
        for run_metrics in result.metrics[renderer].values():
            merged.update(_starts(run_metrics))
        return merged

    baseline = per_start(BASELINE) if BASELINE in result.metrics else {}
    rows = []
    for renderer in result.metrics:
        starts = per_start(renderer)
        success = {k: bool(s["success"]) for k, s in starts.items()}
        errors = [s["rotation_error_deg"] for s in starts.values()]
        difference = None
        if renderer != BASELINE:
            difference = paired_proportion_interval(success, {k: bool(s["success"]) for k, s in baseline.items()})
        rows.append(
            PoseRow(
                renderer,
                proportion_interval(int(sum(success.values())), len(success)),
                float(np.median(errors)) if errors else math.nan,
                difference,
                len(starts),
            )
        )
    return rows


# --- writing --------------------------------------------------------------------------

READING = (
    "Intervals are 95%: shape over seeds (Student t), success rates over starts (Wilson), their "
    "differences over the same starts (Newcombe's paired score interval); Δ is the "
    f"renderer minus `{BASELINE}` on the same seeds or the same starts, marked `*` where its interval "
    "excludes zero (a difference the seeds or starts cannot explain)."
)


def _pct(value: float) -> str:
    return "" if value is None or not math.isfinite(value) else f"{100 * value:.1f}"


def _span(interval: Optional[stats.Interval], signed: bool = False) -> str:
    if interval is None or not math.isfinite(interval.low):
        return ""
    sign = "+" if signed else ""
    return f"[{100 * interval.low:{sign}.1f}, {100 * interval.high:{sign}.1f}]"


def _delta(interval: Optional[stats.Interval]) -> str:
    if interval is None or not math.isfinite(interval.estimate):
        return ""
    mark = " *" if interval.excludes_zero else ""
    return f"{100 * interval.estimate:+.1f} {_span(interval, True)}{mark}"


def markdown(results: Sequence[CaseResult], title: str) -> str:
    """The fitting table as Markdown: a shape section and a pose section."""
    lines = [f"# {title}", "", READING, "", "## Shape fitting (IoU, %)", ""]
    lines += [
        "| mesh | renderer | seeds | held-out silhouette IoU | 95% | voxel IoU | 95% | Δ silhouette | Δ voxel |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        if result.case.kind != "shape":
            continue
        for row in shape_rows(result):
            if row.seeds == 0:
                lines.append(f"| {result.case.name} | {row.renderer} | 0 | not run |  |  |  |  |  |")
                continue
            lines.append(
                f"| {result.case.name} | {row.renderer} | {row.seeds} | {_pct(row.silhouette_iou.estimate)} | "
                f"{_span(row.silhouette_iou)} | {_pct(row.voxel_iou.estimate)} | {_span(row.voxel_iou)} | "
                f"{_delta(row.silhouette_difference)} | {_delta(row.voxel_difference)} |"
            )
    lines += ["", "## Pose fitting from random starts", ""]
    lines += [
        "| object @ start error | renderer | starts | success % | 95% | median rotation error (°) | Δ success |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        if result.case.kind != "pose":
            continue
        for row in pose_rows(result):
            if row.starts == 0:
                lines.append(f"| {result.case.name} | {row.renderer} | 0 | not run |  |  |  |")
                continue
            lines.append(
                f"| {result.case.name} | {row.renderer} | {row.starts} | {_pct(row.success.estimate)} | "
                f"{_span(row.success)} | {row.median_rotation_error:.2f} | {_delta(row.success_difference)} |"
            )
    return "\n".join(lines) + "\n"


def csv_text(results: Sequence[CaseResult]) -> str:
    """One line per run: case, renderer, seed and its headline metrics."""
    lines = ["kind,case,renderer,seed,heldout_silhouette_iou,voxel_iou,success_rate,median_rotation_error_deg"]
    for result in results:
        for renderer, runs in result.metrics.items():
            for seed, m in runs.items():
                if m is None:
                    continue
                values = [m.get(k, "") for k in ("heldout_silhouette_iou", "voxel_iou", "success_rate")]
                values.append(m.get("median_rotation_error_deg", ""))
                name = result.case.name.replace(",", " ")
                lines.append(",".join(str(v) for v in [result.case.kind, name, renderer, seed, *values]))
    return "\n".join(lines) + "\n"


def write_table(out: str, results: Sequence[CaseResult], title: str) -> str:
    """Write ``table.md`` and ``table.csv`` into ``out``; returns the Markdown's path."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "table.md")
    with atomic_write(path) as f:
        f.write(markdown(results, title))
    with atomic_write(os.path.join(out, "table.csv")) as f:
        f.write(csv_text(results))
    return path
