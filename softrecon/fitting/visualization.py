"""Frames of a fitting run and the GIF they make.

A frame is a grid of images: one row per kind (targets, current fit, ...), one column
per view, separated by a thin white line, upscaled by nearest-neighbour repetition so
that 32 x 32 or 64 x 64 renders stay legible.
"""

from __future__ import annotations

import os
from typing import List, Sequence, Union

import imageio.v3 as iio
import numpy as np
import torch

from softrecon.utils.atomic import atomic_write

# Width in pixels of the white separator drawn between the tiles of a frame.
SEPARATOR_PIXELS = 1
# Display time of one GIF frame in milliseconds (10 frames per second).
FRAME_DURATION_MS = 100


def _to_rgb_tiles(images: torch.Tensor, name: str) -> np.ndarray:
    """(N, H, W) gray, (N, 3, H, W) RGB or (N, 4, H, W) RGBA in [0, 1] -> (N, H, W, 3) uint8."""
    images = images.detach().float().cpu()
    if images.dim() == 3:
        images = images[:, None].expand(-1, 3, -1, -1)
    elif images.dim() == 4 and images.shape[1] == 4:
        images = images[:, :3]  # RGB of RGBA (background colour where alpha is 0)
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"{name} must have shape (N, H, W), (N, 3, H, W) or (N, 4, H, W), got {tuple(images.shape)}")
    pixels = (images.clamp(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).numpy()


def make_frame(rows: Sequence[torch.Tensor], scale: int = 1) -> np.ndarray:
    """Tile rows of images into one RGB frame.

    Args:
        rows: each (N, H, W) gray or (N, 3 or 4, H, W) colour, values in [0, 1]; all rows
            share N, H and W.
        scale: integer upscaling factor (nearest neighbour), >= 1.

    Returns:
        (R * (H * scale + s) + s, N * (W * scale + s) + s, 3) uint8, s the separator width.
    """
    if not rows:
        raise ValueError("rows must contain at least one batch of images")
    if not (isinstance(scale, int) and scale >= 1):
        raise ValueError(f"scale must be an int >= 1, got {scale!r}")
    tiles = [_to_rgb_tiles(row, f"rows[{i}]") for i, row in enumerate(rows)]
    n, height, width = tiles[0].shape[:3]
    for i, row in enumerate(tiles):
        if row.shape[:3] != (n, height, width):
            raise ValueError(f"rows[{i}] has {row.shape[:3]} (N, H, W) but rows[0] has {(n, height, width)}")
    sep = SEPARATOR_PIXELS
    tile_h, tile_w = height * scale, width * scale
    frame = np.full((len(tiles) * (tile_h + sep) + sep, n * (tile_w + sep) + sep, 3), 255, dtype=np.uint8)
    for r, row in enumerate(tiles):
        for c in range(n):
            tile = row[c].repeat(scale, axis=0).repeat(scale, axis=1)
            top, left = sep + r * (tile_h + sep), sep + c * (tile_w + sep)
            frame[top : top + tile_h, left : left + tile_w] = tile
    return frame


def write_gif(path: Union[str, "os.PathLike[str]"], frames: List[np.ndarray]) -> None:
    """Write frames (each (H, W, 3) uint8, all the same size) as a looping GIF, atomically."""
    if not frames:
        raise ValueError("frames must contain at least one frame")
    shape = frames[0].shape
    if any(frame.shape != shape or frame.dtype != np.uint8 for frame in frames):
        raise ValueError("frames must all be uint8 arrays of the same (H, W, 3) shape")
    with atomic_write(path, "wb") as handle:
        iio.imwrite(handle, np.stack(frames), extension=".gif", duration=FRAME_DURATION_MS, loop=0)
