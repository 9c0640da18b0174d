"""Rotations for pose fitting: axis-angle maps, random rotations, geodesic error.

The axis-angle map uses ``torch.linalg.matrix_exp`` of the skew-symmetric matrix, which
is smooth everywhere, including at the zero rotation where a closed-form Rodrigues
formula has a 0/0 in its gradient.
"""

from __future__ import annotations

import math

import torch


def skew(vectors: torch.Tensor) -> torch.Tensor:
    """The cross-product matrices [v]_x of vectors.

    Args:
        vectors: (..., 3) float.

    Returns:
        (..., 3, 3) with [v]_x @ u = v x u.
    """
    if vectors.shape[-1:] != (3,):
        raise ValueError(f"vectors must have shape (..., 3), got {tuple(vectors.shape)}")
    x, y, z = vectors.unbind(-1)
    zero = torch.zeros_like(x)
    rows = (
        torch.stack([zero, -z, y], dim=-1),
        torch.stack([z, zero, -x], dim=-1),
        torch.stack([-y, x, zero], dim=-1),
    )
    return torch.stack(rows, dim=-2)


def axis_angle_to_matrix(axis_angle: torch.Tensor) -> torch.Tensor:
    """Rotation matrices exp([w]_x) of axis-angle vectors w (angle = |w| in radians).

    Args:
        axis_angle: (..., 3) float.

    Returns:
        (..., 3, 3) rotation matrices, differentiable everywhere.
    """
    return torch.linalg.matrix_exp(skew(axis_angle))


def geodesic_angle_degrees(rotation_a: torch.Tensor, rotation_b: torch.Tensor) -> torch.Tensor:
    """The angle of the relative rotation a^T b, in degrees (the geodesic distance on SO(3)).

    Args:
        rotation_a, rotation_b: (..., 3, 3) rotation matrices, broadcastable.

    Returns:
        (...,) angles in [0, 180].
    """
    if rotation_a.shape[-2:] != (3, 3) or rotation_b.shape[-2:] != (3, 3):
        raise ValueError(
            f"rotation_a and rotation_b must have shape (..., 3, 3), got {tuple(rotation_a.shape)} and {tuple(rotation_b.shape)}"
        )
    relative = rotation_a.transpose(-1, -2) @ rotation_b
    cosine = ((relative.diagonal(dim1=-2, dim2=-1).sum(-1) - 1.0) / 2.0).clamp(-1.0, 1.0)
    return torch.rad2deg(torch.arccos(cosine))


def random_rotation(
    angle_degrees: float, generator: torch.Generator, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """A rotation by exactly ``angle_degrees`` about a uniformly random axis.

    Args:
        angle_degrees: the rotation angle, in [0, 180].
        generator: the random generator (seeded by the caller for reproducibility).
        dtype: float dtype of the result.

    Returns:
        (3, 3) rotation matrix.
    """
    if not (0.0 <= angle_degrees <= 180.0):
        raise ValueError(f"angle_degrees must be in [0, 180], got {angle_degrees!r}")
    axis = torch.randn(3, generator=generator, dtype=torch.float64)
    axis = axis / axis.norm()
    return axis_angle_to_matrix(axis * math.radians(angle_degrees)).to(dtype)


def random_unit_vector(generator: torch.Generator, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A uniformly random direction on the unit sphere: (3,)."""
    vector = torch.randn(3, generator=generator, dtype=torch.float64)
    return (vector / vector.norm()).to(dtype)
