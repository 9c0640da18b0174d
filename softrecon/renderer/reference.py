"""Dense pure-PyTorch soft rasterizer: the oracle.

Every pixel is tested against every face, exactly as docs/METHOD.md sections 1 to 4 define the
function, and autograd differentiates it. It is slow (O(N H W F)) and meant for tests,
small images, and machines without the compiled kernels. Memory stays bounded: pixels
are processed in chunks, and each chunk is recomputed in the backward pass
(activation checkpointing) instead of keeping every intermediate alive.

Shape symbols: N batch, F faces, C colour channels, H x W image, P pixels in a chunk.

The per-pixel, per-face definitions here are mirrored one for one by the compiled
kernels' shared math headers in ``csrc/common/`` (``soft_raster_pair.h``); what depends
on a mode is in its table of modes, each with a C++ twin: ``distances.py``
(``soft_raster_distances.h``), ``cdfs.py`` (``soft_raster_cdfs.h``) and ``tconorms.py``
(``soft_raster_tconorms.h``). Keep the twins in step.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch.utils.checkpoint import checkpoint

from softrecon.structures.textures import surface_texel_index, texture_resolution

from .distances import DISTANCES, PairGeometry
from .settings import AggrRGB, RasterSettings
from .tconorms import TCONORMS, PairCoverage

# A face whose doubled projected area |2A| is at most this (NDC units) takes no part.
MIN_DOUBLE_AREA = 1e-8
# A face with any vertex depth below this takes no part.
MIN_VERTEX_DEPTH = 1e-8
# Upper bound on N * P * F elements per intermediate tensor in one chunk.
DEFAULT_PAIRS_PER_CHUNK = 1 << 20


def pixel_centers(
    height: int, width: int, dtype: torch.dtype, device: torch.device
) -> Tuple[torch.Tensor, torch.Tensor]:
    """NDC centres of the pixel columns (W,) and rows (H,) per docs/METHOD.md section 1.

    Column c is at x = (2c + 1 - W) / S and row r (row 0 at the top) at
    y = (H - 1 - 2r) / S, with S = min(H, W).
    """
    s = float(min(height, width))
    cols = torch.arange(width, dtype=dtype, device=device)
    rows = torch.arange(height, dtype=dtype, device=device)
    return (2 * cols + 1 - width) / s, (height - 1 - 2 * rows) / s


def _surface_colors(
    face_colors: torch.Tensor, clipped: torch.Tensor, faces: torch.Tensor, resolution: int
) -> torch.Tensor:
    """Texels of R x R surface textures shown at each (pixel, face) pair.

    Args:
        face_colors: (N, F, R * R, C) surface textures.
        clipped: (N, P, G, 3) clipped barycentrics of the pairs (no gradient flows through
            them: the texture is piecewise constant).
        faces: (N, P, G) int64 face index of each pair.
        resolution: R.

    Returns:
        (N, P, G, C) the texel colours, differentiable with respect to ``face_colors``.
    """
    n, num_faces, samples, num_channels = face_colors.shape
    flat = faces * samples + surface_texel_index(clipped, resolution)  # (N, P, G) into F * R * R
    picked = face_colors.reshape(n, num_faces * samples, num_channels).gather(
        1, flat.reshape(n, -1, 1).expand(-1, -1, num_channels)
    )
    return picked.reshape(*faces.shape, num_channels)


def _rasterize_chunk(
    px: torch.Tensor,
    py: torch.Tensor,
    face_vertices: torch.Tensor,
    face_colors: Optional[torch.Tensor],
    settings: RasterSettings,
) -> torch.Tensor:
    """Rasterize the pixels (px, py), each (P,), against all faces: returns (N, C + 1, P)."""
    n, num_faces = face_vertices.shape[:2]
    x, y, z = face_vertices.unbind(-1)  # each (N, F, 3): per face, per vertex
    x0, x1, x2 = (t[:, None, :] for t in x.unbind(-1))  # (N, 1, F)
    y0, y1, y2 = (t[:, None, :] for t in y.unbind(-1))
    area2 = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)  # (N, 1, F), signed doubled area
    valid = (area2.abs() > MIN_DOUBLE_AREA) & (z.min(-1).values >= MIN_VERTEX_DEPTH)[:, None, :]
    safe_area2 = torch.where(valid, area2, torch.ones_like(area2))
    safe_z = torch.where(valid[:, 0, :, None], z, torch.ones_like(z))[:, None]  # (N, 1, F, 3)
    front = area2 < 0  # CCW-outward meshes appear clockwise under the cameras of docs/METHOD.md section 5

    px = px[None, :, None]  # (1, P, 1)
    py = py[None, :, None]
    # Barycentric coordinates: edge functions over the signed doubled area.
    w0 = ((x1 - px) * (y2 - py) - (x2 - px) * (y1 - py)) / safe_area2
    w1 = ((x2 - px) * (y0 - py) - (x0 - px) * (y2 - py)) / safe_area2
    w2 = ((x0 - px) * (y1 - py) - (x1 - px) * (y0 - py)) / safe_area2
    bary = torch.stack([w0, w1, w2], dim=-1)  # (N, P, F, 3)
    # Degenerate faces never contribute; give them harmless coordinates so no NaN flows.
    bary = torch.where(valid[..., None], bary, torch.full_like(bary, 1.0 / 3.0))
    inside = (bary >= 0).all(-1)  # closed triangle; on an edge d = 0 so D = 0.5 anyway

    geometry = PairGeometry((x0, x1, x2), (y0, y1, y2), px, py, bary, inside)
    logit, within = DISTANCES[settings.dist_func](
        geometry, settings.sigma, settings.cutoff_squared, settings.dist_squared
    )

    clipped = bary.clamp(0.0, 1.0)
    clipped = clipped / clipped.sum(-1, keepdim=True)  # the sum is >= 1/3: no division by 0
    depth = 1.0 / (clipped / safe_z).sum(-1)  # (N, P, F), perspective-correct depth
    in_range = (depth >= settings.near) & (depth <= settings.far)
    contributes = valid & within & in_range  # (N, P, F)

    if logit is None:
        coverage = inside.to(face_vertices.dtype)  # D_j
        log_miss = None
    else:
        logit = torch.where(contributes, logit, torch.zeros_like(logit))  # keep masked entries finite
        coverage, log_miss = settings.cdf.coverage_and_log_miss(logit)

    pairs = PairCoverage(
        coverage, log_miss, logit, inside, contributes, settings.cdf, num_faces, settings.aggr_alpha_parameter
    )
    alpha = TCONORMS[settings.aggr_alpha](pairs)  # (N, P)

    channels = [alpha[:, None, :]]
    if face_colors is not None:
        num_channels = face_colors.shape[-1]
        texture_res = texture_resolution(face_colors.shape[2])
        background = torch.as_tensor(settings.background, dtype=face_vertices.dtype, device=face_vertices.device)
        background = background.expand(num_channels)
        shows_color = contributes & (front | settings.double_sided)
        if settings.aggr_rgb == AggrRGB.HARD:
            covers = shows_color & (coverage > 0.5)
            nearest = torch.where(covers, depth, torch.full_like(depth, float("inf"))).argmin(
                -1, keepdim=True
            )  # (N, P, 1)
            any_cover = covers.any(-1, keepdim=True)  # (N, P, 1)
            weights = clipped.detach().gather(2, nearest[..., None].expand(-1, -1, -1, 3))  # (N, P, 1, 3)
            if texture_res == 0:
                colors = face_colors[:, None].expand(-1, weights.shape[1], -1, -1, -1)
                colors = colors.gather(2, nearest[..., None, None].expand(-1, -1, -1, 3, num_channels))
                rgb = (weights[..., None] * colors).sum(-2)[:, :, 0]  # (N, P, C)
            else:
                rgb = _surface_colors(face_colors, weights, nearest, texture_res)[:, :, 0]
            rgb = torch.where(any_cover, rgb, background)
        else:  # SOFTMAX
            inv_depth = (settings.far - depth) / (settings.far - settings.near)  # z_j(p)
            scaled = inv_depth / settings.gamma
            bg_scaled = settings.background_eps / settings.gamma
            shift = torch.where(shows_color, scaled, torch.full_like(scaled, float("-inf"))).amax(-1).detach()
            shift = shift.clamp(min=bg_scaled)[..., None]  # (N, P, 1): running max, exp never overflows
            exponent = torch.where(shows_color, scaled - shift, torch.zeros_like(scaled))
            weight = torch.where(shows_color, coverage * torch.exp(exponent), torch.zeros_like(scaled))
            bg_weight = torch.exp(bg_scaled - shift)  # (N, P, 1)
            if texture_res == 0:
                face_rgb = torch.einsum("npfk,nfkc->npfc", clipped, face_colors)  # C_j(p)
            else:
                all_faces = torch.arange(num_faces, device=clipped.device).expand(n, clipped.shape[1], -1)
                face_rgb = _surface_colors(face_colors, clipped.detach(), all_faces, texture_res)
            numerator = torch.einsum("npf,npfc->npc", weight, face_rgb) + bg_weight * background
            rgb = numerator / (weight.sum(-1, keepdim=True) + bg_weight)
        channels.insert(0, rgb.permute(0, 2, 1))
    return torch.cat(channels, dim=1)


def rasterize_reference(
    face_vertices: torch.Tensor,
    face_colors: Optional[torch.Tensor],
    settings: RasterSettings,
    pairs_per_chunk: int = DEFAULT_PAIRS_PER_CHUNK,
) -> torch.Tensor:
    """Dense soft rasterization; inputs are assumed validated by ``soft_rasterize``.

    Args:
        face_vertices: (N, F, 3, 3) float, per face, per vertex (x, y NDC, z depth).
        face_colors: (N, F, 3, C) float per-vertex colours, (N, F, R * R, C) surface
            textures (``textures.py``), or None for alpha only.
        settings: the rasterizer settings.
        pairs_per_chunk: bound on N * P * F per chunk of P pixels.

    Returns:
        (N, C + 1, H, W): colour channels first, alpha last.
    """
    n, num_faces = face_vertices.shape[:2]
    height, width = settings.image_size
    xs, ys = pixel_centers(height, width, face_vertices.dtype, face_vertices.device)
    px = xs.repeat(height)  # row-major pixel order
    py = ys.repeat_interleave(width)
    num_pixels = height * width
    chunk = max(1, min(num_pixels, pairs_per_chunk // max(1, n * max(num_faces, 1))))
    needs_grad = torch.is_grad_enabled() and (
        face_vertices.requires_grad or (face_colors is not None and face_colors.requires_grad)
    )
    pieces = []
    for start in range(0, num_pixels, chunk):
        args = (px[start : start + chunk], py[start : start + chunk], face_vertices, face_colors, settings)
        if needs_grad and chunk < num_pixels:
            pieces.append(checkpoint(_rasterize_chunk, *args, use_reentrant=False))
        else:
            pieces.append(_rasterize_chunk(*args))
    image = torch.cat(pieces, dim=-1)
    if needs_grad and not image.requires_grad:  # all-hard modes: zero, not missing, gradients
        image = image + face_vertices.sum() * 0
    return image.reshape(n, image.shape[1], height, width)
