"""Wall-clock timers of the phases of a training step (data, network, renderer, ...)."""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from typing import Dict, Iterator

import torch


class PhaseTimer:
    """Accumulates seconds per named phase.

    Args:
        device: CUDA work is asynchronous; on a CUDA device each phase ends with a
            synchronize so that its time is its own (costs a little throughput).
        enabled: False makes ``phase`` a no-op (the trainer disables it on a GPU unless
            ``trainer.profile``: the synchronizes stall the GPU's queue every step).
    """

    def __init__(self, device: torch.device = torch.device("cpu"), enabled: bool = True) -> None:
        self.sync = device.type == "cuda"
        self.enabled = enabled
        self.totals: Dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        if self.sync:
            torch.cuda.synchronize()
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.sync:
                torch.cuda.synchronize()
            self.totals[name] += time.perf_counter() - start

    def reset(self) -> None:
        self.totals.clear()

    def fractions(self) -> Dict[str, float]:
        """Share of each phase in the total timed so far (empty when nothing was timed)."""
        total = sum(self.totals.values())
        return {name: value / total for name, value in self.totals.items()} if total > 0 else {}
