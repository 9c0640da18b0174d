"""Step schedule of the learning rate and sigma (SPEC section 7: x0.3 after 150k)."""

from __future__ import annotations

import math
from typing import Sequence


def step_decay(base: float, iteration: int, decay_at: Sequence[int], factor: float) -> float:
    """``base`` times ``factor`` once for every milestone in ``decay_at`` that is <= ``iteration``.

    Iterations count from 0; with ``decay_at=[150000]`` iteration 149999 uses ``base`` and
    150000 on use ``base * factor`` (SoftRas' ``i >= 150000``).

    Args:
        base: the value before any decay, finite and > 0.
        iteration: the current iteration, >= 0.
        decay_at: milestones (iterations), each >= 0, any order.
        factor: multiplier per milestone, finite and > 0.

    Returns:
        The scheduled value as a Python float.
    """
    if not (math.isfinite(base) and base > 0):
        raise ValueError(f"base must be a finite number > 0, got {base!r}")
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"factor must be a finite number > 0, got {factor!r}")
    if iteration < 0:
        raise ValueError(f"iteration must be >= 0, got {iteration!r}")
    if any(m < 0 for m in decay_at):
        raise ValueError(f"decay_at must hold iterations >= 0, got {list(decay_at)!r}")
    passed = sum(1 for milestone in decay_at if iteration >= milestone)
    return float(base * factor**passed)
