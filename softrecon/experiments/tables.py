"""The paper's tables as runs: which rows, at which budget, on which data; and the
collector that turns the rows' evaluations into one Markdown and CSV table.

A table is a list of rows; a row is a name and the Hydra overrides that make it from the
budget's preset. The ablation and GenDR rows are the files of the config groups
``configs/ablation/`` and ``configs/gendr/`` (one ``# @package _global_`` file each, so
``python train.py -m '+ablation=glob(*)'`` runs the same rows as a Hydra multirun; a new
file is a new row). The main table compares the silhouette model with the colour model.

Layout of a reproduction (``scripts/reproduce.py`` drives it)::

    <out>/<table>/<data>-<budget>/<row>/         a training run folder (checkpoints/, ...), seed 0
        row.json                                  written once its training finished
        eval_<split>/metrics.json                 eval.py's result on that split
    <out>/<table>/<data>-<budget>/<row>-seed<s>/  the same row trained with seed s > 0
    <out>/<table>/<data>-<budget>/table.md, table.csv

With several seeds, a row's cells are the means over its seeds and the table adds the
seed-to-seed spread (sample standard deviation of the mean IoU): the yardstick for
whether two rows differ by more than the seed does.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import statistics
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from softrecon.datasets.fingerprint import dataset_fingerprint
from softrecon.evaluation.published import PublishedResult, published
from softrecon.rundir.config_diff import PLACE_KEYS, config_differences

from . import statistics as statistics_

CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "configs")
ROW_RECORD = "row.json"
EVAL_DATA_RECORD = "data.json"  # eval_<split>/data.json: the data folder an evaluation read
SPLITS = ("val", "test")
# The config groups that train.py and eval.py both compose: an extra override (--override)
# of a key in them is given to both, so a row is scored on the data it was trained on.
SHARED_GROUPS = ("data", "paths")
# The data settings that decide which objects a run reads (train.py and eval.py must agree).
DATA_KEYS = ("root", "class_ids", "fmt")


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


# The costs are measurements; where each comes from, with its command: docs/TABLES.md,
# "Time estimates". ``iterations`` repeats the presets' trainer.iterations (checked by
# tests/experiments/test_tables.py).
BUDGETS: Dict[str, Budget] = {
    "quick": Budget(
        "quick",
        {"silhouette": "quick_cpu", "color": "quick_color"},
        2000,
        {"silhouette": 0.149, "color": 0.176},
        "2-core CPU, one thread a run (docs/TABLES.md, Time estimates)",
        {"silhouette": 30.0, "color": 30.0},
        {"sigma_high": 4.0, "cdf_cauchy": 42.0},
    ),
    "paper": Budget(
        "paper",
        {"silhouette": "paper_silhouette", "color": "paper_color"},
        250000,
        {"silhouette": None, "color": None},
        "not measured yet: needs a GPU (scripts/gpu_check.sh measures it)",
        {"silhouette": None, "color": None},
    ),
}

# --data choices -> the data group option (configs/data/<name>.yaml).
DATA_GROUPS = {"synthetic": "synthetic", "realcad": "realcad", "shapenet": "shapenet"}


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of a table: a name, the model kind and the overrides on top of the preset."""

    name: str
    kind: str  # 'silhouette' | 'color': which of the budget's presets it starts from
    overrides: Tuple[str, ...]
    description: str


@dataclasses.dataclass(frozen=True)
class Table:
    """A table: its rows and the published figures printed beside them."""

    name: str
    title: str
    rows: Tuple[Row, ...]
    published: Tuple[PublishedResult, ...]


def _group_rows(group: str, reference: str) -> Tuple[Row, ...]:
    """One row per file of ``configs/<group>/``, named after it, described by its comment;
    the ``reference`` row first, the others in name order."""
    folder = os.path.join(CONFIG_DIR, group)
    rows = []
    for file_name in sorted(os.listdir(folder)):
        if not file_name.endswith(".yaml"):
            continue
        name = file_name[: -len(".yaml")]
        with open(os.path.join(folder, file_name), encoding="utf-8") as handle:
            comments = [line[1:].strip() for line in handle if line.startswith("#") and "@package" not in line]
        rows.append(Row(name, "silhouette", (f"+{group}={name}",), " ".join(comments)))
    if not any(row.name == reference for row in rows):
        raise FileNotFoundError(f"the reference row {reference}.yaml is missing from {folder}")
    return tuple(sorted(rows, key=lambda row: (row.name != reference, row.name)))


def get_table(name: str) -> Table:
    """The table called ``name`` ('main', 'ablation' or 'gendr')."""
    if name == "main":
        return Table(
            "main",
            "Silhouette-only vs colour-supervised model (3D IoU, %)",
            (
                Row("silhouette", "silhouette", (), "the paper's silhouette-only model (soft IoU + regularizers)"),
                Row(
                    "color",
                    "color",
                    (),
                    "the colour-supervised model (palette colour head, soft IoU + colour L1 + regularizers)",
                ),
            ),
            tuple(published(key) for key in ("softras_silhouette", "softras_color", "nmr_paper", "nmr_readme")),
        )
    if name == "ablation":
        return Table(
            "ablation",
            "Ablations of the silhouette model (3D IoU, %)",
            _group_rows("ablation", "baseline"),
            (published("softras_silhouette"),),
        )
    if name == "gendr":
        return Table(
            "gendr",
            "GenDR coverage CDFs and T-conorms, silhouette model (3D IoU, %)",
            _group_rows("gendr", "cdf_logistic"),
            (),
        )
    raise ValueError(f"table must be one of ('main', 'ablation', 'gendr'), got {name!r}")


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


