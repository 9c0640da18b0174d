"""Save a mesh with R x R surface textures as a textured OBJ (+ .mtl + .png atlas).

Any OBJ viewer shows the result, and ``load_mesh(path, texture_resolution=R)`` reads the
same texels back (to 8-bit rounding). The atlas is a grid of square cells, one per face,
of ``R * texel_pixels`` pixels. In its cell a face's barycentrics (w0, w1) map to the
cell's (right, up) coordinates, so the triangle fills the cell's lower-left half:
corner 0 at the lower-right, corner 1 at the upper-left, corner 2 at the lower-left.
Each pixel takes the texel (``softrecon.structures.textures.surface_texel_index``) at its
centre; pixels of the upper-right half take the texel of the nearest point of the
triangle's long edge, so that a viewer's filtering does not bleed other colours in.
With ``texel_pixels >= 8`` the bilinear sample at every texel's centroid reads four
pixels of that texel only, which is what makes the round trip exact.

Shape symbols: V vertices, F faces, R texture resolution.
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch

from ..structures.textures import surface_texel_index, texture_resolution
from ..utils.arrays import as_numpy
from ..utils.atomic import atomic_write
from ..utils.png import save_png
from .obj import checked_mesh_arrays, vertex_lines

# Atlas pixels along one texel of a cell (>= 8 keeps the round trip exact, see above).
DEFAULT_TEXEL_PIXELS = 8
# Largest atlas side, in pixels, written (beyond it: lower texel_pixels or R).
MAX_ATLAS_SIDE = 16384
MATERIAL_NAME = "softrecon_texture"


def save_textured_obj(path, vertices, faces, textures, texel_pixels: int = DEFAULT_TEXEL_PIXELS) -> None:
    """Write ``path`` (.obj), its .mtl and its .png texture atlas, each atomically.

    The .mtl and .png (named after ``path``, in its folder) are written before the OBJ, so
    an OBJ on disk always has its material and atlas complete beside it.

    Args:
        path: destination .obj file (its folder must exist).
        vertices: (V, 3) float tensor or array.
        faces: (F, 3) integer tensor or array of 0-based indices into V.
        textures: (F, R * R, 3) surface textures (a ``Mesh`` in 'texture' mode:
            ``mesh.colors[0]``), values in [0, 1] (clipped when written as 8-bit).
        texel_pixels: atlas pixels per texel along a cell side, >= 1.
    """

    vertices_np, faces_np = checked_mesh_arrays(vertices, faces)
    textures_t = torch.as_tensor(as_numpy(textures, "textures"), dtype=torch.float64)
    if textures_t.dim() != 3 or textures_t.shape[0] != len(faces_np) or textures_t.shape[2] != 3:
        raise ValueError(f"textures must have shape (F={len(faces_np)}, R * R, 3), got {tuple(textures_t.shape)}")
    resolution = texture_resolution(textures_t.shape[1])
    if resolution == 0:
        raise ValueError("textures has 3 samples per face: those are per-vertex colours, not an R x R texture")
    if not torch.isfinite(textures_t).all():
        raise ValueError("textures contains NaN or inf")
    if isinstance(texel_pixels, bool) or not isinstance(texel_pixels, int) or texel_pixels < 1:
        raise ValueError(f"texel_pixels must be an int >= 1, got {texel_pixels!r}")
    cell = resolution * texel_pixels
    columns = max(1, math.ceil(math.sqrt(len(faces_np))))
    rows = max(1, math.ceil(len(faces_np) / columns))
    if max(columns, rows) * cell > MAX_ATLAS_SIDE:
        raise ValueError(f"the atlas would be {columns * cell} x {rows * cell} pixels; lower texel_pixels or R")

    atlas = _atlas(textures_t, resolution, cell, columns, rows)
    stem = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    image_name, material_name = stem + "_texture.png", stem + ".mtl"
    save_png(os.path.join(folder, image_name), atlas)
    with atomic_write(os.path.join(folder, material_name), "w") as handle:
        handle.write(f"# written by softrecon\nnewmtl {MATERIAL_NAME}\nKd 1 1 1\nmap_Kd {image_name}\n")
    lines = [f"# written by softrecon\nmtllib {material_name}\n", vertex_lines(vertices_np)]
    lines += [f"vt {u:.9g} {v:.9g}\n" for u, v in _face_uvs(len(faces_np), cell, columns, rows).reshape(-1, 2).tolist()]
    lines.append(f"usemtl {MATERIAL_NAME}\n")
    for f, (a, b, c) in enumerate((faces_np.astype(np.int64) + 1).tolist()):
        lines.append(f"f {a}/{3 * f + 1} {b}/{3 * f + 2} {c}/{3 * f + 3}\n")
    with atomic_write(path, "w") as handle:
        handle.write("".join(lines))


def _atlas(textures: torch.Tensor, resolution: int, cell: int, columns: int, rows: int) -> np.ndarray:
    """(rows * cell, columns * cell, 3) uint8 atlas of (F, R * R, 3) textures."""
    centres = (torch.arange(cell, dtype=torch.float64) + 0.5) / cell
    right = centres[None, :].expand(cell, cell)  # w0 grows to the right
    up = centres.flip(0)[:, None].expand(cell, cell)  # w1 grows upwards (image rows go down)
    outside = right + up > 1
    scale = torch.where(outside, right + up, torch.ones_like(right))  # project onto the long edge
    barycentrics = torch.stack([right / scale, up / scale, (1 - right - up).clamp(min=0) / scale], dim=-1)
    texel = surface_texel_index(barycentrics, resolution)  # (cell, cell), the same for every face
    cells = textures[:, texel]  # (F, cell, cell, 3)
    padded = torch.zeros(rows * columns, cell, cell, 3, dtype=torch.float64)
    padded[: len(textures)] = cells
    grid = padded.view(rows, columns, cell, cell, 3).permute(0, 2, 1, 3, 4).reshape(rows * cell, columns * cell, 3)
    return (grid.clamp(0, 1) * 255).round().to(torch.uint8).numpy()


def _face_uvs(num_faces: int, cell: int, columns: int, rows: int) -> np.ndarray:
    """(F, 3, 2) (u, v) of each face's corners in the atlas (u right, v up, v = 1 at row 0)."""
    index = np.arange(num_faces)
    left = (index % columns) * cell / (columns * cell)
    bottom = 1.0 - ((index // columns) + 1) * cell / (rows * cell)
    width, height = 1.0 / columns, 1.0 / rows
    corners = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # (w0, w1) = (right, up) of corners 0, 1, 2
    uvs = np.empty((num_faces, 3, 2))
    uvs[:, :, 0] = left[:, None] + corners[None, :, 0] * width
    uvs[:, :, 1] = bottom[:, None] + corners[None, :, 1] * height
    return uvs
