"""SLURM through submitit: the launcher settings (``settings``), submitting job arrays
(``submit``), the callable that a job runs around a child process (``jobs``) and
reading the jobs' states, results and logs (``states``). No training code: the
applications (``softrecon.experiments``) say what each job runs.

submitit is an optional dependency (``pip install -e ".[cluster]"``): it is imported
where a job is submitted or its files are read, never on import of this package.
"""

from .jobs import ChildSignalledCall, ScriptFunction
from .settings import LAUNCHER_KEYS, load_launcher_settings
from .states import JobState, job_files, job_result, log_tail, read_states
from .submit import submit_array

__all__ = [
    "ChildSignalledCall",
    "JobState",
    "LAUNCHER_KEYS",
    "ScriptFunction",
    "job_files",
    "job_result",
    "load_launcher_settings",
    "log_tail",
    "read_states",
    "submit_array",
]
