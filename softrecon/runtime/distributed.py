"""DistributedDataParallel set-up from the launcher's environment: torchrun's (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or SLURM's, for tasks started by
``srun`` (SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_LOCALID, the step's node list)."""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any, Dict, Mapping

import torch
import torch.distributed as dist


@dataclasses.dataclass(frozen=True)
class DistContext:
    """Where this process stands: rank among world_size, its device."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes logs, checkpoints and meshes."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


# The port rank 0 listens on under SLURM when MASTER_PORT is not set: one of
# [SLURM_PORT_BASE, SLURM_PORT_BASE + SLURM_PORT_SPAN) chosen by the job id, so that two
# jobs sharing a node rarely collide (set MASTER_PORT in the job script to be sure).
SLURM_PORT_BASE = 15000
SLURM_PORT_SPAN = 20000


def first_host(nodelist: str) -> str:
    """The first host of a SLURM node list: 'gpu[07-09,12],cpu1' -> 'gpu07'.

    Raises:
        ValueError: an empty or malformed list.
    """
    match = re.match(r"\s*([^,\[\s]+)(?:\[([^\]]+)\])?", nodelist or "")
    if not match:
        raise ValueError(f"SLURM node list {nodelist!r} names no host")
    prefix, ranges = match.groups()
    if ranges is None:
        return prefix
    first = ranges.split(",")[0].split("-")[0]
    if not first:
        raise ValueError(f"SLURM node list {nodelist!r} is malformed")
    return prefix + first


def launch_environment(environ: Mapping[str, str] = os.environ) -> Dict[str, str]:
    """RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT of this process.

    torchrun's variables when RANK and WORLD_SIZE are set; else SLURM's when this is a
    task of an ``srun`` step (SLURM_STEP_NUM_TASKS is set: the batch script itself, which
    runs once whatever ``--ntasks`` says, is not a rank); else one process. Under SLURM
    the master is the step's first node and the port MASTER_PORT, or one derived from
    the job id (``SLURM_PORT_BASE``).
    """
    if "RANK" in environ and "WORLD_SIZE" in environ:  # torchrun also sets MASTER_ADDR/PORT
        return {
            "RANK": environ["RANK"],
            "WORLD_SIZE": environ["WORLD_SIZE"],
            "LOCAL_RANK": environ.get("LOCAL_RANK", "0"),
        }
    if environ.get("SLURM_STEP_NUM_TASKS") and environ.get("SLURM_PROCID") is not None:
        world_size = environ["SLURM_STEP_NUM_TASKS"]
        out = {
            "RANK": environ["SLURM_PROCID"],
            "WORLD_SIZE": world_size,
            "LOCAL_RANK": environ.get("SLURM_LOCALID", "0"),
        }
        if int(world_size) > 1:
            nodes = environ.get("SLURM_STEP_NODELIST") or environ.get("SLURM_JOB_NODELIST") or ""
            out["MASTER_ADDR"] = environ.get("MASTER_ADDR") or first_host(nodes)
            job = int(re.sub(r"\D", "", environ.get("SLURM_JOB_ID", "0")) or 0)
            out["MASTER_PORT"] = environ.get("MASTER_PORT") or str(SLURM_PORT_BASE + job % SLURM_PORT_SPAN)
        return out
    return {"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0"}


def choose_device(name: str, local_rank: int = 0) -> torch.device:
    """'auto' (CUDA if available), 'cpu' or 'cuda' -> a device (cuda:<local_rank>; the
    one visible GPU when the scheduler gives each task its own, e.g. --gpus-per-task=1)."""
    if name not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {name!r}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device='cuda' was asked for but CUDA is not available")
        return torch.device("cuda", local_rank if local_rank < torch.cuda.device_count() else 0)
    return torch.device("cpu")


def setup_distributed(device_name: str) -> DistContext:
    """Initialize the process group when launched as several processes (torchrun, or
    ``srun`` with several tasks: ``launch_environment``).

    The backend is nccl for CUDA and gloo for CPU. One process: nothing is initialized.
    """
    launch = launch_environment()
    world_size, rank, local_rank = int(launch["WORLD_SIZE"]), int(launch["RANK"]), int(launch["LOCAL_RANK"])
    device = choose_device(device_name, local_rank)
    if world_size > 1 and not dist.is_initialized():
        for key in ("MASTER_ADDR", "MASTER_PORT"):  # the env:// rendezvous reads them
            if key in launch:
                os.environ[key] = launch[key]
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo", rank=rank, world_size=world_size)
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def broadcast_object(value: Any, context: DistContext) -> Any:
    """Rank 0's ``value`` on every rank (identity without a process group)."""
    if not context.distributed:
        return value
    holder = [value]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def barrier(context: DistContext) -> None:
    if context.distributed:
        dist.barrier()


def teardown_distributed(context: DistContext) -> None:
    if context.distributed and dist.is_initialized():
        dist.destroy_process_group()
