"""``Trainer``: the training loop with exact resume, DDP, logging; ``train(cfg)``.

One iteration: a batch of view pairs (a, b) -> the network predicts a mesh from each
image -> each mesh is rendered at both views -> soft IoU + Laplacian + flatten -> Adam.
The step is split at the predicted vertices (network forward, then renderer and losses
forward and backward down to the vertices, then the network backward) so that each
phase can be timed on its own; the gradients are the same as one backward pass.

Exact resume: a checkpoint holds the model, the optimizer, the iteration (from which
lr and sigma follow), the data sampler's position and the states of every RNG, and is
written after everything the iteration does (logging, validation), so training N + N
iterations with a restart in between gives the weights of 2N straight iterations.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from typing import Any, Dict, Optional

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from softrecon.config.checks import check_train_config
from softrecon.data import ViewPairSampler
from softrecon.evaluation.scoring import VoxelScorer
from softrecon.models import build_model
from softrecon.models.inference import reconstruct, resize_images
from softrecon.renderer.settings import RasterSettings
from softrecon.renderer.soft_renderer import SoftRenderer
from softrecon.runs.checkpoint import (
    CHECKPOINT_DIR,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    load_weights,
    resolve_checkpoint,
    run_dir_of,
    save_checkpoint,
    set_aside_after,
)
from softrecon.runs.dataset import build_dataset
from softrecon.runs.distributed import DistContext, broadcast_object, setup_distributed, teardown_distributed
from softrecon.runs.rng import get_rng_state, set_rng_state
from softrecon.runs.run_dir import resolve_run_dir
from softrecon.runs.run_lock import RunFolderBusy, RunLock
from softrecon.runs.run_logger import RunLogger
from softrecon.runs.schedule import step_decay
from softrecon.runs.timing import PhaseTimer
from softrecon.utils.atomic import atomic_write

from .objective import MultiViewObjective, StepOutput

VAL_VIEWS = 4  # views per object in the cheap validation (evenly spaced azimuths)
# cuBLAS needs this to be deterministic on CUDA (torch.use_deterministic_algorithms).
CUBLAS_DETERMINISTIC_WORKSPACE = ":4096:8"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) from one integer."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Trainer:
    """Everything one training run holds. ``fit()`` runs it; rank 0 alone writes.

    Args:
        cfg: a composed ``configs/train.yaml`` (schema ``softrecon.config.TrainConfig``).
    """

    def __init__(self, cfg: DictConfig) -> None:
        self.cfg = cfg
        trainer_cfg = cfg.trainer
        check_train_config(cfg)  # every interval and count, before any data is read
        self.context: DistContext = setup_distributed(trainer_cfg.device)
        self._configure_torch()
        seed_everything(trainer_cfg.seed)

        checkpoint_file = self._find_checkpoint()
        state = load_checkpoint(checkpoint_file, map_location=self.context.device) if checkpoint_file else None
        if state is not None and int(state["iteration"]) > trainer_cfg.iterations:
            raise ValueError(
                f"trainer.iterations={trainer_cfg.iterations} is below the iteration of checkpoint {state['path']!r} "
                f"({int(state['iteration'])}): there is nothing to train. Set trainer.iterations >= {int(state['iteration'])} "
                f"to continue, or branch from an earlier checkpoint (ckpt_path=<run>/checkpoints/step_<it>.pt)"
            )
        self.run_dir = broadcast_object(
            self._choose_run_dir(checkpoint_file) if self.context.is_main else None, self.context
        )
        self.checkpoint_dir = os.path.join(self.run_dir, CHECKPOINT_DIR)
        self.lock: Optional[RunLock] = None
        refusal = self._claim_run_dir(fresh=state is None) if self.context.is_main else None
        refusal = broadcast_object(refusal, self.context)  # every rank stops, not only rank 0
        if refusal is not None:
            raise refusal

        self.dataset = build_dataset(cfg.data, cfg.data.train_split, self.context)
        self.sampler = self._build_sampler()
        self._batches = None  # iterator over the sampler (it prefetches in a thread)
        self._val_dataset = None

        device = self.context.device
        self.model = build_model(cfg.model).to(device)
        settings = instantiate(cfg.renderer)
        self.renderer = SoftRenderer(settings, lighting=None)
        self.base_sigma = settings.sigma
        self.objective = MultiViewObjective(
            self.renderer,
            self.model.faces,
            self.model.num_vertices,
            cfg.loss.iou,
            cfg.loss.laplacian,
            cfg.loss.flatten,
            cfg.loss.color,
            cfg.loss.color_laplacian,
        ).to(device)
        self.network = self.model
        if self.context.distributed:
            device_ids = [device] if device.type == "cuda" else None
            self.network = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=device_ids)
        self.optimizer = instantiate(cfg.optim)(params=self.model.parameters())
        self.base_lr = float(cfg.optim.lr)
        self.iteration = 0
        # Phase timing synchronizes a GPU around every phase: only when profiling there.
        self.timer = PhaseTimer(device, enabled=device.type == "cpu" or bool(cfg.trainer.profile))
        self._first_nonfinite = None  # CUDA: device tensor, first iteration whose loss was not finite (-1: none)
        self.resumed_from: Optional[str] = checkpoint_file
        if state is not None:
            self.load_state_dict(state)

    # ------------------------------------------------------------------ set-up
    def _configure_torch(self) -> None:
        trainer_cfg = self.cfg.trainer
        if trainer_cfg.num_threads > 0:
            torch.set_num_threads(trainer_cfg.num_threads)
        if trainer_cfg.deterministic:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_DETERMINISTIC_WORKSPACE)
            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.benchmark = False

    def _find_checkpoint(self) -> Optional[str]:
        """The checkpoint to resume from: ckpt_path, or with resume=true the latest in run_dir."""
        if self.cfg.ckpt_path:
            return resolve_checkpoint(str(self.cfg.ckpt_path))
        if self.cfg.resume:
            run_dir = self.cfg.paths.run_dir
            if not run_dir:
                raise ValueError("resume=true needs paths.run_dir=<run folder> (or use ckpt_path=<file or run folder>)")
            if not os.path.isdir(str(run_dir)):
                raise ValueError(
                    f"resume=true: run folder paths.run_dir={str(run_dir)!r} does not exist (a typo?). To start a fresh "
                    f"run there that the same command later continues (preemptible jobs), create it first: mkdir -p {run_dir}"
                )
            found = latest_checkpoint(os.path.join(str(run_dir), CHECKPOINT_DIR))
            if found is None and self.context.is_main:
                warnings.warn(
                    f"resume=true: run folder {str(run_dir)!r} holds no checkpoint yet; starting a fresh run in it"
                )
            return found
        return None

    def _choose_run_dir(self, checkpoint_file: Optional[str]) -> str:
        configured = self.cfg.paths.run_dir
        if configured is None and checkpoint_file is not None:
            configured = run_dir_of(checkpoint_file)  # continue in the interrupted run's folder
        return resolve_run_dir(configured, str(self.cfg.paths.log_dir), str(self.cfg.task_name))

    def _claim_run_dir(self, fresh: bool) -> Optional[Exception]:
        """Rank 0: lock the run folder (one live run per folder); a fresh run may not
        start in a folder holding checkpoints. Returns the error to raise, or None."""
        try:
            self.lock = RunLock(self.run_dir).acquire()
        except RunFolderBusy as error:
            return error
        if fresh and list_checkpoints(self.checkpoint_dir):
            self.lock.release()
            return ValueError(
                f"run folder {self.run_dir!r} already holds checkpoints of another run; continue it with resume=true "
                f"(or ckpt_path=...), or start this run in a folder of its own"
            )
        return None

    def _build_sampler(self) -> ViewPairSampler:
        batch_size, world_size = int(self.cfg.data.batch_size), self.context.world_size
        if batch_size < 1 or batch_size % world_size:
            raise ValueError(
                f"data.batch_size ({batch_size}) must be a positive multiple of the number of processes ({world_size})"
            )
        return ViewPairSampler(
            self.dataset,
            batch_size // world_size,
            seed=int(self.cfg.trainer.seed),
            rank=self.context.rank,
            world_size=world_size,
            view_pairs=str(self.cfg.data.view_pairs),
            pin_memory=self.context.device.type
            == "cuda",  # pinned in the prefetch thread: the copies to the GPU overlap
        )

    # ------------------------------------------------------------------ schedule
    def scheduled(self, iteration: int) -> Dict[str, float]:
        """lr and sigma at ``iteration`` (step decay, SPEC section 7)."""
        decay_at, factor = list(self.cfg.trainer.decay_at), float(self.cfg.trainer.decay_factor)
        return {
            "lr": step_decay(self.base_lr, iteration, decay_at, factor),
            "sigma": step_decay(self.base_sigma, iteration, decay_at, factor),
        }

    def _apply_schedule(self, iteration: int) -> RasterSettings:
        """Set the optimizer's lr for ``iteration``; return the renderer settings of that
        iteration (the scheduled sigma), which the step passes to the objective."""
        values = self.scheduled(iteration)
        for group in self.optimizer.param_groups:
            group["lr"] = values["lr"]
        return self.renderer.settings.replace(sigma=values["sigma"])

    # ------------------------------------------------------------------ one step
    def next_batch(self) -> Dict[str, torch.Tensor]:
        """The next batch of view pairs on the device, images at the network's size."""
        if self._batches is None:  # created lazily: after a resume has set the sampler's step
            self._batches = iter(self.sampler)
        batch = next(self._batches)
        device, size = self.context.device, int(self.cfg.data.image_size)
        out = {key: value.to(device, non_blocking=True) for key, value in batch.items()}
        out["images_a"] = resize_images(out["images_a"], size)
        out["images_b"] = resize_images(out["images_b"], size)
        return out

    def train_step(self) -> StepOutput:
        """One optimizer step at ``self.iteration`` (which it then increments)."""
        settings = self._apply_schedule(self.iteration)
        self.network.train()
        with self.timer.phase("data"):
            batch = self.next_batch()
        with self.timer.phase("network_forward"):
            images = torch.cat([batch["images_a"], batch["images_b"]], dim=0)
            if self.model.has_color:
                vertices, color = self.network(images, with_color=True)
                outputs = [vertices, color.textures]
            else:
                outputs = [self.network(images)]
        with self.timer.phase("render_and_loss"):  # forward and backward down to the network's outputs
            leaves = [tensor.detach().requires_grad_() for tensor in outputs]
            textures = leaves[1] if len(leaves) > 1 else None
            output = self.objective(
                leaves[0], batch["images_a"], batch["images_b"], batch["view_a"], batch["view_b"], textures, settings
            )
            self.optimizer.zero_grad(set_to_none=True)
            output.loss.backward()
        with self.timer.phase("network_backward"):  # includes the DDP gradient all-reduce
            grads = [leaf.grad if leaf.grad is not None else torch.zeros_like(leaf) for leaf in leaves]
            torch.autograd.backward(outputs, grads)
        with self.timer.phase("optimizer"):
            self.optimizer.step()
        self._watch_loss(output.loss)
        self.iteration += 1
        output.inputs = batch["images_a"]
        return output

    def _watch_loss(self, loss: torch.Tensor) -> None:
        """Raise FloatingPointError on a non-finite loss: at once on a CPU; on a GPU it is
        recorded on the device (no host sync per step) and raised by ``check_loss``."""
        if loss.device.type == "cpu":
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss became {loss.item()} at iteration {self.iteration}")
            return
        if self._first_nonfinite is None:
            self._first_nonfinite = torch.full((), -1, dtype=torch.long, device=loss.device)
        bad = ~torch.isfinite(loss) & (self._first_nonfinite < 0)
        self._first_nonfinite = torch.where(
            bad, torch.full_like(self._first_nonfinite, self.iteration), self._first_nonfinite
        )

    def check_loss(self) -> None:
        """Raise FloatingPointError if a loss recorded on the GPU was not finite (one sync)."""
        if self._first_nonfinite is not None and int(self._first_nonfinite) >= 0:
            raise FloatingPointError(
                f"loss became non-finite at iteration {int(self._first_nonfinite)} (checked on the GPU every logged, validated or saved iteration)"
            )

    def close(self) -> None:
        """Stop the sampler's prefetching thread (``fit`` does it when it returns)."""
        if self._batches is not None:
            self._batches.close()
            self._batches = None

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
        self.close()
        # Every rank's sampler is at the step of rank 0's (stored); only the rank differs.
        self.sampler.load_state_dict(dict(state["sampler"], rank=self.context.rank))
        self.iteration = int(state["iteration"])
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

    # ------------------------------------------------------------------ validation
    def validate(self) -> Dict[str, float]:
        """Voxel IoU on the first ``trainer.val_objects`` objects of each validation class
        (4 views each): a cheap progress signal, not the benchmark (eval.py is)."""
        if self._val_dataset is None:
            self._val_dataset = build_dataset(self.cfg.data, self.cfg.data.val_split)
        dataset = self._val_dataset
        scorer = VoxelScorer(dataset, self.model.faces)
        views = torch.arange(0, dataset.num_views, max(1, dataset.num_views // VAL_VIEWS))[:VAL_VIEWS]
        for class_id in dataset.class_ids:
            for obj in list(dataset.object_range(class_id))[: int(self.cfg.trainer.val_objects)]:
                images = dataset.get_images(obj, views).to(self.context.device)
                vertices = reconstruct(self.model, images, int(self.cfg.data.image_size))
                scorer.add(vertices, [obj] * len(views), views.tolist())
        return {f"val/iou_{class_id}": value for class_id, value in scorer.per_class().items()} | {
            "val/iou_mean": scorer.class_mean()
        }

    # ------------------------------------------------------------------ the loop
    def fit(self) -> str:
        """Train up to ``trainer.iterations``; returns the run folder."""
        cfg, main = self.cfg, self.context.is_main
        total = int(cfg.trainer.iterations)
        logger = RunLogger(self.run_dir, main, bool(cfg.logging.tensorboard), purge_step=self.iteration or None)
        if main:
            moved = set_aside_after(self.checkpoint_dir, self.iteration)
            if moved:  # a branch from an older checkpoint: its later ones are another trajectory
                warnings.warn(
                    f"resumed at iteration {self.iteration}: the {len(moved)} later checkpoint(s) of this folder belong to "
                    f"the abandoned trajectory and were moved to {os.path.dirname(moved[0])!r}"
                )
            with atomic_write(os.path.join(self.run_dir, "config.yaml"), "w") as handle:  # overwritten each (re)start
                handle.write(OmegaConf.to_yaml(cfg, resolve=True))
        bar = tqdm(
            total=total,
            initial=self.iteration,
            disable=not (main and cfg.logging.progress),
            dynamic_ncols=True,
            desc="train",
        )
        window_start, window_iterations = time.perf_counter(), 0
        try:
            while self.iteration < total:
                output = self.train_step()
                it, window_iterations = self.iteration, window_iterations + 1
                bar.update(1)
                events = (
                    cfg.trainer.log_every,
                    cfg.trainer.checkpoint_every,
                    cfg.trainer.val_every,
                    cfg.trainer.image_every,
                    cfg.trainer.mesh_every,
                )
                if it == total or any(every and it % every == 0 for every in events):
                    self.check_loss()  # before anything logs, validates or saves this state
                if it % cfg.trainer.log_every == 0 or it == total:
                    elapsed = time.perf_counter() - window_start
                    rate = window_iterations / elapsed if elapsed > 0 else math.nan
                    schedule = self.scheduled(it - 1)
                    terms = {name: value.item() for name, value in output.terms.items()}
                    bar.set_postfix(
                        loss=f"{output.loss.item():.4f}",
                        iou=f"{terms['iou']:.4f}",
                        lr=f"{schedule['lr']:.2e}",
                        sigma=f"{schedule['sigma']:.2e}",
                    )
                    scalars = {f"loss/{name}": value for name, value in terms.items()}
                    scalars.update(
                        {
                            "loss/total": output.loss.item(),
                            "schedule/lr": schedule["lr"],
                            "schedule/sigma": schedule["sigma"],
                        }
                    )
                    scalars.update({"perf/iterations_per_s": rate, "perf/view_pairs_per_s": rate * cfg.data.batch_size})
                    scalars.update({f"perf/fraction_{name}": value for name, value in self.timer.fractions().items()})
                    logger.scalars(scalars, it)
                    self.timer.reset()
                    window_start, window_iterations = time.perf_counter(), 0
                if cfg.trainer.image_every and it % cfg.trainer.image_every == 0:
                    logger.images(
                        it, output.inputs, output.silhouettes, output.targets, output.colors, output.color_targets
                    )
                if cfg.trainer.mesh_every and it % cfg.trainer.mesh_every == 0:
                    logger.meshes(it, output.vertices, self.model.faces, int(cfg.logging.mesh_samples), output.textures)
                if main and cfg.trainer.val_every and it % cfg.trainer.val_every == 0:
                    values = self.validate()
                    logger.scalars(values, it)
                    bar.write(f"iteration {it}: validation voxel IoU (mean over classes) {values['val/iou_mean']:.4f}")
                if it % cfg.trainer.checkpoint_every == 0 or it == total:
                    self.save_checkpoint()
            if self.iteration == total and main and not list_checkpoints(self.checkpoint_dir):
                self.save_checkpoint()  # e.g. iterations=0, or resumed at the end already
        finally:
            self.close()
            bar.close()
            logger.close()
            if self.lock is not None:
                self.lock.release()
        return self.run_dir


def train(cfg: DictConfig) -> str:
    """Train with a composed config; prints the run folder last and returns it."""
    trainer = Trainer(cfg)
    try:
        if trainer.context.is_main and trainer.resumed_from:
            print(f"resuming from {trainer.resumed_from} at iteration {trainer.iteration}", flush=True)
        run_dir = trainer.fit()
    finally:
        teardown_distributed(trainer.context)
    if trainer.context.is_main:
        print(run_dir, flush=True)
    return run_dir
