"""Render the 24 benchmark views of one mesh as the dataset stores them (docs/METHOD.md sections 5, 6).

Cameras: ``benchmark_camera`` (distance 2.732, elevation 30, azimuth -15 k). Rasterizer:
``soft_rasterize`` with hard coverage, hard alpha and a hard (z-buffer) colour, double
sided, so alpha is the exact 0/1 silhouette. Shading: ambient + directional Lambertian
(``Lighting``, light from above in the object frame) per face, with each face's normal
turned toward the camera so that meshes of any winding (ShapeNet's is inconsistent) are
lit alike.

Shape symbols: V vertices, F faces, S image size.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from softrecon.datasets.layout import NUM_VIEWS
from softrecon.renderer import RasterSettings, soft_rasterize
from softrecon.renderer.cameras import benchmark_camera
from softrecon.renderer.lighting import Lighting

NEUTRAL_GREY = 0.7  # colour of meshes that have none
# Exact silhouettes and a z-buffer colour: no blur anywhere.
_HARD = dict(dist_func="hard", aggr_alpha="hard", aggr_rgb="hard", double_sided=True, background=(0.0, 0.0, 0.0))
DEFAULT_LIGHTING = Lighting(ambient_intensity=0.5, directional_intensity=0.5, direction=(0.0, 1.0, 0.0))
UINT8_MAX = 255
# Memory bounds (the result does not depend on them): faces x views rasterized per call
# (the CPU rasterizer's memory per face and view: docs/DATA.md section 5, "Memory") and
# faces shaded per float64 chunk.
FACE_VIEWS_PER_CHUNK = 1 << 20
FACES_PER_CHUNK = 1 << 18


def render_benchmark_views(
    vertices,
    faces,
    face_colors=None,
    image_size: int = 64,
    lighting: Optional[Lighting] = DEFAULT_LIGHTING,
    backend: str = "auto",
    views=None,
) -> np.ndarray:
    """RGBA images of one mesh from the 24 benchmark viewpoints.

    Args:
        vertices: (V, 3) float tensor or array, object frame (normally in the unit box).
        faces: (F, 3) integer tensor or array, F >= 1.
        face_colors: (F, 3) per-face or (F, 3, 3) per-face-corner RGB in [0, 1], or
            None for neutral grey.
        image_size: S.
        lighting: a ``Lighting`` (world frame), or None for unshaded colours.
        backend: passed to ``soft_rasterize``.
        views: None for all 24 views, or a sequence of K view indices in [0, 24).

    Returns:
        (24, 4, S, S) uint8 numpy array: RGB then alpha (0 or 255), view k at index k
        ((K, 4, S, S) in the order of ``views`` when given).
    """
    vertices = torch.as_tensor(np.asarray(vertices) if not isinstance(vertices, torch.Tensor) else vertices).double()
    faces = torch.as_tensor(np.asarray(faces) if not isinstance(faces, torch.Tensor) else faces).long()
    if vertices.dim() != 2 or vertices.shape[1] != 3:
        raise ValueError(f"vertices must have shape (V, 3), got {tuple(vertices.shape)}")
    if faces.dim() != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise ValueError(f"faces must have shape (F, 3) with F >= 1, got {tuple(faces.shape)}")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise ValueError(f"faces must index the {len(vertices)} vertices")
    num_faces = len(faces)
    if face_colors is None:
        colors = torch.full((1, 1, 3), NEUTRAL_GREY, dtype=torch.float64).expand(num_faces, 3, 3)  # no copy
    else:
        colors = torch.as_tensor(
            np.asarray(face_colors) if not isinstance(face_colors, torch.Tensor) else face_colors
        ).double()
        if colors.shape == (num_faces, 3):
            colors = colors[:, None, :].expand(num_faces, 3, 3)
        if colors.shape != (num_faces, 3, 3):
            raise ValueError(
                f"face_colors must have shape (F, 3) or (F, 3, 3) with F = {num_faces}, got {tuple(colors.shape)}"
            )

    views = torch.arange(NUM_VIEWS) if views is None else torch.as_tensor(list(views), dtype=torch.int64)
    if views.dim() != 1 or len(views) == 0 or views.min() < 0 or views.max() >= NUM_VIEWS:
        raise ValueError(f"views must be a non-empty sequence of indices in [0, {NUM_VIEWS}), got {views.tolist()}")
    settings = RasterSettings(image_size=int(image_size), **_HARD)
    out = np.empty((len(views), 4, int(image_size), int(image_size)), np.uint8)
    # Memory is bounded by rendering a few views at a time and shading the faces in
    # chunks; every value is computed as when all views were done at once (the same
    # float64 operations per element), so the images are bit-identical (tested).
    views_per_chunk = max(1, min(len(views), FACE_VIEWS_PER_CHUNK // num_faces))
    for first in range(0, len(views), views_per_chunk):
        chunk_views = views[first : first + views_per_chunk]
        camera = benchmark_camera(chunk_views, dtype=torch.float64)
        screen = camera.project(vertices[None].expand(len(chunk_views), -1, -1))  # (K, V, 3)
        face_vertices = torch.empty((len(chunk_views), num_faces, 3, 3), dtype=torch.float32)
        face_colors32 = torch.empty((len(chunk_views), num_faces, 3, 3), dtype=torch.float32)
        for lo in range(0, num_faces, FACES_PER_CHUNK):
            chunk = faces[lo : lo + FACES_PER_CHUNK]
            face_vertices[:, lo : lo + len(chunk)] = screen[:, chunk]
            face_colors32[:, lo : lo + len(chunk)] = _shaded(
                vertices, chunk, colors[lo : lo + len(chunk)], camera, lighting
            )
        del screen
        # Geometry and shading in float64; the rasterizer in float32 (exact enough for 0/1
        # coverage, and twice as fast).
        with torch.no_grad():
            image = soft_rasterize(face_vertices, face_colors32, settings, backend=backend)  # (K, 4, S, S)
        del face_vertices, face_colors32
        out[first : first + len(chunk_views)] = np.rint(image.clamp(0.0, 1.0).numpy() * UINT8_MAX).astype(np.uint8)
    return out


def _shaded(
    vertices: torch.Tensor, faces: torch.Tensor, colors: torch.Tensor, camera, lighting: Optional[Lighting]
) -> torch.Tensor:
    """(K, Fc, 3, 3) float64 colours of a chunk of faces seen by K cameras: Lambertian
    light per face, its normal turned toward each camera (any winding is lit alike).

    Args:
        vertices: (V, 3) float64 object frame; faces: (Fc, 3) long; colors: (Fc, 3, 3).
    """
    if lighting is None:
        return colors[None].expand(len(camera.eye), -1, -1, -1)
    tri = vertices[faces]  # (Fc, 3, 3) object frame
    normals = torch.linalg.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals = normals / normals.norm(dim=1, keepdim=True).clamp(min=torch.finfo(normals.dtype).tiny)
    to_eye = camera.eye[:, None, :] - tri.mean(dim=1)[None]  # (K, Fc, 3)
    facing = torch.where((to_eye * normals[None]).sum(-1, keepdim=True) < 0, -1.0, 1.0).to(normals)
    light = lighting.light(normals[None] * facing, 3)  # (K, Fc, 3)
    return (colors[None] * light[:, :, None, :]).clamp(0.0, 1.0)
