"""Dense pure-PyTorch NMR renderer (Kato et al. 2018): the oracle of its kernels.

Forward: the hard z-buffered rasterization (docs/METHOD.md section 9.1). Backward: NMR's
approximate gradient (section 9.2): for every face, edge, axis and pixel line the edge
crosses, the change of a pixel's value when the edge is moved onto its centre, divided by
the move, kept only where it lowers the loss. Both are written densely (every face against
every pixel), in chunks of faces, and in the same operations as the compiled kernels'
headers ``csrc/common/nmr_*.h``; float32 and float64.

Shape symbols: N batch, F faces (Fc in a chunk), C colour channels, H x W image, L lines
of one axis (rows for the x axis, columns for y), A pixels along a line.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Tuple

import torch

from softrecon.structures.textures import surface_texel_index, texture_resolution

from ..reference import MIN_DOUBLE_AREA, MIN_VERTEX_DEPTH, pixel_centers
from ..settings import RasterSettings

# Upper bound on N * Fc * H * W (forward) and N * Fc * 3 * H * W (backward) per chunk.
DEFAULT_ELEMENTS_PER_CHUNK = 1 << 20


class NmrMaps(NamedTuple):
    """What the forward leaves for the backward (docs/METHOD.md section 9.1).

    alpha_face: (N, H, W) int64, the nearest face covering each pixel (-1: none), every
        face taking part (the silhouette's z-buffer).
    color_face: (N, H, W) int64, the same among the faces that show colour (front-facing,
        or all with ``double_sided``); all -1 without colours.
    color_inv_depth: (N, H, W) the inverse depth of ``color_face`` at the pixel (0: none).
    """

    alpha_face: torch.Tensor
    color_face: torch.Tensor
    color_inv_depth: torch.Tensor


def _barycentrics(x: torch.Tensor, y: torch.Tensor, px: torch.Tensor, py: torch.Tensor):
    """Unclipped barycentrics of points (px, py) in faces (x, y), broadcast together.

    Args:
        x, y: (..., 3) the faces' vertex coordinates.
        px, py: the points, broadcastable against ``x[..., 0]``.

    Returns:
        ((..., 3) barycentrics, (...) signed doubled area, (...) bool non-degenerate); the
        same expressions as ``softrecon.renderer.reference`` and ``nmr_face.h``.
    """
    x0, x1, x2 = x.unbind(-1)
    y0, y1, y2 = y.unbind(-1)
    area2 = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    big = area2.abs() > MIN_DOUBLE_AREA
    safe = torch.where(big, area2, torch.ones_like(area2))
    w0 = ((x1 - px) * (y2 - py) - (x2 - px) * (y1 - py)) / safe
    w1 = ((x2 - px) * (y0 - py) - (x0 - px) * (y2 - py)) / safe
    w2 = ((x0 - px) * (y1 - py) - (x1 - px) * (y0 - py)) / safe
    return torch.stack([w0, w1, w2], dim=-1), area2, big


def _chunk(total_per_face: int, num_faces: int, budget: int) -> int:
    """Faces per chunk: at most ``budget`` elements, at least one face."""
    return max(1, min(num_faces, budget // max(1, total_per_face)))


def nmr_forward_reference(
    face_vertices: torch.Tensor,
    face_colors: Optional[torch.Tensor],
    settings: RasterSettings,
    elements_per_chunk: int = DEFAULT_ELEMENTS_PER_CHUNK,
) -> Tuple[torch.Tensor, NmrMaps]:
    """Hard z-buffered rasterization (no autograd; ``NmrReferenceFunction`` wraps it).

    Args:
        face_vertices: (N, F, 3, 3) screen-space faces (docs/METHOD.md section 1).
        face_colors: (N, F, 3, C) per-vertex colours, (N, F, R * R, C) surface textures,
            or None for alpha only.
        settings: image size, near / far, background, double_sided.
        elements_per_chunk: bound on N * Fc * H * W per chunk of faces.

    Returns:
        ((N, C + 1, H, W) image: colours then alpha, ``NmrMaps``).
    """
    n, num_faces = face_vertices.shape[:2]
    height, width = settings.image_size
    dtype, device = face_vertices.dtype, face_vertices.device
    xs, ys = pixel_centers(height, width, dtype, device)
    px = xs.repeat(height)[None, :, None]  # (1, P, 1), row-major pixels
    py = ys.repeat_interleave(width)[None, :, None]
    num_pixels = height * width
    inf = torch.tensor(float("inf"), dtype=dtype, device=device)
    best = {"alpha": inf.expand(n, num_pixels).clone(), "color": inf.expand(n, num_pixels).clone()}
    owner = {key: torch.full((n, num_pixels), -1, dtype=torch.long, device=device) for key in best}
    with torch.no_grad():
        step = _chunk(n * num_pixels, num_faces, elements_per_chunk)
        for start in range(0, num_faces, step):
            fv = face_vertices[:, start : start + step]  # (N, Fc, 3, 3)
            x, y, z = (t[:, None] for t in fv.unbind(-1))  # (N, 1, Fc, 3)
            bary, area2, big = _barycentrics(x, y, px, py)  # (N, P, Fc, 3)
            valid = big & (z.min(-1).values >= MIN_VERTEX_DEPTH)  # (N, 1, Fc)
            safe_z = torch.where(valid[..., None], z, torch.ones_like(z))
            inside = (bary >= 0).all(-1)
            clipped = bary.clamp(0.0, 1.0)
            clipped = clipped / clipped.sum(-1, keepdim=True)
            depth = 1.0 / (clipped / safe_z).sum(-1)  # (N, P, Fc)
            in_box = (
                (px >= x.min(-1).values)
                & (px <= x.max(-1).values)
                & (py >= y.min(-1).values)
                & (py <= y.max(-1).values)
            )  # (N, P, Fc): the exact half of the coverage test (nmr_outside_box)
            covers = valid & in_box & inside & (depth >= settings.near) & (depth <= settings.far)
            shows = covers & ((area2 < 0) | settings.double_sided)
            for key, mask in (("alpha", covers), ("color", shows)):
                value, index = torch.where(mask, depth, inf).min(-1)  # first minimum on ties
                better = value < best[key]
                best[key] = torch.where(better, value, best[key])
                owner[key] = torch.where(better, index + start, owner[key])
        alpha = (owner["alpha"] >= 0).to(dtype)
        channels = [alpha[:, None]]
        color_inv_depth = torch.where(owner["color"] >= 0, 1.0 / best["color"], torch.zeros_like(best["color"]))
        if face_colors is None:
            owner["color"] = torch.full_like(owner["color"], -1)
            color_inv_depth = torch.zeros_like(color_inv_depth)
        else:
            num_channels = face_colors.shape[-1]
            background = torch.as_tensor(settings.background, dtype=dtype, device=device).expand(num_channels)
            shown = owner["color"] >= 0
            weights, index = _owner_weights(face_vertices, owner["color"], px[0, :, 0], py[0, :, 0])
            rgb = _owner_rgb(face_colors, index, weights)
            rgb = torch.where(shown[..., None], rgb, background)  # (N, P, C)
            channels.insert(0, rgb.permute(0, 2, 1))
    image = torch.cat(channels, dim=1).reshape(n, -1, height, width)
    maps = NmrMaps(
        owner["alpha"].reshape(n, height, width),
        owner["color"].reshape(n, height, width),
        color_inv_depth.reshape(n, height, width),
    )
    return image, maps


def _owner_weights(face_vertices, face_index, px, py):
    """Clipped barycentrics of each pixel in its owner face.

    Args:
        face_vertices: (N, F, 3, 3); face_index: (N, P) int64 (-1: none, read as face 0);
        px, py: (P,) pixel centres.

    Returns:
        ((N, P, 3) clipped barycentrics, (N, P) the face index clamped to >= 0).
    """
    index = face_index.clamp(min=0)
    picked = face_vertices.gather(1, index[..., None, None].expand(-1, -1, 3, 3))  # (N, P, 3, 3)
    bary, _, _ = _barycentrics(picked[..., 0], picked[..., 1], px[None], py[None])
    clipped = bary.clamp(0.0, 1.0)
    return clipped / clipped.sum(-1, keepdim=True), index


def _owner_rgb(face_colors, index, weights):
    """The colour each pixel's owner shows: (N, P, C).

    Args:
        face_colors: (N, F, 3, C) per-vertex colours or (N, F, R * R, C) surface textures.
        index: (N, P) int64 owner faces (>= 0); weights: (N, P, 3) clipped barycentrics.
    """
    n, num_faces, samples, num_channels = face_colors.shape
    resolution = texture_resolution(samples)
    if resolution == 0:
        corners = face_colors.gather(1, index[..., None, None].expand(-1, -1, 3, num_channels))  # (N, P, 3, C)
        return (weights[..., None] * corners).sum(-2)
    texel = index * samples + surface_texel_index(weights, resolution)  # (N, P)
    flat = face_colors.reshape(n, num_faces * samples, num_channels)
    return flat.gather(1, texel[..., None].expand(-1, -1, num_channels))


def _gather_lines(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """values (N, L, A) or (N, C, L, A) read at index (N, Fc, 3, L) along A -> (N, Fc, 3, L)
    or (N, C, Fc, 3, L)."""
    n, num_faces, _, lines = index.shape
    flat = index.permute(0, 3, 1, 2).reshape(n, lines, -1)  # (N, L, Fc * 3)
    if values.dim() == 3:
        out = values.gather(2, flat)
        return out.reshape(n, lines, num_faces, 3).permute(0, 2, 3, 1)
    c = values.shape[1]
    out = values.gather(3, flat[:, None].expand(-1, c, -1, -1))
    return out.reshape(n, c, lines, num_faces, 3).permute(0, 1, 3, 4, 2)


def nmr_backward_reference(
    face_vertices: torch.Tensor,
    face_colors: Optional[torch.Tensor],
    settings: RasterSettings,
    image: torch.Tensor,
    maps: NmrMaps,
    grad_image: torch.Tensor,
    elements_per_chunk: int = DEFAULT_ELEMENTS_PER_CHUNK,
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """NMR's gradients (docs/METHOD.md section 9.2), densely.

    Args:
        face_vertices, face_colors, settings: the forward's inputs.
        image: (N, C + 1, H, W) the forward's image; maps: its ``NmrMaps``.
        grad_image: (N, C + 1, H, W) dL/dimage.
        elements_per_chunk: bound on N * Fc * 3 * H * W per chunk of faces.

    Returns:
        ((N, F, 3, 3) dL/dface_vertices, z column zero; dL/dface_colors or None).
    """
    n, num_faces = face_vertices.shape[:2]
    height, width = settings.image_size
    dtype, device = face_vertices.dtype, face_vertices.device
    xs, ys = pixel_centers(height, width, dtype, device)
    s = float(min(height, width))
    with_color = face_colors is not None
    alpha, g_alpha = image[:, -1], grad_image[:, -1]  # (N, H, W)
    rgb, g_rgb = (image[:, :-1], grad_image[:, :-1]) if with_color else (None, None)
    grad_xy = face_vertices.new_zeros(n, num_faces, 3, 2)
    pixel_x = xs[None, None, None, :]  # (1, 1, H, W) after broadcasting
    pixel_y = ys[None, None, :, None]
    step = _chunk(n * 3 * height * width, num_faces, elements_per_chunk)
    for start in range(0, num_faces, step):
        fv = face_vertices[:, start : start + step].detach()  # (N, Fc, 3, 3)
        fc = fv.shape[1]
        face_id = torch.arange(start, start + fc, device=device)[None, :, None, None, None]
        x, y, z = fv.unbind(-1)  # (N, Fc, 3)
        _, area2, big = _barycentrics(x, y, x[..., 0], y[..., 0])
        valid = big & (z.min(-1).values >= MIN_VERTEX_DEPTH)  # (N, Fc)
        inv_depth = None
        if with_color:  # the face's plane extended over every pixel: (N, Fc, H, W)
            bary, _, _ = _barycentrics(x[:, :, None, None], y[:, :, None, None], pixel_x, pixel_y)
            safe_z = torch.where(valid[..., None], z, torch.ones_like(z))[:, :, None, None]
            inv_depth = (bary / safe_z).sum(-1)
        for axis in (0, 1):
            # axis 0: the x coordinates move, lines are rows (v = y), u = x along a row;
            # axis 1: the y coordinates move, lines are columns (v = x), u = y down a column.
            if axis == 0:
                along, lines, u0, du = xs, ys, float(xs[0]), 2.0 / s
                lay = lambda t: t  # noqa: E731  (N, ..., H, W) -> (N, ..., L, A)
            else:
                along, lines, u0, du = ys, xs, float(ys[0]), -2.0 / s
                lay = lambda t: t.transpose(-1, -2)  # noqa: E731
            u, v = fv[..., axis], fv[..., 1 - axis]  # (N, Fc, 3)
            ua, va = u, v
            ub, vb = u[..., [1, 2, 0]], v[..., [1, 2, 0]]
            uc, vc = u[..., [2, 0, 1]], v[..., [2, 0, 1]]
            dv = vb - va
            flat_edge = dv == 0
            dv_safe = torch.where(flat_edge, torch.ones_like(dv), dv)
            side = torch.sign(uc - (ua + (vc - va) / dv_safe * (ub - ua)))  # the face's side along u
            side_index = side * (1.0 if du > 0 else -1.0)  # ... in pixel-index order
            vl = lines[None, None, None, :]  # (1, 1, 1, L)
            t = (vl - va[..., None]) / dv_safe[..., None]  # (N, Fc, 3, L)
            crosses = (
                (valid[..., None] & ~flat_edge)[..., None]
                & (vl >= torch.minimum(va, vb)[..., None])
                & (vl <= torch.maximum(va, vb)[..., None])
                & (side[..., None] != 0)
            )
            u_cross = ua[..., None] + t * (ub - ua)[..., None]
            position = (u_cross - u0) / du  # continuous pixel index of the crossing
            si = side_index[..., None]
            in_index = torch.where(si > 0, torch.ceil(position), torch.floor(position))
            out_index = in_index - si
            num_along = along.shape[0]
            crosses = crosses & (in_index >= 0) & (in_index < num_along) & (out_index >= 0) & (out_index < num_along)
            in_index = in_index.clamp(0, num_along - 1).long()
            out_index = out_index.clamp(0, num_along - 1).long()
            j = torch.arange(num_along, device=device)  # (A,)
            is_out = (si[..., None] * (j - out_index[..., None])) <= 0  # (N, Fc, 3, L, A)
            is_in = (si[..., None] * (j - in_index[..., None])) >= 0
            dist = along - u_cross[..., None]  # (N, Fc, 3, L, A)
            is_in = is_in & (dist != 0)
            is_out = is_out & (dist != 0)

            a_face = lay(maps.alpha_face)[:, None, None]  # (N, 1, 1, L, A)
            alpha_l = lay(alpha)
            alpha_j = alpha_l[:, None, None]
            out_cond = is_out & (_gather_lines(lay(maps.alpha_face), in_index) == face_id[..., 0])[..., None]
            in_cond = is_in & (a_face == face_id)
            delta = torch.where(
                out_cond,
                _gather_lines(alpha_l, in_index)[..., None] - alpha_j,
                torch.where(in_cond, _gather_lines(alpha_l, out_index)[..., None] - alpha_j, torch.zeros_like(dist)),
            )
            total = lay(g_alpha)[:, None, None] * delta
            if with_color:
                c_face_l = lay(maps.color_face)
                rgb_l = lay(rgb)  # (N, C, L, A)
                g_l = lay(g_rgb)
                in_front = (c_face_l[:, None] < 0) | (lay(inv_depth) > lay(maps.color_inv_depth)[:, None])
                out_c = (
                    is_out & (_gather_lines(c_face_l, in_index) == face_id[..., 0])[..., None] & in_front[:, :, None]
                )
                in_c = is_in & (c_face_l[:, None, None] == face_id)
                rgb_in = _gather_lines(rgb_l, in_index)[..., None]  # (N, C, Fc, 3, L, 1)
                rgb_out = _gather_lines(rgb_l, out_index)[..., None]
                rgb_j = rgb_l[:, :, None, None]  # (N, C, 1, 1, L, A)
                g_j = g_l[:, :, None, None]
                zero = torch.zeros_like(rgb_j)
                delta_c = torch.where(out_c[:, None], rgb_in - rgb_j, torch.where(in_c[:, None], rgb_out - rgb_j, zero))
                total = total + (g_j * delta_c).sum(1)
            keep = crosses[..., None] & (total < 0)
            rate = torch.where(
                keep, total / torch.where(dist == 0, torch.ones_like(dist), dist), torch.zeros_like(dist)
            )
            per_line = rate.sum(-1)  # (N, Fc, 3, L): dL/d(crossing) of each edge and line
            grad_a = (per_line * (1.0 - t)).sum(-1)  # vertex a = the edge's first
            grad_b = (per_line * t).sum(-1)  # vertex b = the next one
            grad_xy[:, start : start + fc, :, axis] += grad_a + grad_b.roll(1, dims=-1)
    grad_vertices = torch.cat([grad_xy, grad_xy.new_zeros(n, num_faces, 3, 1)], dim=-1)
    grad_colors = _color_gradient(face_vertices, face_colors, maps, g_rgb, xs, ys) if with_color else None
    return grad_vertices, grad_colors


def _color_gradient(face_vertices, face_colors, maps, g_rgb, xs, ys):
    """dL/dface_colors: each shown pixel's gradient to the samples its colour interpolates."""
    n, num_faces, samples, num_channels = face_colors.shape
    height, width = g_rgb.shape[-2:]
    px = xs.repeat(height)
    py = ys.repeat_interleave(width)
    owner = maps.color_face.reshape(n, -1)
    weights, index = _owner_weights(face_vertices.detach(), owner, px, py)  # (N, P, 3)
    g = g_rgb.reshape(n, num_channels, -1).permute(0, 2, 1) * (owner >= 0)[..., None]  # (N, P, C)
    grad = face_colors.new_zeros(n, num_faces * samples, num_channels)
    resolution = texture_resolution(samples)
    if resolution == 0:
        slots = index[..., None] * 3 + torch.arange(3, device=owner.device)  # (N, P, 3)
        values = weights[..., None] * g[:, :, None]  # (N, P, 3, C)
        grad.scatter_add_(1, slots.reshape(n, -1, 1).expand(-1, -1, num_channels), values.reshape(n, -1, num_channels))
    else:
        slots = index * samples + surface_texel_index(weights, resolution)
        grad.scatter_add_(1, slots[..., None].expand(-1, -1, num_channels), g)
    return grad.reshape(n, num_faces, samples, num_channels)


class NmrReferenceFunction(torch.autograd.Function):
    """The dense NMR renderer as an autograd Function: ``apply(face_vertices, face_colors,
    settings)`` -> (N, C + 1, H, W); the backward is ``nmr_backward_reference``."""

    @staticmethod
    def forward(ctx, face_vertices, face_colors, settings):
        image, maps = nmr_forward_reference(face_vertices, face_colors, settings)
        ctx.settings = settings
        ctx.save_for_backward(face_vertices, face_colors, image, *maps)
        return image

    @staticmethod
    def backward(ctx, grad_image):
        face_vertices, face_colors, image, *maps = ctx.saved_tensors
        grad_vertices, grad_colors = nmr_backward_reference(
            face_vertices, face_colors, ctx.settings, image, NmrMaps(*maps), grad_image.contiguous()
        )
        return grad_vertices, grad_colors, None


def nmr_rasterize_reference(
    face_vertices: torch.Tensor, face_colors: Optional[torch.Tensor], settings: RasterSettings
) -> torch.Tensor:
    """The dense NMR renderer: (N, C + 1, H, W), NMR's gradients to ``face_vertices``
    (x, y; none to z) and the exact ones to ``face_colors``."""
    return NmrReferenceFunction.apply(face_vertices, face_colors, settings)
