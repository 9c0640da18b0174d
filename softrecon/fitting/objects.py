"""Procedural coloured objects for pose fitting.

Pose fitting needs an object whose image determines its pose: no rotational symmetry
in the shape, and a colouring that breaks any left over. The built-in object is an
ellipsoid with three different radii and a bump off every symmetry plane, coloured by
position (RGB = normalized x, y, z), which is injective over the surface, so every
rotation of it looks different.

Shape symbols: V vertices, F faces.
"""

from __future__ import annotations

from typing import Tuple

import torch

from softrecon.geometry import icosphere
from softrecon.io import normalize_to_unit_box

# Radii of the base ellipsoid along x, y, z (all different: no rotational symmetry).
ELLIPSOID_RADII = (0.5, 0.32, 0.22)
# Direction (unnormalized) and height of the bump; off every coordinate plane.
BUMP_DIRECTION = (0.55, 0.6, 0.58)
BUMP_HEIGHT = 0.3
# Sharpness of the bump: the height falls off as cos(angle) ** BUMP_POWER.
BUMP_POWER = 6


def position_colors(vertices: torch.Tensor) -> torch.Tensor:
    """Colour vertices by position: RGB = (v - min) / (max - min) per axis.

    Args:
        vertices: (V, 3) float.

    Returns:
        (V, 3) same dtype, in [0, 1] (an axis of zero extent gets 0.5).
    """
    if vertices.dim() != 2 or vertices.shape[1] != 3:
        raise ValueError(f"vertices must have shape (V, 3), got {tuple(vertices.shape)}")
    low = vertices.min(0).values
    extent = vertices.max(0).values - low
    safe = torch.where(extent > 0, extent, torch.ones_like(extent))
    return torch.where(extent > 0, (vertices - low) / safe, torch.full_like(vertices, 0.5))


def asymmetric_colored_object(level: int = 2) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The built-in pose-fitting object (see the module docstring), in the unit box.

    Args:
        level: icosphere subdivision level (2: 162 vertices, 320 faces).

    Returns:
        vertices (V, 3) float32, faces (F, 3) long (outward, counter-clockwise),
        colors (V, 3) float32 in [0, 1].
    """
    sphere, faces = icosphere(level)
    direction = torch.tensor(BUMP_DIRECTION)
    direction = direction / direction.norm()
    bump = BUMP_HEIGHT * (sphere @ direction).clamp(min=0).pow(BUMP_POWER)
    vertices = sphere * torch.tensor(ELLIPSOID_RADII) + bump[:, None] * direction
    vertices = normalize_to_unit_box(vertices)
    return vertices, faces, position_colors(vertices)
