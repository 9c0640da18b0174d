#!/usr/bin/env python
"""Figure: where NMR's gradient comes from, beside the dense reference's and SoftRas'.

One scene at 32 x 32: a triangle whose target is the same triangle moved right and up
(an L2 loss on the image). Each map shows, per pixel j, that pixel's share of
dL/d(translation x) of the triangle (the sum over its vertices of dL/dx): for NMR
(docs/METHOD.md section 9) the compiled kernel's and the dense reference's (one backward
per pixel with a non-zero dL/dI_j: NMR's rule is per pixel), and for the soft rasterizer
(sigma 3e-4, gamma 1e-4, the same per-pixel backward through its compiled kernel). Row 1 is the
silhouette (alpha), row 2 one colour channel with an occluding face in front of part of
the target (grey, depth 1.5 against 2): NMR's sweep over occluded pixels changes nothing.
Red: a positive share, blue: negative; each map scaled by its own largest |share|.

    python scripts/nmr_gradient_figure.py --out docs/images/nmr_gradients.png
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from PIL import Image, ImageDraw

from softrecon.renderer import NmrSettings, RasterSettings, soft_rasterize

SIZE = 32
SOFT_SIGMA = 3e-4  # the soft rasterizer's blur (gamma: the default 1e-4)
SCALE = 5  # screen pixels per image pixel
SHIFT = (0.25, 0.15)  # the target's translation (NDC)
TRIANGLE = [[-0.55, -0.45, 2.0], [-0.35, 0.5, 2.0], [0.35, -0.4, 2.0]]  # clockwise: front-facing
OCCLUDER = [[0.0, -1.2, 1.5], [0.0, 1.2, 1.5], [1.2, 1.2, 1.5]]


def _scene(color: bool, shift=(0.0, 0.0)):
    faces = torch.tensor([TRIANGLE], dtype=torch.float64)
    faces[..., 0] += shift[0]
    faces[..., 1] += shift[1]
    colors = None
    if color:
        faces = torch.cat([faces, torch.tensor([OCCLUDER], dtype=torch.float64)])
        colors = torch.tensor([1.0, 0.3], dtype=torch.float64)[:, None, None].expand(2, 3, 1).contiguous()[None]
    return faces[None], colors


def _channel(image: torch.Tensor, color: bool) -> torch.Tensor:
    return image[0, 0] if color else image[0, -1]


def pixel_shares(color: bool, settings, backend: str) -> np.ndarray:
    """(H, W) per-pixel shares of dL/dtx: one backward per pixel j with a non-zero
    dL/dI_j = 2 (I_j - target_j), the sum over the triangle's vertices of dL/dx."""
    faces, colors = _scene(color)
    target_faces, _ = _scene(color, SHIFT)
    hard = NmrSettings(image_size=SIZE, background=(0.0,))
    with torch.no_grad():
        target = _channel(soft_rasterize(target_faces, colors, hard, backend="reference"), color)
        image = soft_rasterize(faces, colors, settings, backend=backend)
    g = 2 * (_channel(image, color) - target)
    shares = np.zeros((SIZE, SIZE))
    for row, col in zip(*torch.nonzero(g, as_tuple=True)):
        vertices = faces.clone().requires_grad_(True)
        rendered = soft_rasterize(vertices, colors, settings, backend=backend)
        one_hot = torch.zeros_like(rendered)
        one_hot[0, 0 if color else -1, row, col] = g[row, col]
        rendered.backward(one_hot)
        shares[row, col] = float(vertices.grad[0, 0, :, 0].sum())
    return shares


def _tile(values: np.ndarray, diverging: bool) -> Image.Image:
    if diverging:
        scale = np.abs(values).max() or 1.0
        v = np.clip(values / scale, -1, 1)
        red = np.where(v > 0, 1.0, 1.0 + v)
        blue = np.where(v < 0, 1.0, 1.0 - v)
        green = 1.0 - np.abs(v)
        rgb = np.stack([red, green, blue], -1)
    else:
        rgb = np.repeat(np.clip(values, 0, 1)[..., None], 3, -1)
    tile = Image.fromarray((rgb * 255).round().astype(np.uint8))
    return tile.resize((SIZE * SCALE, SIZE * SCALE), Image.NEAREST)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/images/nmr_gradients.png")
    args = parser.parse_args(argv)
    labels = ["image", "target", "NMR kernel", "NMR dense ref.", "|kernel - ref.|", "SoftRas (sigma 3e-4)"]
    footers = []
    rows = []
    for color in (False, True):
        faces, colors = _scene(color)
        target_faces, _ = _scene(color, SHIFT)
        hard = NmrSettings(image_size=SIZE, background=(0.0,))
        with torch.no_grad():
            image = _channel(soft_rasterize(faces, colors, hard, backend="reference"), color).numpy()
            target = _channel(soft_rasterize(target_faces, colors, hard, backend="reference"), color).numpy()
        nmr = NmrSettings(image_size=SIZE, background=(0.0,))
        kernel = pixel_shares(color, nmr, "cpu")
        dense = pixel_shares(color, nmr, "reference")
        soft = pixel_shares(color, RasterSettings(image_size=SIZE, sigma=SOFT_SIGMA, background=(0.0,)), "cpu")
        difference = np.abs(kernel - dense)
        footers.append(
            f"{'colour (occluder grey)' if color else 'silhouette'}: dL/dtx NMR kernel {kernel.sum():.4f}, "
            f"dense {dense.sum():.4f}, max |kernel - dense| per pixel {difference.max():.3g}; SoftRas {soft.sum():.4f}"
        )
        print(footers[-1])
        rows.append(
            [_tile(image, False), _tile(target, False), _tile(kernel, True), _tile(dense, True),
             _tile(difference / max(np.abs(kernel).max(), 1e-300), False), _tile(soft, True)]
        )  # fmt: skip
    pad, header = 6, 16
    tile = SIZE * SCALE
    footer = 14 * len(footers) + pad
    sheet = Image.new("RGB", (len(labels) * (tile + pad) + pad, header + len(rows) * (tile + pad) + footer), "white")
    draw = ImageDraw.Draw(sheet)
    for k, label in enumerate(labels):
        draw.text((pad + k * (tile + pad), 2), label, fill="black")
    for r, row in enumerate(rows):
        for k, image in enumerate(row):
            sheet.paste(image, (pad + k * (tile + pad), header + r * (tile + pad)))
    for k, text in enumerate(footers):
        draw.text((pad, header + len(rows) * (tile + pad) + 14 * k), text, fill="black")
    sheet.save(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
