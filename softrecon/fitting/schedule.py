"""Annealing schedules for fitting (sigma, gamma, learning rate).

A blur parameter of the soft rasterizer acts multiplicatively (the cut-off radius is
sqrt(sigma * const)), so it is annealed geometrically: equal ratios per step.
"""

from __future__ import annotations

import math


def geometric_anneal(start: float, end: float, step: int, num_steps: int) -> float:
    """The value at ``step`` of a geometric ramp from ``start`` (step 0) to ``end``.

    Args:
        start: value at step 0, > 0.
        end: value at the last step (``num_steps - 1``), > 0.
        step: the current step, 0 <= step < num_steps (later steps keep ``end``).
        num_steps: total number of steps, >= 1; with a single step the value is ``end``.

    Returns:
        start * (end / start) ** (step / (num_steps - 1)) as a Python float.

    Raises:
        ValueError: a non-positive or non-finite start/end, num_steps < 1 or step < 0.
    """
    for name, value in (("start", start), ("end", end)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps!r}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step!r}")
    if num_steps == 1:
        return float(end)
    fraction = min(step, num_steps - 1) / (num_steps - 1)
    return float(start * (end / start) ** fraction)
