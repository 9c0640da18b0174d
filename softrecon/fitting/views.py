"""Viewpoints of multi-view fitting: rings of cameras around the object, and the split
into views used for fitting and held-out views used only to evaluate.

Angles follow docs/METHOD.md section 5 (degrees; eye = (d cos(el) sin(az), d sin(el),
-d cos(el) cos(az)), looking at the origin, y up).
"""

from __future__ import annotations

import dataclasses
from typing import Sequence, Tuple, Union

import torch

from softrecon import protocol
from softrecon.renderer.cameras import PerspectiveCamera

# docs/METHOD.md section 5: the benchmark's camera distance and viewing half-angle (degrees).
BENCHMARK_DISTANCE = protocol.CAMERA_DISTANCE
BENCHMARK_VIEWING_ANGLE = protocol.VIEWING_ANGLE
FULL_TURN_DEGREES = 360.0


@dataclasses.dataclass(frozen=True)
class ViewSet:
    """Camera placements on a sphere around the origin.

    Attributes:
        elevations: (K,) float64 elevations in degrees, one per view.
        azimuths: (K,) float64 azimuths in degrees, one per view.
        distance: camera distance from the origin: one float for all views, or a (K,)
            float64 tensor of one distance per view (cameras read from a file).
        viewing_angle: perspective half-angle in degrees.
    """

    elevations: torch.Tensor
    azimuths: torch.Tensor
    distance: Union[float, torch.Tensor] = BENCHMARK_DISTANCE
    viewing_angle: float = BENCHMARK_VIEWING_ANGLE

    def __len__(self) -> int:
        return int(self.elevations.shape[0])

    def subset(self, indices: Sequence[int]) -> "ViewSet":
        """The views at ``indices`` (a sequence of ints or a (K',) long tensor)."""
        index = torch.as_tensor(indices, dtype=torch.long)
        distance = self.distance[index] if isinstance(self.distance, torch.Tensor) else self.distance
        return dataclasses.replace(
            self, elevations=self.elevations[index], azimuths=self.azimuths[index], distance=distance
        )

    def camera(
        self, dtype: torch.dtype = torch.float32, device: torch.device = torch.device("cpu")
    ) -> PerspectiveCamera:
        """A batched ``PerspectiveCamera`` with one camera per view (batch size K)."""
        distance = (
            self.distance.to(dtype=dtype, device=device) if isinstance(self.distance, torch.Tensor) else self.distance
        )
        return PerspectiveCamera.from_spherical(
            distance,
            self.elevations.to(dtype=dtype, device=device),
            self.azimuths.to(dtype=dtype, device=device),
            viewing_angle=self.viewing_angle,
        )


def orbit_views(
    num_views: int,
    elevations: Sequence[float],
    distance: float = BENCHMARK_DISTANCE,
    viewing_angle: float = BENCHMARK_VIEWING_ANGLE,
) -> ViewSet:
    """``num_views`` views on rings at the given elevations, azimuths spread over 360 degrees.

    The views are dealt to the rings in turn (view k on ring k mod R); each ring's
    azimuths are evenly spaced, and ring r is rotated by r / R of one azimuth step so
    that the rings interleave rather than stack.

    Args:
        num_views: K >= 1.
        elevations: R >= 1 ring elevations in degrees, each in (-90, 90).
        distance: camera distance, > 0 (default: the benchmark's 2.732).
        viewing_angle: perspective half-angle in degrees, in (0, 90).

    Returns:
        A ``ViewSet`` of K views.
    """
    if isinstance(num_views, bool) or not isinstance(num_views, int) or num_views < 1:
        raise ValueError(f"num_views must be an int >= 1, got {num_views!r}")
    elevations = [float(e) for e in elevations]
    if not elevations or not all(-90.0 < e < 90.0 for e in elevations):
        raise ValueError(f"elevations must be a non-empty list of angles in (-90, 90) degrees, got {elevations!r}")
    if not distance > 0:
        raise ValueError(f"distance must be > 0, got {distance!r}")
    if not 0.0 < viewing_angle < 90.0:
        raise ValueError(f"viewing_angle must be in (0, 90) degrees, got {viewing_angle!r}")
    num_rings = len(elevations)
    ring_of_view = torch.arange(num_views) % num_rings
    elevation = torch.tensor(elevations, dtype=torch.float64)[ring_of_view]
    azimuth = torch.empty(num_views, dtype=torch.float64)
    for ring in range(num_rings):
        members = (ring_of_view == ring).nonzero().flatten()
        step = FULL_TURN_DEGREES / max(len(members), 1)
        azimuth[members] = torch.arange(len(members), dtype=torch.float64) * step + step * ring / num_rings
    return ViewSet(elevation, azimuth, float(distance), float(viewing_angle))


def split_views(num_views: int, heldout_every: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Split view indices 0..K-1: one view in every block of ``heldout_every`` is held out.

    The held-out view moves one place along from block to block (views 0, k + 1,
    2k + 2, ...; the offset wraps modulo k), so that with views dealt to R rings in turn
    (``orbit_views``) the held-out views fall on different rings and azimuths rather
    than all on one ring, as plain every-k-th selection would when R divides k.

    Args:
        num_views: K >= 2.
        heldout_every: k >= 2, so that at least one view is used for fitting.

    Returns:
        (fit_indices, heldout_indices): two (K_fit,) and (K_heldout,) long tensors.
    """
    if isinstance(heldout_every, bool) or not isinstance(heldout_every, int) or heldout_every < 2:
        raise ValueError(f"heldout_every must be an int >= 2, got {heldout_every!r}")
    if isinstance(num_views, bool) or not isinstance(num_views, int) or num_views < 2:
        raise ValueError(f"num_views must be an int >= 2 to hold views out, got {num_views!r}")
    index = torch.arange(num_views)
    heldout = index % heldout_every == (index // heldout_every) % heldout_every
    return index[~heldout], index[heldout]
