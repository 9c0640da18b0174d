"""Fitting targets given as images with their cameras (what SoftRas' ``demo_deform``
takes), instead of a mesh to render them from.

Two layouts are read (and written, by ``save_image_targets``):

- ``images.npy`` (N, 4, H, W) RGBA, uint8 (0..255) or float (0..1), or (N, H, W) masks,
  with ``cameras.npy`` (N, 3): distance, elevation, azimuth in degrees per view
  (SoftRas' ``camera.npy``);
- a folder of PNGs (RGBA, or grey + alpha; or single-channel masks) with a camera JSON:
  ``{"viewing_angle": 15.0, "views": [{"image": "000.png", "distance": 2.732,
  "elevation": 30.0, "azimuth": 0.0}, ...]}``. ``viewing_angle`` is optional (the
  command's own otherwise); with a .npy of cameras, the PNGs are taken in sorted name
  order.

The silhouette is the alpha channel (> 0.5 once in [0, 1]); the colours are the RGB
channels as stored (not premultiplied; background as rendered). Cameras follow docs/METHOD.md
section 5 (eye = (d cos el sin az, d sin el, -d cos el cos az), looking at the origin,
y up), the convention of SoftRas' ``get_points_from_angles``.

Shape symbols: K views, H x W images.
"""

from __future__ import annotations

import json
import os
from typing import List, Optional, Tuple

import numpy as np
import torch

from softrecon.utils.atomic import atomic_write
from softrecon.utils.png import save_png

from .views import ViewSet

CAMERA_COLUMNS = ("distance", "elevation", "azimuth")
PNG_EXTENSION = ".png"
# A silhouette pixel is inside where its alpha exceeds this.
MASK_THRESHOLD = 0.5


def _load_png_folder(folder: str, names: Optional[List[str]]) -> np.ndarray:
    """(K, 4, H, W) float RGBA in [0, 1] of the PNGs ``names`` (default: all, sorted)."""
    import imageio.v3 as iio

    if names is None:
        names = sorted(n for n in os.listdir(folder) if n.lower().endswith(PNG_EXTENSION))
        if not names:
            raise ValueError(f"images folder {folder} holds no .png files")
    images = []
    for name in names:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise ValueError(f"{path}: no such image (named in the camera file)")
        try:
            image = np.asarray(iio.imread(path))
        except Exception as error:  # noqa: BLE001 (any decoder failure, rephrased with the path)
            raise ValueError(f"{path}: cannot read as an image: {error}") from None
        scale = float(np.iinfo(image.dtype).max) if np.issubdtype(image.dtype, np.integer) else 1.0
        image = image.astype(np.float32) / scale
        if image.ndim == 2:  # a mask: white silhouette, no colour
            image = np.stack([image, image, image, image], axis=-1)
        elif image.shape[-1] == 2:  # grey + alpha
            image = np.concatenate([image[..., :1].repeat(3, axis=-1), image[..., 1:]], axis=-1)
        elif image.shape[-1] != 4:
            raise ValueError(
                f"{path}: needs an alpha channel (RGBA or grey + alpha) or a single-channel mask, got shape {image.shape}"
            )
        images.append(image.transpose(2, 0, 1))
    if len({im.shape for im in images}) != 1:
        raise ValueError(f"images in {folder} must all have one size, got {sorted({im.shape[1:] for im in images})}")
    return np.stack(images)


def _load_npy_images(path: str) -> np.ndarray:
    try:
        images = np.load(path, allow_pickle=False)
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"{path}: cannot read as a .npy array: {error}") from None
    if images.ndim == 3:  # (K, H, W) masks
        images = np.repeat(images[:, None], 4, axis=1)
    if images.ndim != 4 or images.shape[1] != 4:
        raise ValueError(f"{path}: images must have shape (N, 4, H, W) (RGBA) or (N, H, W) (masks), got {images.shape}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"{path}: images must be uint8 (0..255) or float (0..1), got dtype {images.dtype}")
    images = images.astype(np.float32)
    if not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
        raise ValueError(f"{path}: float images must be finite and in [0, 1] (uint8 images in 0..255)")
    return images


def _load_cameras(path: str) -> Tuple[np.ndarray, Optional[List[str]], Optional[float]]:
    """(K, 3) distance/elevation/azimuth rows, image names (JSON only) and viewing angle."""
    if path.lower().endswith(".json"):
        try:
            with open(path, "r", encoding="utf-8") as handle:
                data = json.load(handle)
            views = data["views"]
            rows = [[float(view[key]) for key in CAMERA_COLUMNS] for view in views]
            names = [str(view["image"]) for view in views] if all("image" in view for view in views) else None
            angle = data.get("viewing_angle")
            angle = None if angle is None else float(angle)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f'{path}: expected a camera JSON {{"views": [{{"image", "distance", "elevation", "azimuth"}}, ...]}}: {error!r}'
            ) from None
        cameras = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    else:
        try:
            cameras = np.load(path, allow_pickle=False).astype(np.float64)
        except Exception as error:  # noqa: BLE001
            raise ValueError(f"{path}: cannot read as a .npy array: {error}") from None
        names, angle = None, None
    if cameras.ndim != 2 or cameras.shape[1] != 3 or len(cameras) == 0:
        raise ValueError(
            f"{path}: cameras must be (N, 3) rows of (distance, elevation, azimuth), got shape {cameras.shape}"
        )
    if not np.isfinite(cameras).all() or (cameras[:, 0] <= 0).any() or (np.abs(cameras[:, 1]) >= 90).any():
        raise ValueError(f"{path}: cameras need finite values, distance > 0 and elevation in (-90, 90) degrees")
    return cameras, names, angle


