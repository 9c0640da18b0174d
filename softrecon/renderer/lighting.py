"""Ambient + directional (Lambertian) lighting, as SoftRas' ``Lighting``.

Shape symbols: N batch, K shaded elements (vertices or faces), C colour channels.

Convention: ``direction`` points from the scene TOWARD the light, in the world/object
frame (the default (0, 1, 0) is a light straight above), like SoftRas. A surface whose
normal n faces the light receives directional light in proportion to max(0, n . l):

    shaded = colour * (ambient_intensity * ambient_color
                       + directional_intensity * directional_color * max(0, n . l))

with l = direction / |direction|. Lighting is applied in the world frame, before the
camera: it does not move with the viewpoint.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence, Tuple, Union

import torch

Color = Union[float, Sequence[float]]


def _color(name: str, value: Color) -> Tuple[float, ...]:
    values = (value,) if isinstance(value, (int, float)) else value
    try:
        values = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise ValueError(f"Lighting.{name} must be a number or a sequence of numbers, got {value!r}") from None
    if not values or not all(math.isfinite(v) and v >= 0 for v in values):
        raise ValueError(f"Lighting.{name} must be non-empty, finite and >= 0, got {value!r}")
    return values


def _intensity(name: str, value: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Lighting.{name} must be a number, got {value!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"Lighting.{name} must be finite and >= 0, got {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class Lighting:
    """Ambient plus one directional light (immutable; ``replace`` for a changed copy).

    Attributes:
        ambient_intensity: scale of the ambient term (>= 0).
        ambient_color: one value, or one per colour channel (>= 0).
        directional_intensity: scale of the directional term (>= 0).
        directional_color: one value, or one per colour channel (>= 0).
        direction: (3,) direction TOWARD the light, world frame, any non-zero length.
    """

    ambient_intensity: float = 0.5
    ambient_color: Color = (1.0, 1.0, 1.0)
    directional_intensity: float = 0.5
    directional_color: Color = (1.0, 1.0, 1.0)
    direction: Sequence[float] = (0.0, 1.0, 0.0)

    def __post_init__(self) -> None:
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)
        set_("ambient_intensity", _intensity("ambient_intensity", self.ambient_intensity))
        set_("directional_intensity", _intensity("directional_intensity", self.directional_intensity))
        set_("ambient_color", _color("ambient_color", self.ambient_color))
        set_("directional_color", _color("directional_color", self.directional_color))
        try:
            direction = tuple(float(v) for v in self.direction)
        except (TypeError, ValueError):
            raise ValueError(f"Lighting.direction must be 3 numbers, got {self.direction!r}") from None
        if len(direction) != 3 or not all(math.isfinite(v) for v in direction) or not any(direction):
            raise ValueError(f"Lighting.direction must be 3 finite numbers, not all 0, got {self.direction!r}")
        set_("direction", direction)

    def replace(self, **changes) -> "Lighting":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def light(self, normals: torch.Tensor, num_channels: int) -> torch.Tensor:
        """(N, K, C) incoming light per element: ambient + directional * max(0, n . l).

        Args:
            normals: (N, K, 3) unit normals (world frame); zero normals get ambient only.
            num_channels: C, the number of colour channels to light.
        """
        if not isinstance(normals, torch.Tensor) or normals.dim() != 3 or normals.shape[-1] != 3:
            raise ValueError(f"normals must be a (N, K, 3) tensor, got {getattr(normals, 'shape', type(normals))}")
        for name in ("ambient_color", "directional_color"):
            if len(getattr(self, name)) not in (1, num_channels):
                raise ValueError(
                    f"Lighting.{name} has {len(getattr(self, name))} values but the colours have {num_channels} channels"
                )
        as_tensor = lambda values: normals.new_tensor(values).expand(num_channels)  # noqa: E731
        direction = normals.new_tensor(self.direction)
        direction = direction / direction.norm()
        cosine = torch.clamp((normals * direction).sum(-1, keepdim=True), min=0.0)  # (N, K, 1)
        ambient = self.ambient_intensity * as_tensor(self.ambient_color)
        directional = self.directional_intensity * as_tensor(self.directional_color)
        return ambient + directional * cosine

    def apply(self, colors: torch.Tensor, normals: torch.Tensor) -> torch.Tensor:
        """Shade colours: (N, K, C) ``colors`` times ``light(normals)``; differentiable in both.

        Args:
            colors: (N, K, C) float per-vertex or per-face colours.
            normals: (N, K, 3) matching unit normals (vertex or face normals), world frame.

        Returns:
            (N, K, C) shaded colours (not clamped: values may exceed 1 when the
            intensities sum to more than 1).
        """
        if not isinstance(colors, torch.Tensor) or colors.dim() != 3:
            raise ValueError(f"colors must be a (N, K, C) tensor, got {getattr(colors, 'shape', type(colors))}")
        if normals.shape[:2] != colors.shape[:2] and not (
            normals.shape[1] == colors.shape[1] and 1 in (normals.shape[0], colors.shape[0])
        ):
            raise ValueError(f"normals {tuple(normals.shape)} must match colors {tuple(colors.shape)} in N and K")
        return colors * self.light(normals.to(colors.dtype), colors.shape[-1])
