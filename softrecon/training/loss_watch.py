"""Stop on a non-finite loss: at once on a CPU, without a host sync per step on a GPU."""

from __future__ import annotations

from typing import Optional

import torch


class LossWatch:
    """Watches the loss of every step; raises FloatingPointError naming the first bad iteration.

    On a CPU ``watch`` raises at once. On a GPU reading the loss would synchronize every
    step, so ``watch`` records the first non-finite iteration on the device and ``check``
    (called before anything is logged, validated or saved) raises it, with one sync.
    """

    def __init__(self) -> None:
        self._first_nonfinite: Optional[torch.Tensor] = None  # () long on the device; -1: none yet

    def watch(self, loss: torch.Tensor, iteration: int) -> None:
        """Record the scalar ``loss`` of ``iteration``; on a CPU raise if it is not finite."""
        if loss.device.type == "cpu":
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss became {loss.item()} at iteration {iteration}")
            return
        if self._first_nonfinite is None:
            self._first_nonfinite = torch.full((), -1, dtype=torch.long, device=loss.device)
        bad = ~torch.isfinite(loss) & (self._first_nonfinite < 0)
        self._first_nonfinite = torch.where(
            bad, torch.full_like(self._first_nonfinite, iteration), self._first_nonfinite
        )

    def check(self) -> None:
        """Raise FloatingPointError if a loss recorded on the GPU was not finite (one sync)."""
        if self._first_nonfinite is not None and int(self._first_nonfinite) >= 0:
            raise FloatingPointError(
                f"loss became non-finite at iteration {int(self._first_nonfinite)} "
                "(checked on the GPU every logged, validated or saved iteration)"
            )
