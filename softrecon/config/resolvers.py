"""OmegaConf resolvers the configs use; registered on import of ``softrecon.config``."""

from __future__ import annotations

import os

from omegaconf import OmegaConf

# torchrun sets these in every rank it starts; its agent process is their common parent.
_TORCHRUN_VARIABLES = ("TORCHELASTIC_RUN_ID", "LOCAL_RANK")


def launch_id() -> str:
    """The pid of the process that launched this run: torchrun's agent for every rank of
    a DDP job (so that the ranks agree on the run folder), else this process. It makes
    the run folders of two runs started in the same second differ."""
    launched_by_torchrun = any(name in os.environ for name in _TORCHRUN_VARIABLES)
    return str(os.getppid() if launched_by_torchrun else os.getpid())


def register_resolvers() -> None:
    """Register ``${softrecon.launch_id:}`` (idempotent). Cached: a sweep's jobs that
    submitit runs in other processes (and their requeues) resolve Hydra's sweep folder
    from the launcher's cached value, so they all land in the launcher's folder."""
    if not OmegaConf.has_resolver("softrecon.launch_id"):
        OmegaConf.register_new_resolver("softrecon.launch_id", launch_id, use_cache=True)


register_resolvers()
