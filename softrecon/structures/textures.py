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
``csrc/common/soft_raster_color.h`` is the same function; keep the two in step.

Baking a UV texture map (``bake_uv_texture``): each texel takes the image's bilinear
sample at the UV of its sub-triangle's centroid (``texel_barycentrics`` interpolating
the face's three corner UVs), with the convention of ``softrecon.io.obj.sample_texture``
(u right, v up, row 0 of the image at v = 1, texel centres at half-integers, UVs
wrapping). The bake is differentiable, so a texture image can be fitted through
surface textures; detail finer than a face's R x R texels is lost.

Shape symbols: N batch, F faces, C channels, R texture resolution, P points,
Ht x Wt texture image.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


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


def bake_uv_texture(texture_image: torch.Tensor, face_uvs: torch.Tensor, resolution: int) -> torch.Tensor:
    """Bake a UV-mapped texture image into R x R surface textures (see the module docstring).

    Matches ``softrecon.io.obj.sample_texture`` at the texel centroids: bilinear, with
    wrapping (repeating) UVs and neighbouring texels across the image's borders.

    Args:
        texture_image: (C, Ht, Wt) or (N, C, Ht, Wt) float image, row 0 at the top
            (v = 1), column 0 at the left (u = 0).
        face_uvs: (F, 3, 2) or (N, F, 3, 2) float (u, v) texture coordinates of each
            face's three corners; any real values ([0, 1] spans the image once).
        resolution: R >= 1.

    Returns:
        (N, F, R * R, C) surface textures in the dtype and on the device of
        ``texture_image``; N is the batch of whichever input has one (both batches must
        be equal when both have one; N = 1 when neither has). Differentiable with
        respect to ``texture_image`` (and ``face_uvs``, piecewise).
    """
    image = _check_texture_image(texture_image)
    uvs = _check_face_uvs(face_uvs, image)
    if image.shape[0] != uvs.shape[0] and 1 not in (image.shape[0], uvs.shape[0]):
        raise ValueError(
            f"texture_image and face_uvs must have the same batch size N or one of them none/1, "
            f"got {image.shape[0]} and {uvs.shape[0]}"
        )
    batch = max(image.shape[0], uvs.shape[0])
    centroids = texel_barycentrics(resolution, dtype=image.dtype, device=image.device)  # (R*R, 3)
    texel_uvs = torch.einsum("tk,nfkd->nftd", centroids, uvs)  # (N, F, R*R, 2)
    # Wrap into [0, 1] and pad the image by one texel on every side with the opposite
    # border, so bilinear neighbours across the seams are those of sample_texture.
    wrapped = torch.remainder(texel_uvs, 1.0)
    padded = F.pad(image, (1, 1, 1, 1), mode="circular")
    height, width = image.shape[-2:]
    # Image pixel x = u W - 1/2 is padded pixel x + 1; grid_sample (align_corners=False)
    # reads padded pixel x' at the normalized coordinate (2 x' + 1) / (W + 2) - 1.
    grid_x = (2.0 * (wrapped[..., 0] * width + 0.5) + 1.0) / (width + 2) - 1.0
    grid_y = (2.0 * ((1.0 - wrapped[..., 1]) * height + 0.5) + 1.0) / (height + 2) - 1.0
    grid = torch.stack([grid_x, grid_y], dim=-1).expand(batch, -1, -1, -1)
    sampled = F.grid_sample(
        padded.expand(batch, -1, -1, -1), grid, mode="bilinear", padding_mode="border", align_corners=False
    )  # (N, C, F, R*R)
    return sampled.permute(0, 2, 3, 1)


def _check_texture_image(texture_image) -> torch.Tensor:
    """(N, C, Ht, Wt) view of a (C, Ht, Wt) or (N, C, Ht, Wt) floating texture image."""
    if not isinstance(texture_image, torch.Tensor) or texture_image.dim() not in (3, 4):
        raise ValueError(
            f"texture_image must be a (C, Ht, Wt) or (N, C, Ht, Wt) tensor, got {getattr(texture_image, 'shape', type(texture_image))}"
        )
    if not texture_image.is_floating_point():
        raise ValueError(f"texture_image must be a floating-point tensor, got {texture_image.dtype}")
    image = texture_image if texture_image.dim() == 4 else texture_image[None]
    if min(image.shape) < 1:
        raise ValueError(f"texture_image must have N, C, Ht, Wt >= 1, got {tuple(texture_image.shape)}")
    return image


def _check_face_uvs(face_uvs, image: torch.Tensor) -> torch.Tensor:
    """(N, F, 3, 2) face UVs in the image's dtype; checked for shape, device and finiteness."""
    if not isinstance(face_uvs, torch.Tensor) or face_uvs.dim() not in (3, 4) or face_uvs.shape[-2:] != (3, 2):
        raise ValueError(
            f"face_uvs must be a (F, 3, 2) or (N, F, 3, 2) tensor, got {getattr(face_uvs, 'shape', type(face_uvs))}"
        )
    if not face_uvs.is_floating_point():
        raise ValueError(f"face_uvs must be a floating-point tensor, got {face_uvs.dtype}")
    if face_uvs.device != image.device:
        raise ValueError(f"face_uvs must be on the device of texture_image ({image.device}), got {face_uvs.device}")
    if not torch.isfinite(face_uvs).all():
        raise ValueError("face_uvs contains NaN or inf")
    uvs = face_uvs if face_uvs.dim() == 4 else face_uvs[None]
    return uvs.to(image.dtype)
