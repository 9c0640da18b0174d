"""``Trainer``: one training run, set up from its config; ``train(cfg)``.

One iteration: a batch of view pairs (a, b) -> the network predicts a mesh from each
image -> each mesh is rendered at both views -> soft IoU + Laplacian + flatten -> Adam.
The pieces, each in a module of its own (Lightning's split, without its library):

- ``assemble``: set-up, each piece built from the config;
- ``task``: the model with its loss (one step's forward and backward);
- ``loop``: the iterations (schedule, batch, step, optimizer, then the callbacks);
- ``callbacks``: logging (progress bar, TensorBoard, meshes), validation, checkpoints,
  those the ``callbacks`` config group names.

Exact resume: a checkpoint holds the model, the optimizer, the iteration (from which
lr and sigma follow), the data sampler's position and the states of every RNG, and is
written after everything the iteration does (logging, validation), so training N + N
iterations with a restart in between gives the weights of 2N straight iterations.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Dict, Optional

from omegaconf import DictConfig, OmegaConf

from softrecon.config.checks import check_train_config
from softrecon.config.schedule import Schedule
from softrecon.datasets.open import open_dataset
from softrecon.rundir.checkpoint import CHECKPOINT_DIR, checkpoint_name, load_checkpoint, load_weights, save_checkpoint
from softrecon.rundir.lock import RunLock
from softrecon.rundir.logger import RunLogger
from softrecon.runtime.distributed import (
    DistContext,
    barrier,
    broadcast_object,
    setup_distributed,
    teardown_distributed,
)
from softrecon.runtime.rng import get_rng_state, set_rng_state
from softrecon.runtime.signals import StopAgreement, StopRequest, hand_over
from softrecon.runtime.timing import PhaseTimer

from . import assemble
from .assemble import seed_everything
from .callbacks import build_callbacks, check_callbacks
from .loop import BatchStream, FitLoop
from .summary import TrainSummary
from .validation import validate


class Trainer:
    """Everything one training run holds. ``fit()`` runs it; rank 0 alone writes.

    Args:
        cfg: a composed ``configs/train.yaml`` (schema ``softrecon.config.TrainConfig``).
    """

    def __init__(self, cfg: DictConfig) -> None:
        self.cfg = cfg
        check_train_config(cfg)  # every interval and count, before any data is read
        check_callbacks(cfg.callbacks.enabled)
        self.context: DistContext = setup_distributed(cfg.trainer.device)
        assemble.configure_torch(cfg.trainer)
        seed_everything(cfg.trainer.seed)

        checkpoint_file = assemble.find_checkpoint(cfg, self.context.is_main)
        state = load_checkpoint(checkpoint_file, map_location=self.context.device) if checkpoint_file else None
        if state is not None:
            assemble.check_resumable(cfg, state)
            assemble.check_resume_config(cfg, state)
        main_dir = assemble.choose_run_dir(cfg, checkpoint_file) if self.context.is_main else None
        self.run_dir: str = broadcast_object(main_dir, self.context)
        self.checkpoint_dir = os.path.join(self.run_dir, CHECKPOINT_DIR)
        self.lock: Optional[RunLock] = None
        refusal = None
        if self.context.is_main:
            self.lock, refusal = assemble.claim_run_dir(self.run_dir, fresh=state is None)
        refusal = broadcast_object(refusal, self.context)  # every rank stops, not only rank 0
        if refusal is not None:
            raise refusal

        device = self.context.device
        self.dataset = open_dataset(cfg.data, cfg.data.train_split, self.context.is_main)
        self.sampler = assemble.build_sampler(cfg, self.dataset, self.context)
        self._val_dataset = None
        # Phase timing synchronizes a GPU around every phase: only when profiling there.
        self.timer = PhaseTimer(device, enabled=device.type == "cpu" or bool(cfg.trainer.profile))
        self.task = assemble.build_task(cfg, self.context, self.timer)
        self.optimizer = assemble.build_optimizer(cfg, self.model)
        batches = BatchStream(self.sampler, device, int(cfg.data.image_size))
        self.loop = FitLoop(self.task, self.optimizer, batches, Schedule.from_config(cfg), self.timer)
        self.resumed_from: Optional[str] = checkpoint_file
        if state is not None:
            self.load_state_dict(state)
        self.start_iteration = self.iteration
        self.last_validation: Optional[Dict[str, float]] = None  # the latest validate(), with its iteration
        self._fit_started: Optional[float] = None
        # SIGTERM / SIGUSR1 / SIGUSR2 during ``fit``: checkpoint at the next iteration
        # boundary and stop (``softrecon.runtime.signals``); every rank builds its agreement.
        self.stop_request = StopRequest()
        self._stop = StopAgreement(self.stop_request, self.context)
        self.stopped_by: Optional[int] = None  # the signal that ended ``fit`` early
        self.stop_checkpoint: Optional[str] = None  # the checkpoint written for it

    # ------------------------------------------------------------------ views of the pieces
    @property
    def model(self):
        """The ``ReconstructionModel`` (unwrapped, also under DDP)."""
        return self.task.model

    @property
    def iteration(self) -> int:
        """Iterations done; the next step runs at this one."""
        return self.loop.iteration

    # ------------------------------------------------------------------ state
    def state_dict(self) -> Dict[str, Any]:
        """Everything needed to continue exactly; only tensors/containers/numbers/strings."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "sampler": self.sampler.state_dict(),
            "rng": get_rng_state(),
            "iteration": self.iteration,
            "world_size": self.context.world_size,
            "config": OmegaConf.to_container(self.cfg, resolve=True),
        }

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        if state.get("world_size", 1) != self.context.world_size:
            raise ValueError(
                f"checkpoint {state.get('path')!r} was written by {state.get('world_size')} processes; "
                f"resume it with the same number (got {self.context.world_size}) for an exact continuation"
            )
        load_weights(self.model, state["model"], state.get("path", "<checkpoint>"))
        self.optimizer.load_state_dict(state["optimizer"])
        self.loop.batches.close()  # the next batch comes from the restored position
        # Every rank's sampler is at the step of rank 0's (stored); only the rank differs.
        self.sampler.load_state_dict(dict(state["sampler"], rank=self.context.rank))
        self.loop.iteration = int(state["iteration"])
        # Each rank restores the RNG state of rank 0: the states only feed identical work.
        set_rng_state(state["rng"])

    def save_checkpoint(self) -> Optional[str]:
        """Rank 0 writes <run>/checkpoints/step_<iteration>.pt (atomically, last K kept).

        Under DDP the sampler position of rank 0 is stored; every rank's sampler is a
        deterministic function of (seed, rank, position), so it restores all of them.
        """
        if not self.context.is_main:
            return None
        return save_checkpoint(
            self.checkpoint_dir, self.iteration, self.state_dict(), int(self.cfg.trainer.keep_checkpoints)
        )

    def validate(self) -> Dict[str, float]:
        """Voxel IoU on the first ``trainer.val_objects`` objects of each validation class
        (``softrecon.training.validation``): a cheap progress signal, not the benchmark."""
        if self._val_dataset is None:
            self._val_dataset = open_dataset(self.cfg.data, self.cfg.data.val_split)
        cfg = self.cfg
        values = validate(
            self.model, self._val_dataset, int(cfg.trainer.val_objects), int(cfg.data.image_size), self.context.device
        )
        self.last_validation = dict(values, iteration=self.iteration)
        return values

    def summary(self) -> TrainSummary:
        """Where this run stands: iterations, time since ``fit`` started, the last loss
        (one device read) and the last validation IoU."""
        last_loss = self.loop.last_loss
        validation = self.last_validation or {}
        return TrainSummary(
            run_dir=self.run_dir,
            iteration=self.iteration,
            iterations_this_start=self.iteration - self.start_iteration,
            seconds=time.perf_counter() - self._fit_started if self._fit_started is not None else 0.0,
            last_loss=float(last_loss.item()) if last_loss is not None else None,
            val_iou=validation.get("val/iou_mean"),
            val_iteration=validation.get("iteration"),
        )

    # ------------------------------------------------------------------ the run
    def fit(self) -> str:
        """Train up to ``trainer.iterations``; returns the run folder (``summary()`` says more).

        A stop signal (SIGTERM, SIGUSR1, SIGUSR2) received meanwhile ends it after the
        current iteration with that iteration's checkpoint: ``stopped_by`` is then the
        signal and ``stop_checkpoint`` the file (``train`` exits, requeueing under SLURM).
        """
        cfg, main = self.cfg, self.context.is_main
        # On resume, TensorBoard drops what the interrupted run logged after the
        # checkpoint (steps > iteration); the checkpoint's own step was logged before it.
        purge_step = self.iteration + 1 if self.iteration else None
        logger = RunLogger(self.run_dir, main, bool(cfg.logging.tensorboard), purge_step=purge_step)
        self.stop_request.install()
        self._fit_started = time.perf_counter()
        try:
            callbacks = build_callbacks(cfg, logger, main)
            self.stopped_by = self.loop.run(self, int(cfg.trainer.iterations), callbacks, self._stop)
            if self.stopped_by is not None:
                self.stop_checkpoint = self._checkpoint_now()
        finally:
            logger.close()
            if self.lock is not None:
                self.lock.release()
            self.stop_request.uninstall()
        return self.run_dir

    def _checkpoint_now(self) -> str:
        """The checkpoint of the current iteration, written unless the loop just did."""
        path = os.path.join(self.checkpoint_dir, checkpoint_name(self.iteration))
        if self.context.is_main and not os.path.exists(path):
            path = self.save_checkpoint()
        barrier(self.context)  # no rank exits before rank 0 has written it
        return path


def train(cfg: DictConfig) -> TrainSummary:
    """Train with a composed config.

    Prints a summary line (iterations, time, last loss, last validation IoU, where the
    run's files are) and then the run folder, last. Returns the ``TrainSummary``: its
    ``val_iou`` is what the ``softrecon-train`` command returns to Hydra (a sweeper such
    as Optuna maximizes it), its ``run_dir`` the run folder.
    """
    trainer = Trainer(cfg)
    try:
        if trainer.context.is_main and trainer.resumed_from:
            print(f"resuming from {trainer.resumed_from} at iteration {trainer.iteration}", flush=True)
        trainer.fit()
        summary = trainer.summary()
    finally:
        teardown_distributed(trainer.context)
    if trainer.stopped_by is not None:
        where = f"checkpoint of iteration {trainer.iteration} written to {trainer.stop_checkpoint}"
        interrupted = hand_over(trainer.stop_request, trainer.stopped_by, trainer.context.is_main, where)
        if trainer.context.is_main:
            print(f"{interrupted.message}; resume with ckpt_path={summary.run_dir}", file=sys.stderr, flush=True)
        raise interrupted
    if trainer.context.is_main:
        print(summary.line(), flush=True)
        print(summary.run_dir, flush=True)
    return summary
