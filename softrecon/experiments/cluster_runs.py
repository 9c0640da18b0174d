"""The runs of a table on SLURM: one job array per submission, the job of each run
recorded in the table folder, and each run's state read back (``scripts/reproduce.py
--launcher slurm``, ``--status``, ``--wait``).

A run's state comes first from its folder (trained and evaluated: done), then from its
job: queued (pending, or requeued after a preemption or time limit), running (with the
iteration of its last checkpoint), or ended without finishing its row: failed, with the
reason and the tail of its log. A run whose job is still queued or running is never
submitted twice.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from softrecon.cluster import (
    ChildSignalledCall,
    job_files,
    job_result,
    load_launcher_settings,
    log_tail,
    read_states,
    submit_array,
)
from softrecon.rundir.checkpoint import CHECKPOINT_DIR, latest_checkpoint
from softrecon.utils.atomic import atomic_write

from .catalogue import CONFIG_DIR
from .run_folder import ROW_RECORD, RunState

JOBS_FILE = "slurm_jobs.json"  # in the table folder: {run folder name: its latest job id}
SUBMITIT_DIR = "slurm"  # in the table folder: submitit's pickles and the jobs' logs
LAUNCHER_CONFIG = os.path.join(CONFIG_DIR, "hydra", "launcher", "slurm.yaml")  # the job settings
FINAL = (RunState.DONE, RunState.FAILED, RunState.CANCELLED, RunState.NOT_SUBMITTED)  # no longer change by themselves


@dataclasses.dataclass(frozen=True)
class RunStatus:
    """One run's state (a ``RunState``: done, pending, requeued, running, failed, cancelled
    or not submitted); ``detail`` says more (iteration, reason, log tail)."""

    name: str
    state: RunState
    detail: str = ""
    job_id: Optional[str] = None

    def line(self) -> str:
        job = f" [job {self.job_id}]" if self.job_id else ""
        first, _, rest = self.detail.partition("\n")
        text = f"  {self.name:24s} {self.state}{job}{': ' + first if first else ''}"
        return text + ("\n" + "\n".join("      | " + line for line in rest.splitlines()) if rest else "")


def read_jobs(table_dir: str) -> Dict[str, str]:
    """{run folder name: job id} of the submissions recorded in ``table_dir`` ({} if none)."""
    path = os.path.join(table_dir, JOBS_FILE)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return dict(json.load(handle))


def submit_runs(
    table_dir: str, runs: Sequence[Tuple[str, Callable]], overrides: Sequence[str] = (), name: str = "softrecon"
) -> Tuple[Dict[str, str], Dict[str, str]]:
    """Submit the runs (run folder name, callable doing its work) as one job array,
    except those whose job is still queued or running.

    Args:
        table_dir: the table folder (the record and submitit's folder go there).
        runs: each callable runs in its job, around a child process that handles the
            stop signals (``softrecon.cluster.ChildSignalledCall``).
        overrides: ``key=value`` job settings over ``configs/hydra/launcher/slurm.yaml``.
        name: the jobs' name in the queue.

    Returns:
        ({name: new job id}, {name: job id already active}).
    """
    settings = load_launcher_settings(LAUNCHER_CONFIG, overrides)
    jobs = read_jobs(table_dir)
    states = read_states(list(jobs.values())) if jobs else {}
    active = {n: jobs[n] for n, _ in runs if n in jobs and jobs[n] in states and states[jobs[n]].active}
    todo = [(n, function) for n, function in runs if n not in active]
    folder = os.path.join(table_dir, SUBMITIT_DIR)
    ids = submit_array([ChildSignalledCall(function) for _, function in todo], folder, settings, name)
    submitted = dict(zip([n for n, _ in todo], ids))
    jobs.update(submitted)
    os.makedirs(table_dir, exist_ok=True)
    with atomic_write(os.path.join(table_dir, JOBS_FILE), "w") as handle:
        json.dump(jobs, handle, indent=2, sort_keys=True)
    return submitted, active


def _checkpoint_iteration(run_dir: str) -> Optional[int]:
    found = latest_checkpoint(os.path.join(run_dir, CHECKPOINT_DIR))
    match = re.search(r"step_(\d+)\.pt$", found or "")
    return int(match.group(1)) if match else None


def _failure(message: str, files: Mapping[str, str]) -> str:
    """``message`` and the tail of the log it names ('(see <log>)'), else of the job's stderr."""
    named = re.search(r"\(see (.+?)\)", message)
    tail = log_tail(named.group(1)) if named else ""
    return message + "\n" + (tail or log_tail(files["stderr"]) or log_tail(files["stdout"]))


def run_status(table_dir: str, name: str, done: bool, job_id: Optional[str], state=None) -> RunStatus:
    """The state of the run ``name`` of ``table_dir`` (``done``: its row is trained and
    evaluated; ``state``: its job's ``JobState`` when the controller knows it)."""
    if done:
        return RunStatus(name, RunState.DONE, job_id=job_id)
    if job_id is None:
        return RunStatus(name, RunState.NOT_SUBMITTED)
    run_dir = os.path.join(table_dir, name)
    if state is not None and state.active:
        if state.state == "PENDING" or state.state == "REQUEUED":
            kind = RunState.REQUEUED if state.restarts else RunState.PENDING
            why = [f"{state.restarts} requeue(s)"] if state.restarts else []
            why += [f"waiting for {state.reason}"] if state.reason not in ("None", "") else []
            return RunStatus(name, kind, ", ".join(why), job_id)
        if os.path.exists(os.path.join(run_dir, ROW_RECORD)):
            return RunStatus(name, RunState.RUNNING, "trained; evaluating", job_id)
        iteration = _checkpoint_iteration(run_dir)
        where = f"last checkpoint at iteration {iteration}" if iteration is not None else "no checkpoint yet"
        requeues = f" (after {state.restarts} requeue(s))" if state.restarts else ""
        return RunStatus(name, RunState.RUNNING, f"{where}{requeues}, for {state.run_time}", job_id)
    files = job_files(os.path.join(table_dir, SUBMITIT_DIR), job_id)
    outcome = job_result(os.path.join(table_dir, SUBMITIT_DIR), job_id)
    if outcome is not None and outcome[0] == "error":
        return RunStatus(
            name, RunState.FAILED, "the job raised:\n" + "\n".join(str(outcome[1]).splitlines()[-12:]), job_id
        )
    failed = RunState.FAILED.because("")  # how run_row's status of a failure starts
    if outcome is not None and str(outcome[1]).startswith(failed):
        return RunStatus(name, RunState.FAILED, _failure(str(outcome[1])[len(failed) :], files), job_id)
    if state is not None and state.state == "CANCELLED":
        return RunStatus(name, RunState.CANCELLED, f"job cancelled ({state.reason}); submit again to continue", job_id)
    ended = f"job ended {state.state} (exit code {state.exit_code})" if state else "the job left the queue"
    return RunStatus(name, RunState.FAILED, _failure(f"{ended} without finishing its row", files), job_id)


def run_statuses(table_dir: str, names: Sequence[str], done: Mapping[str, bool]) -> List[RunStatus]:
    """``run_status`` of each run name, in order, with one ``scontrol`` call per array."""
    jobs = read_jobs(table_dir)
    wanted = [jobs[n] for n in names if n in jobs and not done[n]]
    states = read_states(wanted) if wanted else {}
    return [run_status(table_dir, n, done[n], jobs.get(n), states.get(jobs.get(n))) for n in names]


def wait(
    table_dir: str, names: Sequence[str], is_done: Callable[[], Mapping[str, bool]], poll_seconds: float, out=print
) -> List[RunStatus]:
    """Block until no run is pending, requeued or running; prints each change of state."""
    seen: Dict[str, str] = {}
    while True:
        statuses = run_statuses(table_dir, names, is_done())
        for status in statuses:
            if seen.get(status.name) != status.state:
                seen[status.name] = status.state
                out(status.line())
        if all(status.state in FINAL for status in statuses):
            return statuses
        time.sleep(poll_seconds)
