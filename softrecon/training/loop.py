"""The training loop: schedule, batch, step, optimizer; callbacks after each iteration.

One iteration at ``iteration`` i: the optimizer's lr and the renderer settings' sigma
are set to the schedule's values at i (the run's ``Schedule``, built once; the step's
output carries the values to the callbacks), the next batch of view pairs goes to the device,
the task computes the loss and the gradients, the optimizer steps and i becomes i + 1;
then every callback sees the iteration (logging, validation, checkpoints: ``callbacks``).

Shape symbols: B view pairs (per process), S image side.
"""

from __future__ import annotations

from typing import Dict, Iterator, Optional, Sequence

import torch

from softrecon.config.schedule import Schedule
from softrecon.datasets import ViewPairSampler
from softrecon.models.inference import resize_images
from softrecon.renderer.settings import RasterSettings
from softrecon.runtime.signals import StopAgreement
from softrecon.runtime.timing import PhaseTimer

from .callbacks import Callback
from .loss_watch import LossWatch
from .objective import StepOutput
from .task import ReconstructionTask


class BatchStream:
    """The sampler's batches on the device, images area-resized to the network's side.

    Args:
        sampler: the ``ViewPairSampler`` (it prefetches in a thread once iterated).
        device: where the batches go.
        image_size: S, the side the network sees (``data.image_size``).
    """

    def __init__(self, sampler: ViewPairSampler, device: torch.device, image_size: int) -> None:
        self.sampler = sampler
        self.device = device
        self.image_size = image_size
        self._batches: Optional[Iterator] = None

    def next(self) -> Dict[str, torch.Tensor]:
        """'images_a', 'images_b' (B, 4, S, S) float; 'view_a', 'view_b' (B,) long."""
        if self._batches is None:  # created lazily: after a resume has set the sampler's step
            self._batches = iter(self.sampler)
        batch = next(self._batches)
        out = {key: value.to(self.device, non_blocking=True) for key, value in batch.items()}
        out["images_a"] = resize_images(out["images_a"], self.image_size)
        out["images_b"] = resize_images(out["images_b"], self.image_size)
        return out

    def close(self) -> None:
        """Stop the sampler's prefetching thread; the next ``next`` starts it again."""
        if self._batches is not None:
            self._batches.close()
            self._batches = None


class FitLoop:
    """Runs the iterations of one training run.

    Args:
        task: the model with its loss.
        optimizer: steps the model's parameters.
        batches: the stream of batches.
        schedule: the run's lr / sigma schedule, built once from its config.
        timer: times the phases ``data`` and ``optimizer`` (the task times its own).
    """

    def __init__(
        self,
        task: ReconstructionTask,
        optimizer: torch.optim.Optimizer,
        batches: BatchStream,
        schedule: Schedule,
        timer: PhaseTimer,
    ) -> None:
        self.task = task
        self.optimizer = optimizer
        self.batches = batches
        self.schedule = schedule
        self.timer = timer
        self.loss_watch = LossWatch()
        self.iteration = 0  # iterations done; the next step runs at this one
        # The last iteration's total loss, on the device (read only at the end); None before the first.
        self.last_loss: Optional[torch.Tensor] = None

    def apply_schedule(self, values: Dict[str, float]) -> RasterSettings:
        """Set the optimizer's lr to the scheduled ``values['lr']``; return the renderer
        settings with the scheduled ``values['sigma']``, which the step passes to the
        objective (the renderer itself is never written)."""
        for group in self.optimizer.param_groups:
            group["lr"] = values["lr"]
        return self.task.objective.renderer.settings.replace(sigma=values["sigma"])

    def step(self) -> StepOutput:
        """One optimizer step at ``self.iteration`` (which it then increments).

        Returns:
            The task's ``StepOutput``, with ``inputs`` (B, 4, S, S) set to images a and
            ``schedule`` to the lr and sigma of the step (what the callbacks report).
        """
        values = self.schedule.at(self.iteration)
        settings = self.apply_schedule(values)
        with self.timer.phase("data"):
            batch = self.batches.next()
        self.optimizer.zero_grad(set_to_none=True)
        output = self.task.training_step(batch, settings)
        with self.timer.phase("optimizer"):
            self.optimizer.step()
        self.loss_watch.watch(output.loss, self.iteration)
        self.iteration += 1
        output.inputs = batch["images_a"]
        output.schedule = values
        self.last_loss = output.loss.detach()
        return output

    def run(
        self, trainer, total: int, callbacks: Sequence[Callback], stop: Optional[StopAgreement] = None
    ) -> Optional[int]:
        """Step up to iteration ``total``, calling each callback after each iteration.

        A GPU's recorded non-finite loss is checked before any callback acts on an
        iteration (logs, validates or saves it). ``trainer`` is what callbacks see. The
        batch stream and the callbacks are closed however the loop ends.

        Returns:
            None when ``total`` was reached; the signal's number when ``stop`` ended the
            loop at an iteration boundary (after that iteration's callbacks; the caller
            writes its checkpoint; ``on_fit_end`` is not called).
        """
        stopped = None
        try:
            for callback in callbacks:
                callback.on_fit_start(trainer)
            while self.iteration < total:
                output = self.step()
                if self.iteration == total or any(callback.acts_at(self.iteration) for callback in callbacks):
                    self.loss_watch.check()
                for callback in callbacks:
                    callback.on_step_end(trainer, output)
                stopped = stop.should_stop() if stop is not None else None
                if stopped is not None and self.iteration < total:
                    self.loss_watch.check()  # the checkpoint of a stop holds no non-finite step
                    return stopped
            stopped = None
            for callback in callbacks:
                callback.on_fit_end(trainer)
        finally:
            if stop is not None:
                stop.close()
            self.batches.close()
            for callback in callbacks:
                callback.teardown()
        return stopped
