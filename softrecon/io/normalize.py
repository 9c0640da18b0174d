"""Unit-box normalization of the ShapeNet benchmark (docs/METHOD.md section 6)."""

from __future__ import annotations

from typing import Tuple

import torch


def unit_box_transform(vertices: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Centre and scale that map ``vertices`` into the unit box: v' = (v - centre) * scale.

    Args:
        vertices: (..., V, 3) float, V >= 1.

    Returns:
        centre (..., 1, 3): the centre of the axis-aligned bounding box;
        scale (..., 1, 1): 1 / the longest bounding-box side.

    Raises:
        ValueError: wrong shape, no vertices, non-finite values, or all vertices at one point.
    """
    if (
        not isinstance(vertices, torch.Tensor)
        or vertices.dim() < 2
        or vertices.shape[-1] != 3
        or vertices.shape[-2] == 0
    ):
        raise ValueError(
            f"vertices must be a (..., V, 3) tensor with V >= 1, got {getattr(vertices, 'shape', type(vertices))}"
        )
    if not vertices.dtype.is_floating_point:
        raise ValueError(f"vertices must be floating point, got {vertices.dtype}")
    if not torch.isfinite(vertices).all():
        raise ValueError("vertices contains NaN or inf")
    low = vertices.amin(dim=-2, keepdim=True)
    high = vertices.amax(dim=-2, keepdim=True)
    longest = (high - low).amax(dim=-1, keepdim=True)  # (..., 1, 1)
    if not bool((longest > 0).all()):
        raise ValueError("vertices: every vertex is at the same point (bounding box of size 0), cannot normalize")
    return (low + high) / 2, 1.0 / longest


def normalize_to_unit_box(vertices: torch.Tensor) -> torch.Tensor:
    """Centre the axis-aligned bounding box at the origin and scale its longest side to 1.

    The result lies in [-0.5, 0.5]^3 with the longest extent exactly spanning it.
    Batched meshes are normalized each on its own; note that padding vertices of
    ``Mesh.from_list`` (zeros) count, so normalize meshes before padding.

    Args:
        vertices: (..., V, 3) float.

    Returns:
        (..., V, 3) same dtype; differentiable.
    """
    centre, scale = unit_box_transform(vertices)
    return (vertices - centre) * scale
