"""Icospheres: the icosahedron and its loop-free midpoint subdivisions, on the unit sphere.

Level L has V = 10 * 4**L + 2 vertices and F = 20 * 4**L faces (level 3: 642 / 1280, the
template of the reconstruction model). Faces are wound counter-clockwise seen from
outside: cross(v1 - v0, v2 - v0) points away from the centre. The construction is
deterministic (vectorized subdivision, ``torch.unique`` orders the new edge vertices) and
each level is computed once per process, in float64 on the CPU, then cast.

Two orientations of the same icosphere (``ORIENTATIONS``):

- 'axes': the icosahedron's vertices are the cyclic permutations of (0, +-1, +-phi), so
  its three golden rectangles lie in the coordinate planes and, subdivided, three great
  circles of vertices sit exactly on them (90 of level 3's 642 vertices have a zero
  coordinate).
- 'softras': Blender's icosphere, the template SoftRas ships (``sphere_642.obj``, y up):
  a 5-valent vertex at each pole (0, +-1, 0), the upper ring of five at y = 1/sqrt(5)
  and azimuths 0, 72, ... degrees, the lower ring at y = -1/sqrt(5) and 36, 108, ...
  degrees (azimuth measured from +x towards +z), subdivided as Blender does (flat, then
  projected: a geodesic sphere whose vertices differ from the 'axes' construction's by
  up to 0.023 beyond the rotation). Coordinates that are zero by symmetry are exactly
  zero, as Blender writes them (70 of level 3's vertices have a zero coordinate).

The reconstruction model deforms the template in logit space with the sign of each
template coordinate kept (docs/METHOD.md section 7), so a coordinate that is exactly 0 stays 0:
the orientation decides how many vertices are pinned to a coordinate plane.
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
ORIENTATIONS = ("axes", "softras")
# Coordinates smaller than this in the 'softras' construction are zero by symmetry
# (e.g. sin(180 degrees) = 1.2e-16) and are set to exactly 0.
_SYMMETRY_ZERO = 1e-12


def _subdivide(vertices: torch.Tensor, faces: torch.Tensor, project: bool = True) -> Tuple[torch.Tensor, torch.Tensor]:
    """``subdivide_midpoints``, the new midpoints projected back onto the unit sphere
    unless ``project`` is False."""
    if not project:
        return subdivide_midpoints(vertices, faces)
    num_vertices = vertices.shape[0]
    vertices, children = subdivide_midpoints(vertices, faces)
    midpoints = vertices[num_vertices:]
    return torch.cat([vertices[:num_vertices], midpoints / midpoints.norm(dim=-1, keepdim=True)], dim=0), children


def _softras_icosahedron() -> Tuple[torch.Tensor, torch.Tensor]:
    """Blender's icosahedron, y up (see the module docstring), counter-clockwise faces."""
    ring_radius, ring_height = 2.0 / math.sqrt(5.0), 1.0 / math.sqrt(5.0)
    vertices = [(0.0, 1.0, 0.0)]
    for k in range(5):  # upper ring: indices 1..5
        angle = math.radians(72.0 * k)
        vertices.append((ring_radius * math.cos(angle), ring_height, ring_radius * math.sin(angle)))
    for k in range(5):  # lower ring: indices 6..10, each between upper k and k + 1
        angle = math.radians(36.0 + 72.0 * k)
        vertices.append((ring_radius * math.cos(angle), -ring_height, ring_radius * math.sin(angle)))
    vertices.append((0.0, -1.0, 0.0))  # index 11
    faces = []
    for k in range(5):
        up, up_next, low, low_next = 1 + k, 1 + (k + 1) % 5, 6 + k, 6 + (k + 1) % 5
        faces += [(0, up, up_next), (up, low, up_next), (low, low_next, up_next), (11, low_next, low)]
    vertices = torch.tensor(vertices, dtype=torch.float64)
    vertices = torch.where(vertices.abs() < _SYMMETRY_ZERO, torch.zeros_like(vertices), vertices)
    faces = torch.tensor(faces, dtype=torch.int64)
    corners = vertices[faces]
    normals = torch.linalg.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    inward = (normals * corners.mean(dim=1)).sum(-1) < 0
    faces[inward] = faces[inward].flip(1)  # make every face counter-clockwise from outside
    return vertices, faces


@functools.lru_cache(maxsize=None)
def _icosphere_float64(level: int, orientation: str = "axes") -> Tuple[torch.Tensor, torch.Tensor]:
    if orientation == "softras":
        # Blender's construction: the flat icosahedron subdivided L times, every vertex
        # projected onto the sphere at the end (a frequency-2^L geodesic sphere; it
        # matches SoftRas' sphere_642.obj to the 1e-6 of its printed digits).
        vertices, faces = _softras_icosahedron()
        for _ in range(level):
            vertices, faces = _subdivide(vertices, faces, project=False)
        vertices = vertices / vertices.norm(dim=-1, keepdim=True)
        return torch.where(vertices.abs() < _SYMMETRY_ZERO, torch.zeros_like(vertices), vertices), faces
    if level == 0:
        vertices = torch.tensor(_ICOSAHEDRON_VERTICES, dtype=torch.float64)
        vertices = vertices / vertices.norm(dim=-1, keepdim=True)
        return vertices, torch.tensor(_ICOSAHEDRON_FACES, dtype=torch.int64)
    return _subdivide(*_icosphere_float64(level - 1, orientation))


def icosphere(
    level: int, dtype: torch.dtype = torch.float32, device: Optional[torch.device] = None, orientation: str = "axes"
) -> Tuple[torch.Tensor, torch.Tensor]:
    """An icosphere of radius 1 centred at the origin.

    Args:
        level: number of subdivisions, 0 (icosahedron, 12 vertices / 20 faces) to
            ``MAX_LEVEL``; level L has 10 * 4**L + 2 vertices and 20 * 4**L faces.
        dtype: floating dtype of the vertices.
        device: device of both outputs (default: CPU).
        orientation: 'axes' (default) or 'softras' (Blender's, as SoftRas' template);
            see the module docstring.

    Returns:
        vertices: (V, 3) ``dtype``, unit length.
        faces: (F, 3) int64, counter-clockwise seen from outside (outward normals).
        Both are fresh tensors (the cache is never exposed to in-place edits).
    """
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"level must be an int in [0, {MAX_LEVEL}], got {level!r}")
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating dtype, got {dtype}")
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, got {orientation!r}")
    vertices, faces = _icosphere_float64(level, orientation)
    return vertices.to(dtype=dtype, device=device, copy=True), faces.to(device=device, copy=True)
