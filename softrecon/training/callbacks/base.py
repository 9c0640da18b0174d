"""What a callback of the training loop is: hooks called around the iterations."""

from __future__ import annotations


class Callback:
    """Base of the loop's callbacks; every hook does nothing unless overridden.

    The loop (``softrecon.training.loop.FitLoop.run``) calls ``on_fit_start`` once,
    ``on_step_end`` after each iteration (``trainer.iteration`` is then the number of
    iterations done), ``on_fit_end`` after the last, and ``teardown`` however it ended.
    ``trainer`` is the ``softrecon.training.Trainer``.
    """

    def acts_at(self, iteration: int) -> bool:
        """Whether ``on_step_end`` logs, validates or saves after ``iteration`` (the loop
        checks a GPU's loss for NaN first)."""
        return False

    def on_fit_start(self, trainer) -> None:
        """Before the first iteration of this (re)start."""

    def on_step_end(self, trainer, output) -> None:
        """After an iteration; ``output`` is its ``StepOutput``."""

    def on_fit_end(self, trainer) -> None:
        """After the last iteration (not reached when an iteration raises)."""

    def teardown(self) -> None:
        """Release what the callback holds (always called)."""


def every(iteration: int, interval: int) -> bool:
    """Whether an interval setting (0: never) falls on ``iteration``."""
    return bool(interval) and iteration % interval == 0


def every_and_last(iteration: int, interval: int, total: int) -> bool:
    """Whether an interval setting (0: never) falls on ``iteration``, or ``iteration`` is
    the run's last (``total``): a run shorter than the interval still shows its end."""
    return bool(interval) and (iteration % interval == 0 or iteration == total)
