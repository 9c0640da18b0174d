"""Reading SLURM jobs: their queue states (``scontrol``), submitit's result of a
finished job and the tails of its logs. Works without SLURM accounting (no ``sacct``)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple


@dataclasses.dataclass(frozen=True)
class JobState:
    """One job as the controller knows it (it forgets finished jobs after MinJobAge)."""

    state: str  # PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, PREEMPTED, ...
    reason: str = "None"
    restarts: int = 0  # requeues so far
    exit_code: str = ""
    run_time: str = ""

    @property
    def active(self) -> bool:
        """Queued or running: it will still do something."""
        return self.state in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED")


def _task_ids(spec: str) -> List[str]:
    """'0-2,5%4' -> ['0', '1', '2', '5'] (an array's task ids; %N is its throttle)."""
    out = []
    for part in spec.split("%")[0].split(","):
        first, _, last = part.partition("-")
        out += [str(i) for i in range(int(first), int(last or first) + 1)] if first.isdigit() else []
    return out


def parse_scontrol(text: str) -> Dict[str, JobState]:
    """``scontrol show job --oneliner`` -> {job id ('<array>_<task>' for array tasks): JobState}."""
    states = {}
    for line in text.splitlines():
        fields = dict(token.split("=", 1) for token in line.split() if "=" in token)
        if "JobId" not in fields or "JobState" not in fields:
            continue
        try:
            restarts = int(fields.get("Restarts", "0"))
        except ValueError:
            restarts = 0
        state = JobState(
            fields["JobState"],
            fields.get("Reason", "None"),
            restarts,
            fields.get("ExitCode", ""),
            fields.get("RunTime", ""),
        )
        task = fields.get("ArrayTaskId")
        if task and task != "N/A":
            for index in _task_ids(task):
                states[f"{fields.get('ArrayJobId', fields['JobId'])}_{index}"] = state
        else:
            states[fields["JobId"]] = state
    return states


def read_states(job_ids: Iterable[str], run: Callable = subprocess.run) -> Dict[str, JobState]:
    """The controller's state of each of ``job_ids`` it still knows (others are absent).

    Raises:
        RuntimeError: ``scontrol`` is missing or the controller does not answer.
    """
    states: Dict[str, JobState] = {}
    for array in sorted({job_id.split("_")[0] for job_id in job_ids}):
        try:
            result = run(["scontrol", "show", "job", "--oneliner", array], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as error:
            raise RuntimeError(f"cannot ask SLURM about job {array}: {error}") from None
        if result.returncode != 0:
            if "Invalid job id" in result.stderr:
                continue  # finished long enough ago that the controller forgot it
            raise RuntimeError(f"scontrol show job {array}: {result.stderr.strip() or result.stdout.strip()}")
        states.update(parse_scontrol(result.stdout))
    return {job_id: states[job_id] for job_id in job_ids if job_id in states}


def job_files(folder: str, job_id: str) -> Dict[str, str]:
    """submitit's files of a job: 'result' (pickle), 'stdout', 'stderr'."""
    from submitit.core.utils import JobPaths

    paths = JobPaths(folder, job_id=job_id)
    return {"result": str(paths.result_pickle), "stdout": str(paths.stdout), "stderr": str(paths.stderr)}


def job_result(folder: str, job_id: str) -> Optional[Tuple[str, Any]]:
    """('success', the function's return value) or ('error', the traceback) of a job
    that finished, None when it wrote no result (running, killed, requeued)."""
    path = job_files(folder, job_id)["result"]
    if not os.path.exists(path):
        return None
    from submitit.core.utils import pickle_load

    try:
        outcome, value = pickle_load(path)
    except Exception as error:  # a truncated or foreign file: say so, do not crash the status
        return "error", f"unreadable result {path}: {error!r}"
    return outcome, value


def log_tail(path: str, lines: int = 15) -> str:
    """The last ``lines`` lines of a text file ('' when it does not exist)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
