"""Step schedule of the learning rate and sigma (docs/METHOD.md section 7: x0.3 after 150k), read
from the ``schedule`` config group (``configs/schedule/``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Mapping, Sequence, Tuple


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


@dataclass(frozen=True)
class Schedule:
    """The lr / sigma step schedule of one run, read from its config once
    (``from_config``); ``at(i)`` gives the values of iteration i.

    Attributes:
        bases: name of ``SCHEDULED`` -> its value at iteration 0 (those the config holds).
        decay_at: the milestones (``schedule.decay_at``).
        factor: the multiplier per milestone (``schedule.decay_factor``).
    """

    bases: Mapping[str, float]
    decay_at: Tuple[int, ...] = ()
    factor: float = 1.0

    @classmethod
    def from_config(cls, config: Mapping) -> "Schedule":
        """The schedule of a run config, composed or the plain dict a checkpoint stores:
        the one reading of the ``schedule`` group (without one nothing decays)."""
        schedule = config.get("schedule") or {}
        bases = {}
        for name, (group, key) in SCHEDULED.items():
            base = (config.get(group) or {}).get(key)
            if base is not None:
                bases[name] = float(base)
        return cls(bases, tuple(schedule.get("decay_at", [])), float(schedule.get("decay_factor", 1.0)))

    def at(self, iteration: int) -> Dict[str, float]:
        """``{'lr': ..., 'sigma': ...}`` at ``iteration`` (>= 0), each of the bases."""
        return {name: step_decay(base, iteration, self.decay_at, self.factor) for name, base in self.bases.items()}


def scheduled(config: Mapping, iteration: int) -> Dict[str, float]:
    """The scheduled values of a run at ``iteration``: ``Schedule.from_config(config).at(iteration)``.

    Training builds its ``Schedule`` once; evaluation (the sigma a checkpoint was left
    at) calls this with the plain dict stored in a checkpoint.

    Args:
        config: a run config holding ``schedule.decay_at`` / ``schedule.decay_factor``
            (without a ``schedule`` group nothing decays) and the bases of ``SCHEDULED``.
        iteration: the iteration, >= 0.

    Returns:
        ``{'lr': ..., 'sigma': ...}``, each of ``SCHEDULED`` whose base the config holds.
    """
    return Schedule.from_config(config).at(iteration)
