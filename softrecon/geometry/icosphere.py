"""Icospheres: the icosahedron and its loop-free midpoint subdivisions, on the unit sphere.

Level L has V = 10 * 4**L + 2 vertices and F = 20 * 4**L faces (level 3: 642 / 1280, the
template of the reconstruction model). Faces are wound counter-clockwise seen from
outside: cross(v1 - v0, v2 - v0) points away from the centre. The construction is
deterministic (vectorized subdivision, ``torch.unique`` orders the new edge vertices) and
each level is computed once per process, in float64 on the CPU, then cast.
"""

from __future__ import annotations

import functools
import math
from typing import Optional, Tuple

import torch

from .subdivide import subdivide_midpoints

# Golden ratio: the icosahedron's vertices are the cyclic permutations of (0, +-1, +-phi).
_PHI = (1.0 + math.sqrt(5.0)) / 2.0

_ICOSAHEDRON_VERTICES = (
    (-1.0, _PHI, 0.0), (1.0, _PHI, 0.0), (-1.0, -_PHI, 0.0), (1.0, -_PHI, 0.0),
    (0.0, -1.0, _PHI), (0.0, 1.0, _PHI), (0.0, -1.0, -_PHI), (0.0, 1.0, -_PHI),
    (_PHI, 0.0, -1.0), (_PHI, 0.0, 1.0), (-_PHI, 0.0, -1.0), (-_PHI, 0.0, 1.0),
)  # fmt: skip

# Counter-clockwise seen from outside (checked by the tests at every level).
_ICOSAHEDRON_FACES = (
    (0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11),
    (1, 5, 9), (5, 11, 4), (11, 10, 2), (10, 7, 6), (7, 1, 8),
    (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9),
    (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1),
)  # fmt: skip

# Levels beyond this have more than 40 million faces: surely a mistake.
MAX_LEVEL = 10


def _subdivide(vertices: torch.Tensor, faces: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """``subdivide_midpoints`` with the new midpoints projected back onto the unit sphere."""
    num_vertices = vertices.shape[0]
    vertices, children = subdivide_midpoints(vertices, faces)
    midpoints = vertices[num_vertices:]
    return torch.cat([vertices[:num_vertices], midpoints / midpoints.norm(dim=-1, keepdim=True)], dim=0), children


@functools.lru_cache(maxsize=None)
def _icosphere_float64(level: int) -> Tuple[torch.Tensor, torch.Tensor]:
    if level == 0:
        vertices = torch.tensor(_ICOSAHEDRON_VERTICES, dtype=torch.float64)
        vertices = vertices / vertices.norm(dim=-1, keepdim=True)
        return vertices, torch.tensor(_ICOSAHEDRON_FACES, dtype=torch.int64)
    return _subdivide(*_icosphere_float64(level - 1))


def icosphere(
    level: int, dtype: torch.dtype = torch.float32, device: Optional[torch.device] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """An icosphere of radius 1 centred at the origin.

    Args:
        level: number of subdivisions, 0 (icosahedron, 12 vertices / 20 faces) to
            ``MAX_LEVEL``; level L has 10 * 4**L + 2 vertices and 20 * 4**L faces.
        dtype: floating dtype of the vertices.
        device: device of both outputs (default: CPU).

    Returns:
        vertices: (V, 3) ``dtype``, unit length.
        faces: (F, 3) int64, counter-clockwise seen from outside (outward normals).
        Both are fresh tensors (the cache is never exposed to in-place edits).
    """
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"level must be an int in [0, {MAX_LEVEL}], got {level!r}")
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating dtype, got {dtype}")
    vertices, faces = _icosphere_float64(level)
    return vertices.to(dtype=dtype, device=device, copy=True), faces.to(device=device, copy=True)
