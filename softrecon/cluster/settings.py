"""The SLURM settings of a job: the keys of hydra-submitit-launcher's ``SlurmQueueConf``
(the ``configs/hydra/launcher/slurm.yaml`` a user edits once), read for jobs that Hydra
does not launch (``scripts/reproduce.py --launcher slurm``)."""

from __future__ import annotations

from typing import Any, Dict, Sequence

import yaml
from omegaconf import OmegaConf

# What a job may set, as in hydra-submitit-launcher's SlurmQueueConf (submitit's names
# without the ``slurm_`` prefix). The Hydra-only keys (the folder, the name, _target_)
# are not job settings.
# Settings without the ``slurm_`` prefix in submitit's AutoExecutor (shared by its clusters).
GENERIC_KEYS = (
    "timeout_min",
    "cpus_per_task",
    "gpus_per_node",
    "tasks_per_node",
    "mem_gb",
    "nodes",
    "stderr_to_stdout",
)
LAUNCHER_KEYS = GENERIC_KEYS + (
    "partition",
    "qos",
    "comment",
    "constraint",
    "exclude",
    "gres",
    "cpus_per_gpu",
    "gpus_per_task",
    "mem_per_gpu",
    "mem_per_cpu",
    "account",
    "signal_delay_s",
    "max_num_timeout",
    "additional_parameters",
    "array_parallelism",
    "setup",
)


def load_launcher_settings(path: str, overrides: Sequence[str] = ()) -> Dict[str, Any]:
    """The job settings of a launcher YAML, with ``key=value`` overrides on top.

    Args:
        path: a ``configs/hydra/launcher/*.yaml`` of this project (its ``defaults`` list
            and Hydra-only keys are ignored).
        overrides: e.g. ``["partition=gpu", "timeout_min=1440"]`` (values parsed as YAML).

    Raises:
        ValueError: an override that is not ``key=value`` or names an unknown key.
    """
    loaded = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    settings = {key: value for key, value in loaded.items() if key in LAUNCHER_KEYS}
    for override in overrides:
        key, sep, value = override.partition("=")
        if not sep or key not in LAUNCHER_KEYS:
            raise ValueError(
                f"slurm setting {override!r}: expected key=value with a key among {', '.join(LAUNCHER_KEYS)}"
            )
        settings[key] = yaml.safe_load(value) if value else None
    return settings