def load_image_targets(images: str, cameras: str, viewing_angle: float) -> Tuple[ViewSet, torch.Tensor]:
    """Read target images and their cameras (see the module docstring).

    Args:
        images: a .npy file or a folder of PNGs.
        cameras: a .npy of (N, 3) rows or a camera JSON.
        viewing_angle: perspective half-angle in degrees, unless the JSON gives one.

    Returns:
        views: a ``ViewSet`` of the K cameras (per-view distances);
        rgba: (K, 4, H, W) float32 RGBA in [0, 1] (H == W).

    Raises:
        ValueError naming the file: unreadable, wrong shape or range, counts that differ.
    """
    images, cameras = os.fspath(images), os.fspath(cameras)
    if not os.path.exists(cameras):
        raise ValueError(f"{cameras}: no such camera file")
    rows, names, json_angle = _load_cameras(cameras)
    if os.path.isdir(images):
        rgba = _load_png_folder(images, names)
    elif os.path.isfile(images):
        rgba = _load_npy_images(images)
    else:
        raise ValueError(f"{images}: no such image file or folder")
    if len(rgba) != len(rows):
        raise ValueError(f"{images} holds {len(rgba)} images but {cameras} has {len(rows)} cameras")
    if rgba.shape[2] != rgba.shape[3]:
        raise ValueError(f"{images}: images must be square, got {rgba.shape[2]} x {rgba.shape[3]}")
    angle = float(viewing_angle if json_angle is None else json_angle)
    if not 0.0 < angle < 90.0:
        raise ValueError(f"viewing_angle must be in (0, 90) degrees, got {angle!r}")
    rows_t = torch.from_numpy(rows)
    views = ViewSet(
        elevations=rows_t[:, 1].clone(),
        azimuths=rows_t[:, 2].clone(),
        distance=rows_t[:, 0].clone(),
        viewing_angle=angle,
    )
    return views, torch.from_numpy(np.ascontiguousarray(rgba))


def target_masks(rgba: torch.Tensor) -> torch.Tensor:
    """(K, H, W) bool silhouettes of (K, 4, H, W) RGBA targets."""
    return rgba[:, 3] > MASK_THRESHOLD


def save_image_targets(folder: str, rgba: torch.Tensor, views: ViewSet, layout: str = "npy") -> List[str]:
    """Write targets in one of the layouts ``load_image_targets`` reads, atomically.

    Args:
        folder: an existing folder.
        rgba: (K, 4, H, W) float in [0, 1].
        views: the K views.
        layout: 'npy' (images.npy uint8 + cameras.npy) or 'png' (000.png ... + cameras.json).

    Returns:
        [images path, cameras path].
    """

    if layout not in ("npy", "png"):
        raise ValueError(f"layout must be 'npy' or 'png', got {layout!r}")
    k = len(views)
    distance = views.distance if isinstance(views.distance, torch.Tensor) else torch.full((k,), float(views.distance))
    rows = torch.stack([distance.double(), views.elevations.double(), views.azimuths.double()], dim=1).numpy()
    pixels = (rgba.detach().cpu().clamp(0, 1).numpy() * 255.0 + 0.5).astype(np.uint8)
    if layout == "npy":
        images_path, cameras_path = os.path.join(folder, "images.npy"), os.path.join(folder, "cameras.npy")
        for path, array in ((images_path, pixels), (cameras_path, rows)):
            with atomic_write(path, "wb") as handle:
                np.save(handle, array)
        return [images_path, cameras_path]
    names = [f"{i:03d}.png" for i in range(k)]
    for name, image in zip(names, pixels):
        save_png(os.path.join(folder, name), image.transpose(1, 2, 0))
    cameras_path = os.path.join(folder, "cameras.json")
    payload = {
        "viewing_angle": views.viewing_angle,
        "views": [dict(image=n, **dict(zip(CAMERA_COLUMNS, map(float, r)))) for n, r in zip(names, rows)],
    }
    with atomic_write(cameras_path, "w") as handle:
        json.dump(payload, handle, indent=1)
    return [folder, cameras_path]
