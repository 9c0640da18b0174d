"""The distance functions: how far a pixel is from a face, as the signed scaled distance
x whose CDF is the face's coverage D_j(p). One function per mode.

The table of ``DistFunc`` modes for the dense reference. Each takes the pixels and faces
of a chunk (``PairGeometry``) and returns x (or None for a mode without one) and whether
each pair lies within the cut-off. Twin of ``csrc/common/soft_raster_distances.h`` (one
struct per mode there); a new distance is one function here, one struct there, one
line in each enum.
"""

from __future__ import annotations

import enum
from typing import Callable, Dict, NamedTuple, Optional, Tuple

import torch


class DistFunc(enum.IntEnum):
    """How the per-face coverage probability D_j(p) is computed (docs/METHOD.md section 2). Values
    are the C++ ``DistFunc``'s (``csrc/common/soft_raster_params.h``)."""

    EUCLIDEAN = 0  # F(sign * d^2 / sigma), d = distance to the triangle boundary (F(sign * d / sigma) unsquared)
    BARYCENTRIC = 1  # F(sign * b^2 / sigma), b = smallest barycentric coordinate (F(b / sigma) unsquared)
    HARD = 2  # 1 inside, 0 outside; no gradient


class PairGeometry(NamedTuple):
    """The (pixel, face) pairs of a chunk of P pixels against F faces of N images."""

    xs: Tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # x of the three vertices, each (N, 1, F)
    ys: Tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # y of the three vertices, each (N, 1, F)
    px: torch.Tensor  # (1, P, 1) pixel centres
    py: torch.Tensor  # (1, P, 1)
    barycentrics: torch.Tensor  # (N, P, F, 3)
    inside: torch.Tensor  # (N, P, F) bool: all barycentrics >= 0


#: x (N, P, F) or None, and the bool (N, P, F) mask of pairs within the cut-off.
DistanceResult = Tuple[Optional[torch.Tensor], torch.Tensor]


def segment_distance_squared(ax, ay, bx, by, px, py):
    """Squared distance from p to the segment [a, b]; all arguments broadcast."""
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = ((px - ax) * dx + (py - ay) * dy) / torch.where(length2 > 0, length2, torch.ones_like(length2))
    t = t.clamp(0.0, 1.0)
    rx, ry = ax + t * dx - px, ay + t * dy - py
    return rx * rx + ry * ry


def unsquared(distance2: torch.Tensor) -> torch.Tensor:
    """sqrt(distance2), with gradient 0 (not infinite) where distance2 is 0: GenDR's unsquared
    distances (on a triangle's edge x = 0 either way)."""
    positive = distance2 > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, distance2, torch.ones_like(distance2))), 0.0)


def euclidean(pairs: PairGeometry, sigma: float, cutoff_squared: float, squared: bool = True) -> DistanceResult:
    """x = +-d^2 / sigma, d the distance to the triangle's boundary (+ inside): the paper's;
    +-d / sigma unsquared."""
    (x0, x1, x2), (y0, y1, y2) = pairs.xs, pairs.ys
    px, py = pairs.px, pairs.py
    d2 = torch.minimum(
        torch.minimum(
            segment_distance_squared(x0, y0, x1, y1, px, py), segment_distance_squared(x1, y1, x2, y2, px, py)
        ),
        segment_distance_squared(x2, y2, x0, y0, px, py),
    )
    d = d2 if squared else unsquared(d2)
    return torch.where(pairs.inside, d, -d) / sigma, pairs.inside | (d2 < cutoff_squared)


def barycentric(pairs: PairGeometry, sigma: float, cutoff_squared: float, squared: bool = True) -> DistanceResult:
    """x = b |b| / sigma, b the smallest barycentric coordinate; b / sigma unsquared."""
    b = pairs.barycentrics.min(-1).values
    return (b * b.abs() if squared else b) / sigma, pairs.inside | (b * b < cutoff_squared)


def hard(pairs: PairGeometry, sigma: float, cutoff_squared: float, squared: bool = True) -> DistanceResult:
    """No x: D is 1 inside and 0 outside, piecewise constant."""
    return None, pairs.inside


#: The table of modes: each ``DistFunc`` and its function.
DISTANCES: Dict[DistFunc, Callable[..., DistanceResult]] = {
    DistFunc.EUCLIDEAN: euclidean,
    DistFunc.BARYCENTRIC: barycentric,
    DistFunc.HARD: hard,
}
