"""Reproduce a table of the paper: train (or resume) every row, evaluate it, collect.

    softrecon-reproduce --table ablation --data synthetic --budget quick
    softrecon-reproduce --table main --data shapenet --budget paper --split both
    softrecon-reproduce --table gendr --dry-run        # the plan and its time

Each row is a ``train.py`` run with the overrides of its row (``softrecon.experiments.
tables``: the ablation and GenDR rows are the files of configs/ablation/ and
configs/gendr/), then ``eval.py`` on the chosen split(s). A row whose training finished
is not trained again, an interrupted one resumes from its last checkpoint, and an
evaluated split is not evaluated again; so rerunning the same command after a crash or
a kill continues where it stopped; a run folder whose saved config is no longer what its
row composes to (the row's file or its preset changed), or whose config.yaml is gone, is
refused, naming the settings, before anything trains. Each run records the data folder it
was trained on and a fingerprint of its content (row.json; eval_<split>/data.json for each
evaluation): a run trained on other data than --data / --data-dir / --override give now is
refused (the same data moved elsewhere is not other data), an evaluation made on other
data is made again. ``--override`` settings of the data and paths groups reach eval.py
too, and the data eval.py reads must be the data train.py reads (checked before anything
runs). Rows run ``--jobs`` at a time. With ``--seeds 0,1,2``
every row is trained once per seed and the table gives the means over the seeds with
their spread (the seed-0 runs are those of a single-seed table: adding seeds to a table
trains only the new ones). The table is written as Markdown and CSV (with the commit,
overrides, config and seed of every run) to <out>/<table>/<data>-<budget>/table.{md,csv};
the last line printed is the Markdown's path.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import subprocess
import sys
import time
from typing import List, Optional, Sequence

from omegaconf import OmegaConf

from softrecon.config import compose_config
from softrecon.config.legacy import upgrade_stored_config
from softrecon.experiments import budgets, catalogue, collect, drift, fitting_table, planning, render
from softrecon.experiments.run_folder import ROW_RECORD, RunFolder, RunState
from softrecon.rundir.checkpoint import CHECKPOINT_DIR
from softrecon.rundir.folder import CONFIG_FILE
from softrecon.utils import provenance
from softrecon.utils.atomic import atomic_write

# The source tree softrecon runs from: a clone's root (a git checkout, whose commit each
# row records), or site-packages for an installed softrecon (no commit to record).
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The training and evaluation commands each row runs, as modules of this softrecon.
TRAIN_COMMAND = [sys.executable, "-m", "softrecon.cli.train"]
EVAL_COMMAND = [sys.executable, "-m", "softrecon.cli.eval"]

DRIFTED = "trained with another config than its row makes now"
NO_CONFIG = f"its {CONFIG_FILE} is missing, so its settings cannot be checked"
OTHER_DATA = "trained on other data than this command gives"
SUPERSEDED_EVAL = "_superseded_"  # eval_<split>_superseded_<time>/: an evaluation of other data, kept


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--table",
        required=True,
        choices=(*catalogue.TABLES, fitting_table.NAME),
        help=f"which table to reproduce ({fitting_table.NAME}: shape and pose fits per renderer on shipped meshes)",
    )
    parser.add_argument(
        "--data",
        default="synthetic",
        choices=tuple(catalogue.DATA_GROUPS),
        help="dataset (configs/data/<name>.yaml); default synthetic",
    )
    parser.add_argument(
        "--budget",
        default="quick",
        choices=tuple(budgets.BUDGETS),
        help="quick: 2-core CPU, minutes per row; paper: 250k iterations on a GPU",
    )
    parser.add_argument(
        "--split",
        default="val",
        choices=("val", "test", "both"),
        help="evaluation split(s); SoftRas published val, NMR test (default val)",
    )
    parser.add_argument(
        "--out",
        default=os.path.join("outputs", "tables"),
        help="where the rows and the table go (default outputs/tables)",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="the folder holding the datasets (paths.data_dir of training and evaluation; default: the "
        "configs' data/), e.g. where softrecon-build-realcad built realcad/",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=max(1, (os.cpu_count() or 1) // 2),
        help="runs (row, seed) trained at once (default: half the cores)",
    )
    parser.add_argument(
        "--seeds",
        default=None,
        help="comma-separated trainer.seed values: every row is trained once per seed and the table "
        "shows the means with their intervals (default 0,1,2 for the quick budget, 0 otherwise)",
    )
    parser.add_argument("--rows", default=None, help="comma-separated row names to run (default: all)")
    parser.add_argument(
        "--baseline",
        default=None,
        help="the row every other row is paired with (its Δ and marks), one of the chosen rows; "
        "default: the table's first (main: silhouette, ablation: baseline, gendr: cdf_logistic). "
        "With --collect, a table of the same runs against another row, e.g. GenDR's grid against "
        "grid_logistic_probabilistic",
    )
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        help="an extra Hydra override for every row, e.g. trainer.iterations=500 (repeatable)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan and its estimated time, run nothing")
    parser.add_argument(
        "--collect",
        action="store_true",
        help="train and evaluate nothing: write the table from the runs already there (missing ones: 'not run')",
    )
    add_cluster_arguments(parser)
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    if args.seeds is None:  # three seeds where a run is cheap: the intervals need them
        args.seeds = "0,1,2" if args.budget == "quick" else "0"
    try:
        args.seeds = [int(seed) for seed in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds must be comma-separated integers, e.g. 0,1,2; got {args.seeds!r}")
    if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
        parser.error(f"--seeds must be distinct non-negative integers, got {args.seeds}")
    return args


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    """--launcher, --slurm, --status, --wait, --poll (docs/CLUSTER.md)."""
    parser.add_argument(
        "--launcher",
        default="local",
        choices=("local", "slurm"),
        help="local: run the rows here, --jobs at a time (default); slurm: submit every pending (row, seed) as "
        "one SLURM job array (settings: configs/hydra/launcher/slurm.yaml and --slurm) and return",
    )
    parser.add_argument(
        "--slurm",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a SLURM job setting over configs/hydra/launcher/slurm.yaml, e.g. partition=gpu (repeatable)",
    )
    parser.add_argument(
        "--status", action="store_true", help="print each run's state (done, pending, running, failed...) and return"
    )
    parser.add_argument(
        "--wait", action="store_true", help="with --launcher slurm: wait for every job, then write the table"
    )
    parser.add_argument("--poll", type=float, default=30.0, help="seconds between SLURM state checks of --wait")


def slurm_statuses(args, runs, table_dir: str, splits) -> dict:
    """--launcher slurm / --status / --wait: submit, show or wait for the runs' jobs
    (``softrecon.experiments.cluster_runs``); returns {(row name, seed): status} of the
    runs whose job did not finish its row, for the table."""
    from softrecon.cluster import ScriptFunction
    from softrecon.experiments import cluster_runs

    names = {RunFolder.name(row.name, seed): (row, seed) for row, seed in runs}

    def done():
        return {name: not planning.pending_work(table_dir, [run], splits) for name, run in names.items()}

    if args.launcher == "slurm" and not (args.status or args.collect):
        todo = [name for name, finished in done().items() if not finished]
        work = [(name, ScriptFunction(__file__, "run_row", *names[name], args, table_dir, splits)) for name in todo]
        submitted, active = cluster_runs.submit_runs(table_dir, work, args.slurm, name=f"softrecon-{args.table}")
        for name, job in submitted.items():
            print(f"  {name:24s} submitted as SLURM job {job}")
        for name, job in active.items():
            print(f"  {name:24s} still queued or running as SLURM job {job}: not submitted again")
        print(f"{len(submitted)} job(s) submitted; follow them with --status (same arguments)", flush=True)
    if args.wait:
        statuses = cluster_runs.wait(table_dir, list(names), done, args.poll, out=lambda line: print(line, flush=True))
    else:
        statuses = cluster_runs.run_statuses(table_dir, list(names), done())
        if args.status or args.launcher == "slurm" and not args.collect:
            for status in statuses:
                print(status.line())
    return {
        (names[s.name][0].name, names[s.name][1]): f"{s.state}: {s.detail.splitlines()[0]}" if s.detail else s.state
        for s in statuses
        if s.state != RunState.DONE
    }


def _uses_slurm(args, table_dir: str) -> bool:
    """Whether the runs are SLURM jobs: --launcher slurm, --status, or --collect of a table submitted there."""
    submitted = os.path.exists(os.path.join(table_dir, "slurm_jobs.json"))  # cluster_runs.JOBS_FILE
    return args.launcher == "slurm" or args.status or (args.collect and submitted)


def git_commit() -> str:
    """The checkout's commit (with '+dirty' when files differ from it), or 'unknown' (an
    installed softrecon, or no git)."""
    return provenance.git_commit(SOURCE_ROOT)


def _run(command: List[str], log_path: str) -> int:
    """Run ``command`` from the current folder, its output appended to ``log_path``."""
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"\n$ {' '.join(command)}  # {datetime.datetime.now().isoformat(timespec='seconds')}\n")
        log.flush()
        return subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode


def _data_dir(args: argparse.Namespace) -> List[str]:
    """The paths.data_dir override of --data-dir, for training and evaluation alike (a row's
    identity, the overrides in its row.json, does not include it)."""
    return [] if args.data_dir is None else [f"paths.data_dir={os.path.abspath(args.data_dir)}"]


def _row_overrides(row: catalogue.Row, seed: int, args: argparse.Namespace) -> List[str]:
    """The training overrides that make the run (row, seed): its identity in row.json."""
    return planning.train_overrides(row, budgets.BUDGETS[args.budget], args.data, seed) + list(args.override)


def _eval_overrides(args: argparse.Namespace) -> List[str]:
    """eval.py's data overrides: the data group, then the --override settings of the groups
    it shares with train.py (a row trained on 2 classes is scored on those 2), --data-dir."""
    return [f"data={catalogue.DATA_GROUPS[args.data]}", *drift.shared_overrides(args.override), *_data_dir(args)]


def data_configs(rows: Sequence[catalogue.Row], args: argparse.Namespace) -> dict:
    """{row name: the resolved ``data`` config train.py reads for the row (any seed)}.

    Raises:
        SystemExit: eval.py would read other data (``drift.DATA_KEYS``) than train.py,
            e.g. a row file that sets a data key eval.py does not get.
    """
    evaluation = compose_config("eval", [*_eval_overrides(args), "ckpt_path=unused"])
    scored = OmegaConf.to_container(evaluation.data, resolve=True)
    configs = {}
    for row in rows:
        train = compose_config("train", [*_row_overrides(row, 0, args), *_data_dir(args)])
        trained = configs[row.name] = OmegaConf.to_container(train.data, resolve=True)
        differing = [
            f"data.{key}: {trained.get(key)!r} vs {scored.get(key)!r}"
            for key in drift.DATA_KEYS
            if trained.get(key) != scored.get(key)
        ]
        if differing:
            raise SystemExit(
                f"row {row.name}: eval.py would score it on other data than train.py trains it on "
                f"({'; '.join(differing)}): set data keys with --override, which reaches both, not in a row file"
            )
    return configs


def recorded_data(row_dir: str) -> Optional[dict]:
    """The data a run folder was trained on (``drift.data_identity``): row.json's record,
    else (an interrupted run, a row.json from before the record) the data.root of its
    config.yaml without a fingerprint; None when neither is there."""
    folder = RunFolder(row_dir)
    data = (folder.read_record() or {}).get("data")
    if data:
        return data
    if not os.path.exists(folder.config_path):
        return None
    root = (
        OmegaConf.to_container(OmegaConf.load(folder.config_path)).get("data", {}).get("root")
    )  # data, never resolved
    return (
        None if root is None else {"root": os.path.normpath(os.path.join(os.getcwd(), str(root))), "fingerprint": None}
    )


def reuse_refusal(row_dir: str, identity: dict) -> Optional[tuple]:
    """Why the run folder of a (row, seed) may not be reused or resumed as it is:
    (NO_CONFIG, what it holds) or (OTHER_DATA, how the data differs from ``identity``,
    ``drift.data_identity`` of the row's data now); None if it may."""
    folder = RunFolder(row_dir)
    holds = [name for name in (ROW_RECORD, CHECKPOINT_DIR) if os.path.exists(os.path.join(row_dir, name))]
    if not holds:
        return None
    if not os.path.exists(folder.config_path):
        return NO_CONFIG, f"it holds {' and '.join(holds)}"
    recorded = recorded_data(row_dir)
    mismatch = None if recorded is None else drift.data_mismatch(recorded, identity)
    return None if mismatch is None else (OTHER_DATA, mismatch)


def stale_evaluation(row_dir: str, split: str, identity: dict) -> Optional[str]:
    """How the data an existing evaluation of ``split`` read differs from ``identity``
    (its eval_<split>/data.json, or for an older one metrics.json's data_root); None
    when it read the same data, or there is no evaluation, or nothing says what it read."""
    folder = RunFolder(row_dir)
    path = folder.metrics_path(split)
    if not os.path.exists(path):
        return None
    record_path = folder.eval_data_path(split)
    with open(record_path if os.path.exists(record_path) else path, encoding="utf-8") as handle:
        record = json.load(handle)
    recorded = record if os.path.exists(record_path) else {"root": record.get("data_root"), "fingerprint": None}
    return drift.data_mismatch(recorded, identity) if recorded.get("root") else None


def config_drift(row: catalogue.Row, seed: int, args: argparse.Namespace, row_dir: str) -> List[str]:
    """How the config saved in the run folder of (row, seed) differs from the one its
    overrides compose to now (``drift.config_drift``); [] when nothing is trained yet. A
    row whose file, preset or defaults changed since it was trained would otherwise be
    reused (or resumed) silently."""
    path = os.path.join(row_dir, CONFIG_FILE)
    if not os.path.exists(path):
        return []
    trained = upgrade_stored_config(OmegaConf.to_container(OmegaConf.load(path)))
    current = compose_config("train", [*_row_overrides(row, seed, args), *_data_dir(args), f"paths.run_dir={row_dir}"])
    return drift.config_drift(trained, OmegaConf.to_container(current, resolve=True))


def run_row(
    row: catalogue.Row,
    seed: int,
    args: argparse.Namespace,
    table_dir: str,
    splits: Sequence[str],
    data: Optional[dict] = None,
) -> str:
    """Train (or resume) and evaluate one row with one seed; returns its status. ``data``
    is the row's ``data_config`` (composed here when not given: not in a thread)."""
    data = data_configs([row], args)[row.name] if data is None else data
    name = RunFolder.name(row.name, seed)
    folder = RunFolder.of(table_dir, row.name, seed)
    row_dir = folder.path
    log_dir = os.path.join(table_dir, "logs")
    os.makedirs(log_dir, exist_ok=True)
    overrides = _row_overrides(row, seed, args)
    record = folder.read_record()
    if record is not None and record.get("overrides") != overrides:
        return RunState.FAILED.because(
            f"{folder.record_path} was trained with other overrides {record.get('overrides')}; remove the folder to retrain"
        )
    if record is None:
        resume = folder.has_checkpoints()
        where = [f"ckpt_path={row_dir}"] if resume else [f"paths.run_dir={row_dir}"]
        started = time.perf_counter()
        command = [
            *TRAIN_COMMAND,
            *overrides,
            *_data_dir(args),  # where the data is, not what the row is: not part of its record's overrides
            *where,
            "logging.progress=false",
        ]
        if _run(command, os.path.join(log_dir, f"{name}_train.log")) != 0:
            return RunState.FAILED.because(f"training (see {os.path.join(log_dir, name + '_train.log')})")
        record = {
            "row": row.name,
            "overrides": overrides,
            "seed": seed,
            "commit": git_commit(),
            "config": folder.config_path,
            "data": drift.data_identity(data, os.getcwd()),  # what it was trained on
            "train_seconds": round(time.perf_counter() - started, 1),
            "finished": datetime.datetime.now().isoformat(timespec="seconds"),
            "status": RunState.DONE.value,
        }
        folder.write_record(record)
    identity = drift.data_identity(data, os.getcwd())
    for split in splits:
        if folder.evaluated(split):
            if stale_evaluation(row_dir, split, identity) is None:
                continue
            stamp = datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S_%f")  # made on other data: kept aside, redone
            os.replace(folder.eval_dir(split), folder.eval_dir(split) + SUPERSEDED_EVAL + stamp)
        command = [
            *EVAL_COMMAND,
            f"ckpt_path={row_dir}",
            *_eval_overrides(args),
            f"split={split}",
            f"paths.run_dir={folder.eval_dir(split)}",
            "progress=false",
        ]
        if _run(command, os.path.join(log_dir, f"{name}_eval_{split}.log")) != 0:
            return RunState.FAILED.because(
                f"evaluation on {split} (see {os.path.join(log_dir, f'{name}_eval_{split}.log')})"
            )
        with atomic_write(folder.eval_data_path(split), "w") as handle:
            json.dump(identity, handle, indent=2)
    return RunState.DONE


def _chosen_rows(table: catalogue.Table, names: Optional[str], baseline: Optional[str] = None) -> catalogue.Table:
    """The table with only the rows of ``--rows`` (comma-separated; None: all), in the
    table's order but with ``baseline`` (``--baseline``; None: the table's first) first:
    the first row is the one the others are paired with."""
    rows = list(table.rows)
    if names:
        wanted = names.split(",")
        unknown = sorted(set(wanted) - {row.name for row in rows})
        if unknown:
            raise SystemExit(f"--rows: unknown rows {unknown}; table {table.name} has {[row.name for row in rows]}")
        rows = [row for row in rows if row.name in wanted]
    if baseline is not None:
        first = [row for row in rows if row.name == baseline]
        if not first:
            raise SystemExit(
                f"--baseline: {baseline!r} is not among the chosen rows {[row.name for row in rows]} (add it to --rows)"
            )
        rows = first + [row for row in rows if row.name != baseline]
    return catalogue.Table(table.name, table.title, tuple(rows), table.published)


def print_plan(table: catalogue.Table, args, table_dir: str, splits, iterations: int) -> None:
    """Every run's overrides and the estimated time of what is left to do."""
    budget = budgets.BUDGETS[args.budget]
    runs = [(row, seed) for row in table.rows for seed in args.seeds]
    pending = planning.pending_work(table_dir, runs, splits)
    estimate = planning.estimate_seconds(pending, budget, args.jobs, iterations)
    seeds = ",".join(str(seed) for seed in args.seeds)
    print(
        f"table {table.name}: {len(table.rows)} rows x {len(args.seeds)} seed(s) ({seeds}) on {args.data}, budget {args.budget} ({iterations} iterations a row), split {'+'.join(splits)}"
    )
    for row, seed in runs:
        print(f"  {RunFolder.name(row.name, seed):24s} {' '.join(_row_overrides(row, seed, args))}")
    if estimate is None:
        print(f"estimated time: unknown ({budget.measured_on})")
    elif not pending:
        print("nothing to run: every run is trained and evaluated")
    else:
        print(
            f"estimated time: {estimate / 60:.0f} min for {len(pending)} run(s) still to train or evaluate, {args.jobs} at a time ({budget.measured_on})"
        )


def refused_folders(runs, args, table_dir: str, identities: dict) -> dict:
    """{(row name, seed): why} of the run folders that may not be reused as they are
    (``reuse_refusal``, ``config_drift``), each printed on stderr with its details."""
    refused = {}
    for row, seed in runs:
        row_dir = RunFolder.of(table_dir, row.name, seed).path
        refusal = reuse_refusal(row_dir, identities[row.name])
        drift_lines = config_drift(row, seed, args, row_dir)
        if refusal is None and drift_lines:
            refusal = DRIFTED, "; ".join(drift_lines)
        if refusal:
            refused[row.name, seed] = refusal[0]
            print(f"  {RunFolder.name(row.name, seed)}: {refusal[0]}: {refusal[1]}", file=sys.stderr)
    return refused


def run_all(runs, args, table_dir: str, splits, data: dict) -> dict:
    """Train and evaluate ``runs``, ``--jobs`` at a time; {(row name, seed): status}."""
    statuses = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            pool.submit(run_row, row, seed, args, table_dir, splits, data[row.name]): (row, seed) for row, seed in runs
        }
        for future in concurrent.futures.as_completed(futures):
            row, seed = futures[future]
            statuses[row.name, seed] = future.result()
            print(f"  {RunFolder.name(row.name, seed)}: {statuses[row.name, seed]}", flush=True)
    return statuses


