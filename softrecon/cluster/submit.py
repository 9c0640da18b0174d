"""Submitting callables to SLURM as one job array (submitit)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence

from .settings import GENERIC_KEYS

# Settings of submitit's executor itself (the rest are sbatch's), as hydra-submitit-launcher splits them.
EXECUTOR_KEYS = ("max_num_timeout",)


def submit_array(functions: Sequence[Callable[[], Any]], folder: str, settings: Dict[str, Any], name: str) -> List[str]:
    """Submit each callable as one task of a SLURM job array; returns the job ids
    ('<array>_<index>') in the order of ``functions``.

    Args:
        functions: picklable callables without arguments (one job each).
        folder: submitit's folder for the pickles and logs (``%A_%a`` names a task).
        settings: ``softrecon.cluster.settings.load_launcher_settings``'s keys.
        name: the jobs' name in the queue.
    """
    if not functions:
        return []
    import submitit  # the optional 'cluster' extra

    executor = submitit.AutoExecutor(
        folder=folder, cluster="slurm", **{f"slurm_{key}": settings[key] for key in EXECUTOR_KEYS if key in settings}
    )
    parameters = {
        (key if key in GENERIC_KEYS else f"slurm_{key}"): value
        for key, value in settings.items()
        if key not in EXECUTOR_KEYS and value is not None
    }
    executor.update_parameters(name=name, **parameters)
    with executor.batch():
        jobs = [executor.submit(function) for function in functions]
    return [str(job.job_id) for job in jobs]
