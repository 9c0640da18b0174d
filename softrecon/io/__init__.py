"""Mesh files: load .obj / .ply into a ``Mesh``, save .obj (with an R x R texture atlas
for surface textures), unit-box normalization.

Every loading error is a ``MeshLoadError`` (a ``ValueError``) whose message starts with
the file's path.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np
import torch

from ..structures.mesh import Mesh
from .errors import MeshLoadError
from .normalize import normalize_to_unit_box, unit_box_transform
from .obj import Material, RawMesh, bake_surface_textures, read_obj, sample_texture, save_obj
from .ply import read_ply
from .texture_atlas import save_textured_obj

_READERS = {".obj": read_obj, ".ply": read_ply}
SUPPORTED_EXTENSIONS = tuple(_READERS)


def read_mesh_arrays(path) -> RawMesh:
    """Parse and check a mesh file: numpy vertices (V, 3), faces (F, 3), colors (V, C) or None.

    Raises:
        MeshLoadError: missing/unreadable file, unknown extension, parse error, no faces,
            NaN/inf values, face indices out of range.
    """
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower()
    if extension not in _READERS:
        raise MeshLoadError(path, f"unsupported extension {extension!r}; expected one of {SUPPORTED_EXTENSIONS}")
    if not os.path.isfile(path):
        raise MeshLoadError(path, "no such file")
    raw = _READERS[extension](path)
    if len(raw.vertices) == 0:
        raise MeshLoadError(path, "no vertices")
    if not np.isfinite(raw.vertices).all():
        raise MeshLoadError(path, "vertex coordinates contain NaN or inf")
    if raw.colors is not None and not np.isfinite(raw.colors).all():
        raise MeshLoadError(path, "vertex colours contain NaN or inf")
    return raw


def load_mesh(
    path,
    dtype: torch.dtype = torch.float32,
    device: Optional[torch.device] = None,
    texture_resolution: Optional[int] = None,
) -> Mesh:
    """Load a .obj or .ply file as a batch of one mesh (coordinates as in the file).

    Args:
        path: the file.
        dtype: float32 or float64 for vertices and colours.
        device: where the tensors go (default CPU).
        texture_resolution: None, or R >= 1 to bake an .obj's UV texture (``map_Kd``)
            into R x R surface textures per face (``bake_surface_textures``) instead of
            sampling it at the vertices. Files without a UV-mapped texture (a .ply, an
            .obj with per-vertex colours, Kd only or no UVs) load as without it.

    Returns:
        Mesh with vertices (1, V, 3), faces (1, F, 3) int64, and colours in [0, 1]:
        (1, F, R * R, 3) surface textures ('texture' mode) when ``texture_resolution``
        is given and the .obj has a UV-mapped texture; else per-vertex colours (1, V, 3)
        when the file has any (see ``read_obj`` / ``read_ply``); else none. Check
        ``mesh.color_mode`` for which.
    """
    if texture_resolution is not None and (
        isinstance(texture_resolution, bool) or not isinstance(texture_resolution, int) or texture_resolution < 1
    ):
        raise ValueError(f"texture_resolution must be None or an int >= 1, got {texture_resolution!r}")
    raw = read_mesh_arrays(path)
    vertices = torch.as_tensor(raw.vertices, dtype=dtype, device=device)[None]
    faces = torch.as_tensor(raw.faces, dtype=torch.int64, device=device)[None]
    textures = None
    if texture_resolution is not None:
        try:
            textures = bake_surface_textures(raw, texture_resolution)
        except ValueError as error:
            raise MeshLoadError(os.fspath(path), str(error)) from None
    if textures is not None:
        return Mesh(vertices, faces, textures.to(dtype=dtype, device=device)[None], color_mode="texture")
    colors = None if raw.colors is None else torch.as_tensor(raw.colors, dtype=dtype, device=device)[None]
    return Mesh(vertices, faces, colors, color_mode=None if colors is None else "vertex")


__all__ = [
    "Material",
    "MeshLoadError",
    "RawMesh",
    "SUPPORTED_EXTENSIONS",
    "bake_surface_textures",
    "load_mesh",
    "normalize_to_unit_box",
    "read_mesh_arrays",
    "read_obj",
    "read_ply",
    "sample_texture",
    "save_obj",
    "save_textured_obj",
    "unit_box_transform",
]
