"""Closed triangle meshes of simple solids, as numpy arrays, for the synthetic shapes.

Every function returns ``(vertices (V, 3) float64, faces (F, 3) int64)``: a closed,
consistently wound surface (counter-clockwise seen from outside). Frame: y up.
"""

from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np
import torch

from softrecon.geometry import icosphere

Part = Tuple[np.ndarray, np.ndarray]
DEFAULT_SEGMENTS = 12  # sides of the polygon approximating a circle
DEFAULT_SPHERE_LEVEL = 1  # icosphere subdivisions of an ellipsoid (80 faces)

# Unit cube corners (bit i of the index = coordinate i) and its 12 outward triangles.
_CUBE_CORNERS = np.array([[(i >> 0) & 1, (i >> 1) & 1, (i >> 2) & 1] for i in range(8)], dtype=np.float64) - 0.5
_CUBE_FACES = np.array(
    [
        [0, 4, 6],
        [0, 6, 2],
        [1, 3, 7],
        [1, 7, 5],  # x = -, x = +
        [0, 1, 5],
        [0, 5, 4],
        [2, 6, 7],
        [2, 7, 3],  # y = -, y = +
        [0, 2, 3],
        [0, 3, 1],
        [4, 5, 7],
        [4, 7, 6],
    ],  # z = -, z = +
    dtype=np.int64,
)


def box(center: Sequence[float], size: Sequence[float]) -> Part:
    """Axis-aligned box with the given centre and side lengths: 8 vertices, 12 faces."""
    return _CUBE_CORNERS * np.asarray(size, dtype=np.float64) + np.asarray(center, dtype=np.float64), _CUBE_FACES.copy()


def frustum(
    start: Sequence[float],
    end: Sequence[float],
    radius_start: float,
    radius_end: float,
    segments: int = DEFAULT_SEGMENTS,
) -> Part:
    """Closed truncated cone (a cylinder when the radii agree) from ``start`` to ``end``.

    A radius of 0 gives a cone (its cap degenerates to zero-area triangles, harmless).
    """
    start = np.asarray(start, dtype=np.float64)
    end = np.asarray(end, dtype=np.float64)
    axis = end - start
    length = np.linalg.norm(axis)
    if not length > 0:
        raise ValueError(f"frustum needs start != end, got {start} and {end}")
    axis = axis / length
    helper = np.array([1.0, 0.0, 0.0]) if abs(axis[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(axis, helper)
    u /= np.linalg.norm(u)
    w = np.cross(axis, u)  # (u, w, axis) is right-handed
    angles = 2 * np.pi * np.arange(segments) / segments
    ring = np.cos(angles)[:, None] * u + np.sin(angles)[:, None] * w  # (K, 3) unit circle
    vertices = np.concatenate([start + radius_start * ring, end + radius_end * ring, start[None], end[None]])
    k = np.arange(segments)
    nxt = (k + 1) % segments
    bottom_centre, top_centre = 2 * segments, 2 * segments + 1
    faces = np.concatenate(
        [
            np.stack([k, nxt, segments + nxt], axis=1),  # sides
            np.stack([k, segments + nxt, segments + k], axis=1),
            np.stack([np.full(segments, bottom_centre), nxt, k], axis=1),  # cap at start
            np.stack([np.full(segments, top_centre), segments + k, segments + nxt], axis=1),  # cap at end
        ]
    )
    return vertices, faces.astype(np.int64)


def cylinder(start: Sequence[float], end: Sequence[float], radius: float, segments: int = DEFAULT_SEGMENTS) -> Part:
    """Closed cylinder of ``radius`` from ``start`` to ``end``."""
    return frustum(start, end, radius, radius, segments)


def ellipsoid(center: Sequence[float], radii: Sequence[float], level: int = DEFAULT_SPHERE_LEVEL) -> Part:
    """Axis-aligned ellipsoid: an icosphere scaled by ``radii`` and moved to ``center``."""
    vertices, faces = icosphere(level, dtype=torch.float64)
    return vertices.numpy() * np.asarray(radii, dtype=np.float64) + np.asarray(center, dtype=np.float64), faces.numpy()


def transform(part: Part, matrix: np.ndarray) -> Part:
    """Apply a (3, 3) linear map to a part's vertices (a negative determinant flips the
    winding back so the surface stays outward)."""
    vertices, faces = part
    matrix = np.asarray(matrix, dtype=np.float64)
    faces = faces[:, ::-1].copy() if np.linalg.det(matrix) < 0 else faces
    return vertices @ matrix.T, faces


def translate(part: Part, offset: Sequence[float]) -> Part:
    """Move a part by ``offset``."""
    return part[0] + np.asarray(offset, dtype=np.float64), part[1]


def rotation_y(angle: float) -> np.ndarray:
    """(3, 3) rotation by ``angle`` radians about +y."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rotation_x(angle: float) -> np.ndarray:
    """(3, 3) rotation by ``angle`` radians about +x."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rotation_z(angle: float) -> np.ndarray:
    """(3, 3) rotation by ``angle`` radians about +z."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
