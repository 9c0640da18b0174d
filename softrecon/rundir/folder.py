"""Where a run writes: the configured folder, Hydra's output folder, or a fresh one."""

from __future__ import annotations

import datetime
import os
from typing import Optional

CONFIG_FILE = "config.yaml"  # the resolved config of the run's last (re)start, in the run folder


def hydra_output_dir() -> Optional[str]:
    """Hydra's output folder when running under ``@hydra.main``, else None."""
    try:
        from hydra.core.hydra_config import HydraConfig

        if HydraConfig.initialized():
            return HydraConfig.get().runtime.output_dir
    except (ImportError, ValueError):
        pass
    return None


def resolve_run_dir(configured: Optional[str], log_dir: str, task_name: str) -> str:
    """``configured`` if set, else Hydra's output folder, else ``log_dir/task/runs/<time>``.

    The folder is created; the returned path is absolute.
    """
    folder = configured or hydra_output_dir()
    if not folder:
        stamp = datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S_%f")
        folder = os.path.join(log_dir, task_name, "runs", stamp)
    folder = os.path.abspath(folder)
    os.makedirs(folder, exist_ok=True)
    return folder
