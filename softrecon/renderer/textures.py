"""Per-face "surface" textures of R x R samples (SoftRas' ``texture_type='surface'``).

A face's colours may be given to ``soft_rasterize`` as (N, F, K, C) with

- K = 3: per-vertex colours, interpolated with the clipped barycentrics ``wc``;
- K = R * R (R >= 1; 3 is never a square, so the two cannot be confused): a surface
  texture. The triangle is split into R * R sub-triangles by the lines w0 = i / R,
  w1 = j / R and w0 + w1 = k / R; each sub-triangle has one constant colour (a texel).
  R = 1 is a flat per-face colour.

Texel of a point with clipped barycentrics (w0, w1, w2): with i, j, k the floors of
w0 R, w1 R, w2 R (i and j at most R - 1), the point lies in the "lower" sub-triangle
(i, j) when i + j + k >= R - 1 and in the "upper" one (i, j) when i + j + k <= R - 2:

    lower:  texel j R + min(i, R - 1 - j)
    upper:  texel (R - 1 - j) R + (R - 1 - i)

Lower sub-triangles have i + j <= R - 1 and upper ones i + j <= R - 2, so the two kinds
fill the R * R slots exactly once; this is SoftRas' ``forward_sample_texture`` layout.
SoftRas decides lower/upper by (w0 + w1) R - i - j <= 1, which on the edge w2 = 0 (where
every pixel outside that edge is clipped to) is 1 up to rounding and flips between two
unrelated texels; flooring w2 R as well makes the decision exact there, and the min()
keeps the point (and SoftRas' out-of-range read at w0 = 1) in range on every edge.
The colour is piecewise constant: it has gradient with
respect to the texels it shows, none with respect to the geometry through ``wc`` (the
coverage and depth weights keep theirs). The compiled kernels' ``surface_texel`` in
``csrc/common/soft_raster_math.h`` is the same function; keep the two in step.

Shape symbols: N batch, F faces, C channels, R texture resolution, P points.
"""

from __future__ import annotations

import math

import torch


def texture_resolution(samples_per_face: int) -> int:
    """R of a colour tensor with ``samples_per_face`` = K samples per face; 0 for K = 3.

    Raises ValueError when K is neither 3 nor a positive square.
    """
    if samples_per_face == 3:
        return 0
    r = math.isqrt(samples_per_face) if samples_per_face > 0 else 0
    if r < 1 or r * r != samples_per_face:
        raise ValueError(
            f"face_colors must have 3 (per-vertex colours) or R * R (an R x R surface texture) samples per face "
            f"in dimension 2, got {samples_per_face}"
        )
    return r


def surface_texel_index(clipped_barycentrics: torch.Tensor, resolution: int) -> torch.Tensor:
    """Texel of an R x R surface texture shown at each point (see the module docstring).

    Args:
        clipped_barycentrics: (..., 3) float, clipped to [0, 1] and summing to 1.
        resolution: R >= 1.

    Returns:
        (...,) int64 texel indices in [0, R * R).
    """
    r = resolution
    i = torch.clamp((clipped_barycentrics[..., 0] * r).floor(), max=r - 1)
    j = torch.clamp((clipped_barycentrics[..., 1] * r).floor(), max=r - 1)
    k = (clipped_barycentrics[..., 2] * r).floor()
    lower = i + j + k >= r - 1
    index = torch.where(lower, j * r + torch.minimum(i, r - 1 - j), (r - 1 - j) * r + (r - 1 - i))
    return index.long()


def texel_barycentrics(resolution: int, dtype: torch.dtype = torch.float64, device=None) -> torch.Tensor:
    """Barycentric coordinates of the centroid of every texel's sub-triangle.

    Args:
        resolution: R >= 1.

    Returns:
        (R * R, 3) barycentrics (w0, w1, w2); row t is the centroid of texel t, so
        ``surface_texel_index(texel_barycentrics(R), R) == arange(R * R)``. Sampling a
        colour function there bakes it into a surface texture (e.g. a UV texture map).
    """
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1:
        raise ValueError(f"resolution must be an int >= 1, got {resolution!r}")
    r = resolution
    centres = torch.empty(r * r, 3, dtype=torch.float64)
    for j in range(r):
        for i in range(r):
            if i + j <= r - 1:  # lower sub-triangle: corners (i, j), (i+1, j), (i, j+1)
                centres[j * r + i, :2] = torch.tensor([(i + 1 / 3) / r, (j + 1 / 3) / r], dtype=torch.float64)
            if i + j <= r - 2:  # upper: corners (i+1, j), (i, j+1), (i+1, j+1)
                slot = (r - 1 - j) * r + (r - 1 - i)
                centres[slot, :2] = torch.tensor([(i + 2 / 3) / r, (j + 2 / 3) / r], dtype=torch.float64)
    centres[:, 2] = 1.0 - centres[:, 0] - centres[:, 1]
    return centres.to(dtype=dtype, device=device)
