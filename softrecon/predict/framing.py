"""The framing a model was trained with, and putting any picture into it.

A model learns from the dataset's renders: square images of S x S pixels (RGB then
alpha, the RGB premultiplied: a transparent black background), the object centred by
the camera, which looks at the origin of the unit box the object was normalized into.
How large and where the object then appears is ``Framing``: the longer side of the
mask's bounding box as a fraction ``fill`` of S, and the box's centre at ``center``
(fractions of S, x right, y down). A picture is cropped by its mask and scaled and
shifted so that its box lands exactly there (``frame_picture``): the same object
photographed smaller, larger or elsewhere in the frame becomes the same model input.

The framing of a trained model is measured on its training split
(``measure_framing``: the median over the training views), where that data is at hand;
without it, ``protocol_framing`` derives it from the benchmark's camera
(``softrecon.protocol``): the unit box's side seen at the camera distance, centred.

Shape symbols: H x W the picture, S the framed side.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Dict, Tuple

import numpy as np

from softrecon.protocol import CAMERA_DISTANCE, IMAGE_SIZE, VIEWING_ANGLE

from .images import ImageInputError, Picture

UNIT_BOX_SIDE = 1.0  # objects are normalized so that their longest side spans the unit box


@dataclasses.dataclass(frozen=True)
class Framing:
    """Where the object lies in a model's input images.

    Attributes:
        image_size: S, the side of the framed image (the dataset's stored images; the
            model resizes them to its own input size).
        fill: the longer side of the mask's bounding box, as a fraction of S, in (0, 1].
        center: (x, y) of the bounding box's centre, as fractions of S (x right, y down).
        source: where these numbers come from (a sentence; shown to users).
    """

    image_size: int
    fill: float
    center: Tuple[float, float]
    source: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.image_size, bool) or not isinstance(self.image_size, int) or self.image_size < 2:
            raise ValueError(f"framing image_size must be an int >= 2, got {self.image_size!r}")
        if not (isinstance(self.fill, (int, float)) and 0 < self.fill <= 1):
            raise ValueError(f"framing fill must be in (0, 1], got {self.fill!r}")
        if len(self.center) != 2 or not all(isinstance(c, (int, float)) and 0 < c < 1 for c in self.center):
            raise ValueError(f"framing center must be two fractions in (0, 1), got {self.center!r}")

    def to_dict(self) -> Dict:
        """Plain builtins (for a model file)."""
        return {
            "image_size": int(self.image_size),
            "fill": float(self.fill),
            "center": [float(c) for c in self.center],
            "source": str(self.source),
        }

    @classmethod
    def from_dict(cls, values: Dict) -> "Framing":
        try:
            return cls(
                image_size=int(values["image_size"]),
                fill=float(values["fill"]),
                center=(float(values["center"][0]), float(values["center"][1])),
                source=str(values.get("source", "")),
            )
        except (KeyError, TypeError, IndexError) as error:
            raise ValueError(f"framing {values!r} is not a framing record: {error}") from None


def protocol_framing(image_size: int = IMAGE_SIZE) -> Framing:
    """The framing of the benchmark's camera (``softrecon.protocol``): an object whose
    longest side spans the unit box, seen face-on at the origin, covers
    ``1 / (2 CAMERA_DISTANCE tan(VIEWING_ANGLE))`` of the image (0.683), centred."""
    fill = UNIT_BOX_SIDE / (2 * CAMERA_DISTANCE * math.tan(math.radians(VIEWING_ANGLE)))
    return Framing(
        image_size=int(image_size),
        fill=fill,
        center=(0.5, 0.5),
        source=f"the benchmark camera: the unit box at distance {CAMERA_DISTANCE}, half-angle {VIEWING_ANGLE} degrees",
    )


def mask_box(mask: np.ndarray) -> Tuple[float, float, float, float]:
    """(left, top, right, bottom) of a (H, W) bool mask's bounding box, in pixel edges
    (a single pixel at column x spans [x, x + 1])."""
    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    return float(columns[0]), float(rows[0]), float(columns[-1] + 1), float(rows[-1] + 1)


def measure_framing(masks: np.ndarray, source: str) -> Framing:
    """The median framing of training masks.

    Args:
        masks: (M, S, S) bool, the masks of M training views (empty ones are skipped).
        source: a sentence saying which views these are.

    Raises:
        ValueError: not square masks, or every mask empty.
    """
    if masks.ndim != 3 or masks.shape[1] != masks.shape[2]:
        raise ValueError(f"masks must be (M, S, S), got {masks.shape}")
    size = masks.shape[1]
    fills, centers = [], []
    for mask in masks:
        if not mask.any():
            continue
        left, top, right, bottom = mask_box(mask)
        fills.append(max(right - left, bottom - top) / size)
        centers.append(((left + right) / 2 / size, (top + bottom) / 2 / size))
    if not fills:
        raise ValueError("every training mask is empty: no framing to measure")
    center = np.median(np.asarray(centers), axis=0)
    return Framing(
        image_size=int(size),
        fill=float(np.median(fills)),
        center=(float(center[0]), float(center[1])),
        source=f"median over {len(fills)} {source}",
    )


def frame_picture(picture: Picture, framing: Framing, as_is: bool = False) -> np.ndarray:
    """Crop ``picture`` by its mask, scale and place it into ``framing``.

    The mask's bounding box is scaled so that its longer side is ``fill * S`` and its
    centre lands on ``center``; whatever falls outside the picture is transparent.
    Resampling is PIL's bilinear filter (antialiased when shrinking) on premultiplied
    colour, so no background colour bleeds into the object's edge.

    Args:
        picture: a ``Picture`` (``read_picture``).
        framing: the model's ``Framing``.
        as_is: the picture is already in the training framing (a square render made
            like the dataset's): only resize it to S, without cropping.

    Returns:
        (4, S, S) float32 in [0, 1]: RGB premultiplied by alpha, then alpha (the
        dataset's layout).

    Raises:
        ImageInputError: the mask touches all four borders (the background was not
            removed, or the object fills the picture); with ``as_is``, a picture that
            is not square.
    """
    mask = picture.mask
    height, width = mask.shape
    size = framing.image_size
    if as_is:
        if height != width:
            raise ImageInputError(
                f"{picture.name}: is {width} x {height} pixels; only a square picture can be used as it is"
            )
        return _resample(picture, (0.0, 0.0, float(width), float(height)), size)
    left, top, right, bottom = mask_box(mask)
    touching = [left == 0, top == 0, right == width, bottom == height]
    if all(touching):
        raise ImageInputError(
            f"{picture.name}: the object's mask touches all four borders of the picture: the background was not "
            f"removed ({'the alpha channel' if picture.matte == 'alpha' else 'border colour keying'}), or the object "
            f"fills the frame. Give a picture with background around the object"
        )
    if any(touching):
        sides = [side for side, hit in zip(("left", "top", "right", "bottom"), touching) if hit]
        warnings.warn(f"{picture.name}: the object touches the {' and '.join(sides)} border: it may be cut off")
    scale = framing.fill * size / max(right - left, bottom - top)  # framed pixels per picture pixel
    box_left = (left + right) / 2 - framing.center[0] * size / scale
    box_top = (top + bottom) / 2 - framing.center[1] * size / scale
    return _resample(picture, (box_left, box_top, box_left + size / scale, box_top + size / scale), size)


def _resample(picture: Picture, box: Tuple[float, float, float, float], size: int) -> np.ndarray:
    """The square ``box`` (left, top, right, bottom; picture pixels, may reach outside
    it) of ``picture`` -> (4, size, size) premultiplied RGBA, transparent outside."""
    from PIL import Image

    height, width = picture.alpha.shape
    # The part of the picture the box covers, on a transparent canvas that holds the whole box.
    x0, y0 = math.floor(box[0]), math.floor(box[1])
    x1, y1 = math.ceil(box[2]), math.ceil(box[3])
    canvas = np.zeros((y1 - y0, x1 - x0, 4), np.float32)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if sx1 > sx0 and sy1 > sy0:
        alpha = picture.alpha[sy0:sy1, sx0:sx1, None]
        canvas[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = np.concatenate(
            [picture.rgb[sy0:sy1, sx0:sx1] * alpha, alpha], axis=2
        )
    relative = (box[0] - x0, box[1] - y0, box[2] - x0, box[3] - y0)
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(canvas[..., c])).resize((size, size), Image.BILINEAR, box=relative)
        )
        for c in range(4)
    ]
    framed = np.clip(np.stack(channels), 0.0, 1.0)
    framed[:3] = np.minimum(framed[:3], framed[3:])  # premultiplied colour never exceeds alpha
    return framed.astype(np.float32)


def framed_mask(framed: np.ndarray) -> np.ndarray:
    """(4, S, S) framed image -> (S, S) bool mask (alpha > 0.5)."""
    return framed[3] > 0.5


def unpremultiply(framed: np.ndarray) -> np.ndarray:
    """(4, S, S) premultiplied -> (S, S, 4) straight RGBA uint8 (to save and show)."""
    alpha = framed[3:]
    rgb = np.where(alpha > 0, framed[:3] / np.maximum(alpha, 1e-6), 0.0)
    rgba = np.concatenate([np.clip(rgb, 0, 1), alpha]).transpose(1, 2, 0)
    return np.round(rgba * 255).astype(np.uint8)
