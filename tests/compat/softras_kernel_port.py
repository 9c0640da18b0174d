"""An independent port of SoftRas' forward rasterization kernel, for tests only.

Transcribed from ``forward_soft_rasterize_cuda_kernel`` in SoftRas'
``soft_renderer/cuda/soft_rasterize_cuda_kernel.cu`` (github.com/ShichenLiu/SoftRas),
one pixel at a time in float64 NumPy, with the kernel's order of operations: the
running softmax starts at sum = exp(eps / gamma), max = eps (so the background weighs
exp(2 eps / gamma)), alpha aggregates every face within the cut-off BEFORE the
[near, far] test, colour only faces in range. The Euclidean distance is the distance
to the nearest edge segment (what the kernel's edge selection computes). Slow: meant
for images of a few hundred pixels.
"""

from __future__ import annotations

import math

import numpy as np


def _segment_distance2(p, a, b):
    ab = b - a
    t = np.clip(np.dot(p - a, ab) / max(np.dot(ab, ab), 1e-300), 0.0, 1.0)
    d = p - (a + t * ab)
    return float(np.dot(d, d))


def _sample(texture, w, texture_type):
    """forward_sample_texture: texture (K, 3), w clipped barycentrics."""
    if texture_type == "vertex":
        return w[0] * texture[0] + w[1] * texture[1] + w[2] * texture[2]
    r = int(round(math.sqrt(texture.shape[0])))
    w_x, w_y = int(w[0] * r), int(w[1] * r)
    if (w[0] + w[1]) * r - w_x - w_y <= 1:
        # SoftRas reads past the face's texels at w0 = 1 (the next face's memory); the
        # port clamps there, as softrecon does (softrecon/structures/textures.py).
        return texture[w_y * r + min(w_x, r - 1 - w_y)]
    return texture[(r - 1 - w_y) * r + (r - 1 - w_x)]


def softras_forward(
    face_vertices,
    textures,
    image_size=16,
    background_color=(0, 0, 0),
    near=1,
    far=100,
    fill_back=True,
    eps=1e-3,
    sigma_val=1e-5,
    dist_func="euclidean",
    dist_eps=1e-4,
    gamma_val=1e-4,
    aggr_func_rgb="softmax",
    aggr_func_alpha="prod",
    texture_type="surface",
):
    """(N, F, 3, 3) face vertices, (N, F, K, 3) textures -> (N, 4, S, S) float64 RGBA."""
    fv = np.asarray(face_vertices, dtype=np.float64)
    tex = np.asarray(textures, dtype=np.float64)
    n, nf = fv.shape[:2]
    s = image_size
    threshold = math.log(1.0 / dist_eps - 1.0) * sigma_val
    out = np.zeros((n, 4, s, s))
    for bn in range(n):
        for row in range(s):
            for xi in range(s):
                yi = s - 1 - row
                xp, yp = (2.0 * xi + 1.0 - s) / s, (2.0 * yi + 1.0 - s) / s
                p = np.array([xp, yp])
                alpha = 1.0 if aggr_func_alpha == "prod" else 0.0
                softmax_sum = math.exp(eps / gamma_val)
                softmax_max = eps
                color = np.array(background_color, dtype=np.float64) * (
                    softmax_sum if aggr_func_rgb == "softmax" else 1.0
                )
                depth_min, hit = 1e7, False
                for fn in range(nf):
                    face = fv[bn, fn]
                    xy = face[:, :2]
                    r_ = math.sqrt(threshold)
                    if (
                        xp > xy[:, 0].max() + r_
                        or xp < xy[:, 0].min() - r_
                        or yp > xy[:, 1].max() + r_
                        or yp < xy[:, 1].min() - r_
                    ):
                        continue
                    (x0, y0), (x1, y1), (x2, y2) = xy
                    det = x2 * (y0 - y1) + x0 * (y1 - y2) + x1 * (y2 - y0)
                    det = max(det, 1e-10) if det > 0 else min(det, -1e-10)
                    w = np.array(
                        [
                            ((y1 - y2) * xp + (x2 - x1) * yp + x1 * y2 - x2 * y1) / det,
                            ((y2 - y0) * xp + (x0 - x2) * yp + x2 * y0 - x0 * y2) / det,
                            ((y0 - y1) * xp + (x1 - x0) * yp + x0 * y1 - x1 * y0) / det,
                        ]
                    )
                    if dist_func == "hard":
                        if not ((w >= 0) & (w <= 1)).all():
                            continue
                        fragment = 1.0
                    else:
                        inside = bool(((w > 0) & (w < 1)).all())
                        dis = min(_segment_distance2(p, xy[k], xy[(k + 1) % 3]) for k in range(3))
                        if not inside and dis >= threshold:
                            continue
                        fragment = 1.0 / (1.0 + math.exp(-(1.0 if inside else -1.0) * dis / sigma_val))
                    if aggr_func_alpha == "hard":
                        alpha = 1.0 if fragment > 0.5 else alpha
                    elif aggr_func_alpha == "sum":
                        alpha += fragment
                    else:
                        alpha *= 1.0 - fragment
                    wc = np.clip(w, 0.0, 1.0)
                    wc = wc / max(wc.sum(), 1e-5)
                    zp = 1.0 / (wc[0] / face[0, 2] + wc[1] / face[1, 2] + wc[2] / face[2, 2])
                    if zp < near or zp > far:
                        continue
                    front = (y2 - y0) * (x1 - x0) < (y1 - y0) * (x2 - x0)
                    if aggr_func_rgb == "hard":
                        if zp < depth_min and ((w >= 0) & (w <= 1)).all() and (fill_back or front):
                            depth_min, hit = zp, True
                            color = _sample(tex[bn, fn], wc, texture_type)
                    elif front or fill_back:
                        zp_norm = (far - zp) / (far - near)
                        exp_delta = 1.0
                        if zp_norm > softmax_max:
                            exp_delta = math.exp((softmax_max - zp_norm) / gamma_val)
                            softmax_max = zp_norm
                        exp_z = math.exp((zp_norm - softmax_max) / gamma_val)
                        softmax_sum = exp_delta * softmax_sum + exp_z * fragment
                        color = exp_delta * color + exp_z * fragment * _sample(tex[bn, fn], wc, texture_type)
                out[bn, 3, row, xi] = {"hard": alpha, "sum": alpha / nf, "prod": 1.0 - alpha}[aggr_func_alpha]
                if aggr_func_rgb == "softmax":
                    out[bn, :3, row, xi] = color / softmax_sum
                else:
                    out[bn, :3, row, xi] = color if hit else np.array(background_color, dtype=np.float64)
    return out
