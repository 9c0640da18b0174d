"""Set-up of a training run from its config: each piece the ``Trainer`` holds, built by
one function (torch flags and seeds, the checkpoint to resume, the run folder and its
lock, the data sampler, the model with its loss, the optimizer).

Nothing here trains; ``Trainer.__init__`` calls these in order, ``loop`` runs them.
"""

from __future__ import annotations

import os
import warnings
from typing import Optional, Tuple

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig

from softrecon.datasets import ViewPairSampler
from softrecon.models import build_model
from softrecon.renderer.soft_renderer import SoftRenderer
from softrecon.rundir.checkpoint import (
    CHECKPOINT_DIR,
    latest_checkpoint,
    list_checkpoints,
    resolve_checkpoint,
    run_dir_of,
)
from softrecon.rundir.folder import hydra_output_dir, resolve_run_dir
from softrecon.rundir.lock import RunFolderBusy, RunLock
from softrecon.runtime.distributed import DistContext
from softrecon.runtime.signals import requeued_slurm_job
from softrecon.runtime.timing import PhaseTimer

from .objective import MultiViewObjective
from .task import ReconstructionTask

# cuBLAS needs this to be deterministic on CUDA (torch.use_deterministic_algorithms).
CUBLAS_DETERMINISTIC_WORKSPACE = ":4096:8"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) from one integer."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def configure_torch(trainer_cfg: DictConfig) -> None:
    """torch's CPU threads (``trainer.num_threads``) and deterministic algorithms
    (``trainer.deterministic``), process-wide."""
    if trainer_cfg.num_threads > 0:
        torch.set_num_threads(trainer_cfg.num_threads)
    if trainer_cfg.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_DETERMINISTIC_WORKSPACE)
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False


def find_checkpoint(cfg: DictConfig, is_main: bool) -> Optional[str]:
    """The checkpoint to resume from: ``ckpt_path``, or with ``resume=true`` the latest in
    ``paths.run_dir`` (None: a fresh run; rank 0 warns when that folder holds none yet).
    A requeued SLURM job (SLURM_RESTART_COUNT > 0) continues from the latest checkpoint
    of its run folder (``paths.run_dir`` or Hydra's output folder, which a requeued job
    of a sweep finds again) without being told: it is the same run.

    Raises:
        ValueError: ``resume=true`` without ``paths.run_dir``, or with a missing folder.
    """
    if cfg.ckpt_path:
        return resolve_checkpoint(str(cfg.ckpt_path))
    if not cfg.resume:
        folder = (cfg.paths.run_dir or hydra_output_dir()) if requeued_slurm_job() else None
        found = latest_checkpoint(os.path.join(str(folder), CHECKPOINT_DIR)) if folder else None
        if found is not None and is_main:
            print(f"requeued SLURM job: continuing from {found}", flush=True)
        return found
    run_dir = cfg.paths.run_dir
    if not run_dir:
        raise ValueError("resume=true needs paths.run_dir=<run folder> (or use ckpt_path=<file or run folder>)")
    if not os.path.isdir(str(run_dir)):
        raise ValueError(
            f"resume=true: run folder paths.run_dir={str(run_dir)!r} does not exist (a typo?). To start a fresh "
            f"run there that the same command later continues (preemptible jobs), create it first: mkdir -p {run_dir}"
        )
    found = latest_checkpoint(os.path.join(str(run_dir), CHECKPOINT_DIR))
    if found is None and is_main:
        warnings.warn(f"resume=true: run folder {str(run_dir)!r} holds no checkpoint yet; starting a fresh run in it")
    return found


def check_resumable(cfg: DictConfig, state: dict) -> None:
    """Raise ValueError if ``trainer.iterations`` is below the checkpoint's iteration."""
    iteration, total = int(state["iteration"]), cfg.trainer.iterations
    if iteration > total:
        raise ValueError(
            f"trainer.iterations={total} is below the iteration of checkpoint {state['path']!r} "
            f"({iteration}): there is nothing to train. Set trainer.iterations >= {iteration} "
            f"to continue, or branch from an earlier checkpoint (ckpt_path=<run>/checkpoints/step_<it>.pt)"
        )


def choose_run_dir(cfg: DictConfig, checkpoint_file: Optional[str]) -> str:
    """The run folder: ``paths.run_dir``, else the resumed checkpoint's run folder, else
    Hydra's output folder (or ``paths.log_dir``/<time> without Hydra)."""
    configured = cfg.paths.run_dir
    if configured is None and checkpoint_file is not None:
        configured = run_dir_of(checkpoint_file)  # continue in the interrupted run's folder
    return resolve_run_dir(configured, str(cfg.paths.log_dir), str(cfg.task_name))


def claim_run_dir(run_dir: str, fresh: bool) -> Tuple[Optional[RunLock], Optional[Exception]]:
    """Rank 0: lock the run folder (one live run per folder); a fresh run may not start
    in a folder holding checkpoints.

    Returns:
        (the held lock, None), or (None, the error to raise on every rank).
    """
    try:
        lock = RunLock(run_dir).acquire()
    except RunFolderBusy as error:
        return None, error
    if fresh and list_checkpoints(os.path.join(run_dir, CHECKPOINT_DIR)):
        lock.release()
        return None, ValueError(
            f"run folder {run_dir!r} already holds checkpoints of another run; continue it with resume=true "
            f"(or ckpt_path=...), or start this run in a folder of its own"
        )
    return lock, None


def build_sampler(cfg: DictConfig, dataset, context: DistContext) -> ViewPairSampler:
    """This process's sampler of view pairs: ``data.batch_size`` divided among the ranks.

    Raises:
        ValueError: the batch is not a positive multiple of the number of processes.
    """
    batch_size, world_size = int(cfg.data.batch_size), context.world_size
    if batch_size < 1 or batch_size % world_size:
        raise ValueError(
            f"data.batch_size ({batch_size}) must be a positive multiple of the number of processes ({world_size})"
        )
    return ViewPairSampler(
        dataset,
        batch_size // world_size,
        seed=int(cfg.trainer.seed),
        rank=context.rank,
        world_size=world_size,
        view_pairs=str(cfg.data.view_pairs),
        pin_memory=context.device.type == "cuda",  # pinned in the prefetch thread: the copies to the GPU overlap
    )


def build_task(cfg: DictConfig, context: DistContext, timer: PhaseTimer) -> ReconstructionTask:
    """The model (``model`` group), the silhouette renderer (``renderer``) and the
    objective (``loss``) on the device; under DDP the network is the model's wrapper."""
    device = context.device
    model = build_model(cfg.model).to(device)
    renderer = SoftRenderer(instantiate(cfg.renderer), lighting=None)
    loss = cfg.loss
    objective = MultiViewObjective(
        renderer,
        model.faces,
        model.num_vertices,
        loss.iou,
        loss.laplacian,
        loss.flatten,
        loss.color,
        loss.color_laplacian,
    ).to(device)
    network = model
    if context.distributed:
        device_ids = [device] if device.type == "cuda" else None
        network = torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
    return ReconstructionTask(model, objective, network, timer)


def build_optimizer(cfg: DictConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    """The ``optim`` group's optimizer over the model's parameters."""
    return instantiate(cfg.optim)(params=model.parameters())
