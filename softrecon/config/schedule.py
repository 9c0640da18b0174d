"""Step schedule of the learning rate and sigma (docs/METHOD.md section 7: x0.3 after 150k), read
from the ``schedule`` config group (``configs/schedule/``)."""

from __future__ import annotations

import math
from typing import Dict, Mapping, Sequence


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


# What the schedule scales: name -> (config group, key) of its value at iteration 0.
SCHEDULED = {"lr": ("optim", "lr"), "sigma": ("renderer", "sigma")}


def scheduled(config: Mapping, iteration: int) -> Dict[str, float]:
    """The scheduled values of a run at ``iteration``: the one reading of the ``schedule`` group.

    Training (each step's lr and sigma) and evaluation (the sigma a checkpoint was left
    at) both call it, with a composed config or the plain dict stored in a checkpoint.

    Args:
        config: a run config holding ``schedule.decay_at`` / ``schedule.decay_factor``
            (without a ``schedule`` group nothing decays) and the bases of ``SCHEDULED``.
        iteration: the iteration, >= 0.

    Returns:
        ``{'lr': ..., 'sigma': ...}``, each of ``SCHEDULED`` whose base the config holds.
    """
    schedule = config.get("schedule") or {}
    decay_at, factor = list(schedule.get("decay_at", [])), float(schedule.get("decay_factor", 1.0))
    values = {}
    for name, (group, key) in SCHEDULED.items():
        base = (config.get(group) or {}).get(key)
        if base is not None:
            values[name] = step_decay(float(base), iteration, decay_at, factor)
    return values