def config_drift(trained: Mapping[str, Any], current: Mapping[str, Any]) -> List[str]:
    """What a row's run was trained with that the row's overrides no longer compose to.

    Args:
        trained: the run's saved config (a plain nested dict, upgraded to the current
            layout by ``softrecon.config.legacy.upgrade_stored_config``).
        current: the config the row's overrides compose to now, resolved.

    Returns:
        ``'key: trained -> now'`` for each setting present in both that differs, in key
        order; the keys of ``PLACE_KEYS`` and a key present on one side only (a setting a
        later version added or removed) are not differences.
    """
    return config_differences(trained, current, PLACE_KEYS)


def shared_overrides(extra_overrides: Sequence[str]) -> List[str]:
    """The overrides of ``extra_overrides`` whose key lies in a group both train.py and
    eval.py compose (``SHARED_GROUPS``): ``data.class_ids=[a,b]`` yes, ``trainer.iterations=5`` no."""
    shared = []
    for override in extra_overrides:
        key = override.split("=", 1)[0].lstrip("+~")
        if key.split(".", 1)[0] in SHARED_GROUPS:
            shared.append(override)
    return shared


def data_identity(data: Mapping[str, Any], cwd: str) -> Dict[str, Any]:
    """What a run's data is: its folder (absolute; a relative ``root`` is relative to
    ``cwd``, where train.py and eval.py run) and the fingerprint of its content
    (``softrecon.datasets.fingerprint``; None while the folder holds no dataset files).

    Args:
        data: a resolved ``data`` config (plain dict): ``root``, ``class_ids``, ``fmt``.
        cwd: the folder the commands run in.
    """
    root = os.path.normpath(os.path.join(cwd, os.path.expanduser(str(data["root"]))))
    class_ids = data.get("class_ids")
    return {
        "root": root,
        "fingerprint": dataset_fingerprint(
            root, None if class_ids is None else list(class_ids), data.get("fmt", "auto")
        ),
    }


def data_mismatch(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> Optional[str]:
    """How the data a result was computed on differs from the data of a run now, or None.

    Two fingerprints known and equal: the same data (moved or copied, perhaps); known
    and different: other content. Otherwise (a result recorded before fingerprints, a
    folder missing now) the folders themselves must be the same.
    """
    old, new = recorded.get("fingerprint"), current.get("fingerprint")
    if old and new:
        if old == new:
            return None
        return f"the content of the data differs (fingerprint {old[:12]} in {recorded.get('root')}, now {new[:12]} in {current.get('root')})"
    if recorded.get("root") == current.get("root"):
        return None
    return f"the data folder differs ({recorded.get('root')}, now {current.get('root')})"


def eval_data_path(run_dir: str, split: str) -> str:
    """Where reproduce.py records the data an evaluation of ``split`` read (``data_identity``)."""
    return os.path.join(eval_dir(run_dir, split), EVAL_DATA_RECORD)


def eval_dir(run_dir: str, split: str) -> str:
    """Where a run's evaluation on ``split`` goes (eval.py's run folder)."""
    return os.path.join(run_dir, f"eval_{split}")


def metrics_path(run_dir: str, split: str) -> str:
    """eval.py's metrics of a run on ``split``; its existence marks the split evaluated."""
    return os.path.join(eval_dir(run_dir, split), "metrics.json")


def row_dir_name(row: Row, seed: int) -> str:
    """The folder of ``row`` trained with ``seed``: the row's name for seed 0 (where a
    single-seed table keeps it), ``<row>-seed<seed>`` otherwise."""
    return row.name if seed == 0 else f"{row.name}-seed{seed}"


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
        run_dir = os.path.join(table_dir, row_dir_name(row, seed))
        train = not os.path.exists(os.path.join(run_dir, ROW_RECORD))
        num_evals = sum(not os.path.exists(metrics_path(run_dir, split)) for split in splits)
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


# ------------------------------------------------------------------------- collecting
@dataclasses.dataclass
class RowResult:
    """What one row gave: per-class and mean IoU per split, and where it came from. A
    row of several seeds (``combine_seeds``) holds the means over its seeds, the spread
    of its mean IoU and the per-seed results."""

    row: Row
    status: str  # 'done' | 'failed: ...' | 'not run'
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
    record_path = os.path.join(row_dir, ROW_RECORD)
    if not os.path.exists(record_path):
        return RowResult(row, "not run", {}, {})
    with open(record_path, encoding="utf-8") as handle:
        record = json.load(handle)
    iou, color_error, per_object = {}, {}, {}
    for split in splits:
        path = metrics_path(row_dir, split)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                metrics = json.load(handle)
            iou[split] = dict(metrics["per_class"], mean=metrics["mean"])
            if metrics.get("per_object"):
                per_object[split] = metrics["per_object"]
            if "mean_color_error" in metrics:  # the colour model's held-out colour error (eval.py)
                color_error[split] = metrics["mean_color_error"]
    status = record.get("status", "done")
    if status == "done" and len(iou) < len(splits):
        status = "not evaluated"
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
    done = sum(result.status == "done" for result in results)
    status = (
        "done"
        if done == len(results)
        else f"{next(r.status for r in results if r.status != 'done')} ({done}/{len(results)} seeds done)"
    )
    first = results[0]
    return RowResult(
        first.row, status, iou, first.record, spread=spread, color_error=color_error, per_seed=list(results)
    )


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