def collect_row(row, seed, args, table_dir: str, splits, data: dict, statuses: dict, drifted: dict):
    """The result of run (row, seed) as the table shows it: an evaluation of other data
    left out, the status of a run that failed here or on SLURM, a drifted folder marked."""
    row_dir = RunFolder.of(table_dir, row.name, seed).path
    result = collect.read_row(row_dir, row, splits)
    identity = drift.data_identity(data[row.name], os.getcwd())  # made by the training, perhaps
    for split in list(result.iou) if (row.name, seed) not in drifted else ():  # (those are marked)
        if stale_evaluation(row_dir, split, identity):  # --collect: an evaluation of other data, left out
            del result.iou[split]
            done = result.status == RunState.DONE
            result.status = f"{split} evaluated on other data" if done else result.status
    if statuses.get((row.name, seed), RunState.DONE) != RunState.DONE:
        result.status = statuses[row.name, seed]
    elif (row.name, seed) in drifted and result.status == RunState.DONE:
        result.status = f"{RunState.DONE}, but {drifted[row.name, seed]}"
    if not result.record:  # never finished training: show what it was run with
        result.record = {
            "overrides": _row_overrides(row, seed, args),
            "seed": seed,
        }
    return result


def main(argv: Optional[Sequence[str]] = None) -> str:
    args = parse_args(argv)
    if args.table == fitting_table.NAME:  # fits, not training runs: their own runner
        from softrecon.cli import reproduce_fitting

        return reproduce_fitting.main(args)
    table = _chosen_rows(catalogue.get_table(args.table), args.rows, args.baseline)
    rows = list(table.rows)
    splits = list(catalogue.SPLITS) if args.split == "both" else [args.split]
    table_dir = os.path.join(os.path.abspath(args.out), table.name, f"{args.data}-{args.budget}")
    iterations = planning.iterations_of(budgets.BUDGETS[args.budget], args.override)
    runs = [(row, seed) for row in rows for seed in args.seeds]
    print_plan(table, args, table_dir, splits, iterations)
    data = data_configs(rows, args)  # before any training: Hydra's composition is not thread-safe
    identities = {name: drift.data_identity(config, os.getcwd()) for name, config in data.items()}
    drifted = refused_folders(runs, args, table_dir, identities)
    if drifted and not (args.dry_run or args.collect):
        raise SystemExit(
            f"{len(drifted)} run folder(s) in {table_dir} cannot be reused (above): remove them to retrain, "
            "or write the table from them as they are with --collect"
        )
    if args.dry_run:
        return ""

    os.makedirs(table_dir, exist_ok=True)
    statuses = {}
    if _uses_slurm(args, table_dir):
        statuses = slurm_statuses(args, runs, table_dir, splits)
        if not (args.wait or args.collect):
            return ""
        runs = []  # the jobs did the work
    if args.collect:
        runs = []
    statuses.update(run_all(runs, args, table_dir, splits, data))
    results = [
        collect.combine_seeds(
            [collect_row(row, seed, args, table_dir, splits, data, statuses, drifted) for seed in args.seeds]
        )
        for row in rows
    ]
    folders = ", ".join(sorted({identity["root"] for identity in identities.values()}))
    seeds = ",".join(str(seed) for seed in args.seeds)
    heading = f"Data: {args.data} (folder {folders}); budget: {args.budget} ({iterations} iterations a row); seed(s) {seeds}; made by `softrecon-reproduce {' '.join(sys.argv[1:] if argv is None else argv)}`."
    markdown_path = os.path.join(table_dir, "table.md")
    with atomic_write(markdown_path, "w") as handle:
        handle.write(render.markdown(table, results, splits, heading, args.data))
    with atomic_write(os.path.join(table_dir, "table.csv"), "w") as handle:
        handle.write(render.csv_text(results, splits))
    print(open(markdown_path, encoding="utf-8").read())
    print(markdown_path, flush=True)
    if any(result.status != RunState.DONE for result in results):
        print("some rows did not finish: see their status above", file=sys.stderr)
    return markdown_path


if __name__ == "__main__":
    main()
