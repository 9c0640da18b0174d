"""The one place where a per-mesh loss vector is reduced to what the caller asked for."""

from __future__ import annotations

import torch

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str) -> str:
    """Return ``reduction`` if it is one of ``REDUCTIONS``, else raise ``ValueError``."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def reduce_batch(values: torch.Tensor, reduction: str) -> torch.Tensor:
    """Reduce a (N,) vector of per-item losses: 'mean' or 'sum' give a scalar, 'none' the vector."""
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values
