"""Pictures as people have them -> an RGBA image and the object's mask.

Accepted: a file path (PNG, JPEG, ... anything imageio reads), a PIL image, a NumPy
array (H, W, 3 or 4), uint8 or float in [0, 1], or a torch tensor (3 or 4, H, W) (the
torch layout), uint8 or float in [0, 1]. An alpha channel that is not fully opaque is
the mask; without one (RGB, or alpha 255 everywhere) the background is the colour of
the image's border, which must be plain: a pixel is foreground when one of its channels
differs from that colour by more than ``tolerance``. Greyscale, 16-bit and other layouts
are refused with an error that says what to convert the picture to.

Shape symbols: H x W the picture's size.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Optional

import numpy as np
import torch
from scipy import ndimage

MAX_8BIT = 255
# Default matte tolerance: a channel may differ from the border colour by this much
# (on 0..1) and still be background; JPEG noise on a plain backdrop stays well below it.
DEFAULT_TOLERANCE = 0.1
# The border band the background colour is read from: this fraction of the shorter
# side (at least one pixel); at least PLAIN_FRACTION of its pixels must be within the
# tolerance of their median colour for the border to count as plain.
BORDER_FRACTION = 0.02
PLAIN_FRACTION = 0.9
# Specks of the matte smaller than this fraction of its largest connected piece are
# dropped (JPEG noise, dust on the backdrop), so that they do not stretch the framing.
SPECK_FRACTION = 0.05
ALPHA_THRESHOLD = 0.5  # alpha above this is the object's mask


class ImageInputError(ValueError):
    """A picture that cannot be used as it is; the message names it and says why."""


@dataclasses.dataclass(frozen=True)
class Picture:
    """A picture read for reconstruction.

    Attributes:
        rgb: (H, W, 3) float32 in [0, 1], straight (not premultiplied) colour.
        alpha: (H, W) float32 in [0, 1], the object's coverage (0 on the background).
        matte: how ``alpha`` was obtained: 'alpha' (the picture's own alpha channel) or
            'border' (RGB on a plain background, keyed on the border colour).
        background: (3,) float32 the border colour keyed out (matte 'border'), else None.
        name: a label for messages (the file name, or the type of the object given).
    """

    rgb: np.ndarray
    alpha: np.ndarray
    matte: str
    background: Optional[np.ndarray]
    name: str

    @property
    def mask(self) -> np.ndarray:
        """(H, W) bool: the object's pixels (alpha > 0.5)."""
        return self.alpha > ALPHA_THRESHOLD


def read_picture(image: Any, tolerance: float = DEFAULT_TOLERANCE, name: Optional[str] = None) -> Picture:
    """Read ``image`` (see the module docstring) and find its object.

    Args:
        image: a path, PIL image, NumPy array (H, W, C) or tensor (C, H, W), C 3 or 4.
        tolerance: matte tolerance on 0..1 for pictures without alpha (see module).
        name: how messages call the picture (default: its path or type).

    Returns:
        A ``Picture`` whose mask is not empty.

    Raises:
        ImageInputError: unreadable, greyscale, 16-bit, another layout, values outside
            [0, 1], a border that is not plain, or no object found.
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 < tolerance < 1:
        raise ImageInputError(f"tolerance must be a number in (0, 1), got {tolerance!r}")
    if isinstance(image, (str, os.PathLike)):
        name = name or os.fspath(image)
        array = _read_file(os.fspath(image))
    else:
        name = name or f"<{type(image).__name__}>"
        array = _as_array(image, name)
    rgba = _to_float_rgba(array, name)
    rgb, alpha = rgba[..., :3], rgba[..., 3]
    if alpha.min() < 1.0:
        matte, background = "alpha", None
    else:
        alpha, background = _border_matte(rgb, float(tolerance), name)
        matte = "border"
    if not (alpha > ALPHA_THRESHOLD).any():
        raise ImageInputError(
            f"{name}: no object found: "
            + (
                "its alpha channel is transparent everywhere"
                if matte == "alpha"
                else f"every pixel is within the tolerance {tolerance} of the background colour {np.round(background, 3).tolist()}"
            )
        )
    return Picture(rgb=rgb, alpha=alpha, matte=matte, background=background, name=name)


def _read_file(path: str) -> np.ndarray:
    import imageio.v3 as iio

    if not os.path.isfile(path):
        raise ImageInputError(f"image file {path!r} does not exist")
    try:
        array = iio.imread(path)
    except Exception as error:  # noqa: BLE001 - any decoder failure names the file
        raise ImageInputError(f"cannot read image {path!r}: {type(error).__name__}: {error}") from None
    if array.ndim == 4:  # an animation or a multi-page file: its first frame
        array = array[0]
    return array


def _as_array(image: Any, name: str) -> np.ndarray:
    """A PIL image, array or tensor -> an (H, W[, C]) NumPy array."""
    if isinstance(image, torch.Tensor):
        if image.dim() == 3 and image.shape[0] in (1, 2, 3, 4):
            return image.detach().cpu().permute(1, 2, 0).numpy()
        if image.dim() == 2:
            return image.detach().cpu().numpy()
        raise ImageInputError(
            f"{name}: a tensor image must be (3 or 4, H, W) (RGB or RGBA, channels first), got {tuple(image.shape)}"
        )
    if isinstance(image, np.ndarray):
        return image
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow is a dependency
        Image = None
    if Image is not None and isinstance(image, Image.Image):
        if image.mode == "P":  # palette images: their colours (and transparency), in full
            image = image.convert("RGBA")
        if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
            raise ImageInputError(f"{name}: 16-bit images are not supported; save it as 8-bit RGB or RGBA")
        if image.mode not in ("RGB", "RGBA", "L", "LA", "1"):
            raise ImageInputError(f"{name}: PIL mode {image.mode!r} is not supported; convert it to 'RGB' or 'RGBA'")
        return np.asarray(image)
    raise ImageInputError(
        f"{name}: expected a path, a PIL image, a NumPy array (H, W, 3|4) or a tensor (3|4, H, W), "
        f"got {type(image).__name__}"
    )


def _to_float_rgba(array: np.ndarray, name: str) -> np.ndarray:
    """(H, W[, C]) array -> (H, W, 4) float32 in [0, 1], alpha 1 where there was none."""
    if array.dtype == np.uint16:
        raise ImageInputError(f"{name}: a 16-bit image; save it with 8 bits per channel (RGB or RGBA)")
    if array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (1, 2)):
        raise ImageInputError(
            f"{name}: a greyscale image (shape {array.shape}); save it as RGB or RGBA (8 bits per channel)"
        )
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ImageInputError(f"{name}: expected an (H, W, 3) or (H, W, 4) image, got shape {array.shape}")
    if array.shape[0] < 2 or array.shape[1] < 2:
        raise ImageInputError(f"{name}: the image is {array.shape[1]} x {array.shape[0]} pixels; too small")
    if array.dtype == np.uint8:
        values = array.astype(np.float32) / MAX_8BIT
    elif array.dtype in (np.float16, np.float32, np.float64):
        values = array.astype(np.float32)
        if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
            raise ImageInputError(f"{name}: a floating-point image must hold finite values in [0, 1]")
    elif array.dtype == np.bool_:
        raise ImageInputError(f"{name}: a boolean array is a mask, not a picture; give RGB or RGBA")
    else:
        raise ImageInputError(f"{name}: pixel type {array.dtype} is not supported; use uint8 or float in [0, 1]")
    if values.shape[2] == 3:
        values = np.concatenate([values, np.ones_like(values[..., :1])], axis=2)
    return np.ascontiguousarray(values)


def border_width(height: int, width: int) -> int:
    """Pixels of the border band the background colour is read from."""
    return max(1, int(round(BORDER_FRACTION * min(height, width))))


def _border_matte(rgb: np.ndarray, tolerance: float, name: str):
    """(H, W, 3) -> (alpha (H, W) float32 0/1, background (3,)): keyed on the border colour."""
    height, width = rgb.shape[:2]
    band = border_width(height, width)
    border = np.ones((height, width), bool)
    border[band:-band, band:-band] = False
    pixels = rgb[border]
    background = np.median(pixels, axis=0).astype(np.float32)
    plain = (np.abs(pixels - background).max(axis=1) <= tolerance).mean()
    if plain < PLAIN_FRACTION:
        raise ImageInputError(
            f"{name}: the image has no alpha channel and its border is not a plain colour "
            f"(only {plain:.0%} of the border pixels are within {tolerance} of their median colour "
            f"{np.round(background, 3).tolist()}; {PLAIN_FRACTION:.0%} are needed). Give an RGBA image with the "
            f"background transparent, photograph the object on a plain backdrop, or raise the tolerance"
        )
    mask = np.abs(rgb - background).max(axis=2) > tolerance
    labels, count = ndimage.label(mask)
    if count > 1:
        sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, count + 1))
        keep = np.concatenate([[False], sizes >= SPECK_FRACTION * sizes.max()])
        mask = keep[labels]
    return mask.astype(np.float32), background
