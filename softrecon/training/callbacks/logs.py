"""Callbacks that show and record a run: progress bar, TensorBoard scalars, images,
meshes, and the run's record (its config as text, hyperparameters with final metrics).

The scalars, images and meshes go through one ``softrecon.rundir.logger.RunLogger``
(a no-op on the ranks other than the main one). Loss scalars are read back from the
device (``.item()``) only on the iterations that log them. Images and meshes are also
written at the run's last iteration (unless their interval is 0), so a run shorter than
the interval still shows its result.
"""

from __future__ import annotations

import math
import time

from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from softrecon.rundir.logger import RunLogger

from .base import Callback, every, every_and_last


def _logs_at(iteration: int, log_every: int, total: int) -> bool:
    return every(iteration, log_every) or iteration == total


class ProgressBar(Callback):
    """A tqdm bar over the iterations, showing the loss, IoU term, lr and sigma each log.

    Args:
        total: the last iteration (``trainer.iterations``).
        log_every: iterations between updates of the shown values (``trainer.log_every``).
        enabled: False hides it (other ranks, ``logging.progress=false``).
    """

    def __init__(self, total: int, log_every: int, enabled: bool) -> None:
        self.total, self.log_every, self.enabled = total, log_every, enabled
        self.bar = None

    def on_fit_start(self, trainer) -> None:
        self.bar = tqdm(
            total=self.total, initial=trainer.iteration, disable=not self.enabled, dynamic_ncols=True, desc="train"
        )

    def on_step_end(self, trainer, output) -> None:
        self.bar.update(1)
        it = trainer.iteration
        if _logs_at(it, self.log_every, self.total):
            schedule = output.schedule
            self.bar.set_postfix(
                loss=f"{output.loss.item():.4f}",
                iou=f"{output.terms['iou'].item():.4f}",
                lr=f"{schedule['lr']:.2e}",
                sigma=f"{schedule['sigma']:.2e}",
            )

    def teardown(self) -> None:
        if self.bar is not None:
            self.bar.close()


class ScalarLog(Callback):
    """TensorBoard scalars every ``log_every`` iterations and at the last one: the loss
    terms (``loss/*``), the lr and sigma of the iteration (``schedule/*``), the speed
    since the previous log and each phase's share of the time (``perf/*``).

    Args:
        logger: the run's logger.
        log_every: ``trainer.log_every``.
        total: the last iteration.
        batch_size: the global batch of view pairs (for ``perf/view_pairs_per_s``).
    """

    def __init__(self, logger: RunLogger, log_every: int, total: int, batch_size: int) -> None:
        self.logger, self.log_every, self.total, self.batch_size = logger, log_every, total, batch_size
        self.window_start, self.window_iterations = time.perf_counter(), 0

    def acts_at(self, iteration: int) -> bool:
        return _logs_at(iteration, self.log_every, self.total)

    def on_fit_start(self, trainer) -> None:
        self.window_start, self.window_iterations = time.perf_counter(), 0

    def on_step_end(self, trainer, output) -> None:
        self.window_iterations += 1
        it = trainer.iteration
        if not self.acts_at(it):
            return
        elapsed = time.perf_counter() - self.window_start
        rate = self.window_iterations / elapsed if elapsed > 0 else math.nan
        schedule = output.schedule  # the values the iteration just done used
        scalars = {f"loss/{name}": value.item() for name, value in output.terms.items()}
        scalars.update(
            {"loss/total": output.loss.item(), "schedule/lr": schedule["lr"], "schedule/sigma": schedule["sigma"]}
        )
        scalars.update({"perf/iterations_per_s": rate, "perf/view_pairs_per_s": rate * self.batch_size})
        scalars.update({f"perf/fraction_{name}": value for name, value in trainer.timer.fractions().items()})
        self.logger.scalars(scalars, it)
        trainer.timer.reset()
        self.window_start, self.window_iterations = time.perf_counter(), 0


class ImageLog(Callback):
    """TensorBoard image grids every ``image_every`` iterations and at the last one (0:
    never): the input images, rendered vs target silhouettes and, for the colour model,
    colours."""

    def __init__(self, logger: RunLogger, image_every: int, total: int) -> None:
        self.logger, self.image_every, self.total = logger, image_every, total

    def acts_at(self, iteration: int) -> bool:
        return every_and_last(iteration, self.image_every, self.total)

    def on_step_end(self, trainer, output) -> None:
        if self.acts_at(trainer.iteration):
            self.logger.images(
                trainer.iteration,
                output.inputs,
                output.silhouettes,
                output.targets,
                output.colors,
                output.color_targets,
            )


class MeshLog(Callback):
    """``samples`` predicted meshes (.obj, textured for the colour model) under
    ``<run>/meshes`` and in TensorBoard's mesh view, every ``mesh_every`` iterations and
    at the last one (0: never)."""

    def __init__(self, logger: RunLogger, mesh_every: int, samples: int, total: int) -> None:
        self.logger, self.mesh_every, self.samples, self.total = logger, mesh_every, samples, total

    def acts_at(self, iteration: int) -> bool:
        return every_and_last(iteration, self.mesh_every, self.total)

    def on_step_end(self, trainer, output) -> None:
        if self.acts_at(trainer.iteration):
            self.logger.meshes(trainer.iteration, output.vertices, trainer.model.faces, self.samples, output.textures)


def flat_hparams(cfg: DictConfig) -> dict:
    """The config's leaves as TensorBoard hyperparameters: ``{'optim.lr': 3e-4, ...}``;
    lists become their text, None the text 'null', keys starting with '_' are left out."""
    out = {}

    def walk(node, prefix):
        for key, value in node.items():
            if str(key).startswith("_"):
                continue
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(value, name + ".")
            elif isinstance(value, (bool, int, float, str)):
                out[name] = value
            else:
                out[name] = "null" if value is None else str(value)

    walk(OmegaConf.to_container(cfg, resolve=True), "")
    return out


class RunRecord(Callback):
    """The run's record in TensorBoard: the config as text at each (re)start, and at the
    end the hyperparameters (every config leaf) with the final metrics (the last
    validation IoU and loss), for TensorBoard's HPARAMS view across runs.

    Args:
        logger: the run's logger.
        cfg: the run's config.
    """

    def __init__(self, logger: RunLogger, cfg: DictConfig) -> None:
        self.logger, self.cfg = logger, cfg

    def on_fit_start(self, trainer) -> None:
        self.logger.text("config", OmegaConf.to_yaml(self.cfg, resolve=True), trainer.iteration)

    def on_fit_end(self, trainer) -> None:
        summary = trainer.summary()
        metrics = {}
        if summary.val_iou is not None:
            metrics["val/iou_mean"] = summary.val_iou
        if summary.last_loss is not None:
            metrics["loss/total"] = summary.last_loss
        self.logger.hparams(flat_hparams(self.cfg), metrics)
