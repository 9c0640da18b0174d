"""Wavefront OBJ reading and writing.

Reads ``v`` (optionally followed by r g b per-vertex colours), ``vt``, ``f`` in the
forms ``i``, ``i/t``, ``i//n``, ``i/t/n`` with positive or negative (relative) indices,
polygons triangulated as fans (v0, vk, vk+1), ``mtllib`` / ``usemtl``. Colours, in order
of preference: per-vertex colours of the ``v`` lines; otherwise, when materials are
used, each face corner takes its material's Kd times its ``map_Kd`` texture sampled at
the corner's UV (bilinear, wrapping), and each vertex the mean of its corners; otherwise
none. Other statements (vn, g, o, s, l, ...) are ignored.

When materials give the colours, ``RawMesh`` also keeps the per-corner UVs and each
face's material, so that ``bake_surface_textures`` can bake the texture per face into
R x R surface textures instead (``load_mesh(..., texture_resolution=R)``): sharper than
per-vertex colours wherever the texture has detail finer than the mesh.

Files are read within the limits of ``softrecon.io.limits`` (the OBJ's size, its
vertices and triangles, each .mtl's size, each texture's size and pixels), and only
regular files: ``mtllib`` and ``map_Kd`` name files within the OBJ's folder (an absolute
path, ``..`` or a symbolic link out of it is refused with a warning, and the colours of
that file are skipped, as for a missing one).
"""

from __future__ import annotations

import array as pyarray
import io
import os
import warnings
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from ..structures.textures import bake_uv_texture
from ..utils.arrays import as_numpy
from ..utils.atomic import atomic_write
from . import limits
from .errors import MeshLoadError
from .regular_files import open_regular, read_regular

# Colour of vertices a material-coloured OBJ leaves uncoloured (no corner in any face).
UNCOLORED_VERTEX_VALUE = 0.5
# Significant digits written for float32 and float64 coordinates: enough to read back
# the same binary value.
FLOAT32_DIGITS = 9
FLOAT64_DIGITS = 17


@dataclass
class Material:
    """An .mtl material: what an OBJ's colours are made of."""

    diffuse: np.ndarray  # (3,) Kd
    texture: Optional[np.ndarray] = None  # (H, W, 3) uint8 of map_Kd (value / 255 in [0, 1]), row 0 at the top (v = 1)


@dataclass
class RawMesh:
    """A loaded mesh as numpy arrays.

    Attributes:
        vertices: (V, 3) float64.
        faces: (F, 3) int64.
        colors: (V, C) float64 per-vertex colours, or None.
        uvs: (T, 2) float64 texture coordinates (u right, v up), or None. Set, like the
            three fields below, only when the colours come from materials (an OBJ with
            ``usemtl`` and a readable .mtl, and no per-vertex colours).
        face_uv_indices: (F, 3) int64 index into ``uvs`` of each face corner, -1 where
            the corner has none; or None.
        materials: the materials the faces use, or None.
        face_material_indices: (F,) int64 index into ``materials`` of each face's
            material, -1 for a face without one (or with an unknown name); or None.
    """

    vertices: np.ndarray
    faces: np.ndarray
    colors: Optional[np.ndarray]
    uvs: Optional[np.ndarray] = None
    face_uv_indices: Optional[np.ndarray] = None
    materials: Optional[List[Material]] = None
    face_material_indices: Optional[np.ndarray] = None


def read_obj(path: str) -> RawMesh:
    """Parse an OBJ file into numpy arrays (no validation of index ranges beyond parsing).

    The file is read line by line into compact typed arrays (8 bytes per coordinate and
    index, not Python objects), so a 2M-face mesh parses in a few hundred MB.

    Raises:
        MeshLoadError: not a regular file, over the limits ``mesh_file_bytes``,
            ``mesh_vertices`` or ``mesh_faces`` (``softrecon.io.limits``), a line that
            does not parse (an index beyond any vertex included), no faces.
    """
    xyz = pyarray.array("d")  # x, y, z per vertex
    rgb = pyarray.array("d")  # r, g, b per vertex with a colour
    num_vertices = 0
    uvs = pyarray.array("d")  # u, v per texture coordinate
    faces = pyarray.array("q")  # 3 vertex indices per triangle
    corner_uvs = pyarray.array("q")  # per triangle: index into uvs per corner, -1 if none
    face_material: List[Optional[str]] = []
    material_files: List[str] = []
    current_material: Optional[str] = None

    bounds = limits.current()
    try:
        with io.TextIOWrapper(open_regular(path, "mesh_file_bytes"), encoding="utf-8", errors="replace") as handle:
            for line_number, line in enumerate(handle, start=1):
                tokens = line.split("#", 1)[0].split()
                if not tokens:
                    continue
                keyword, args = tokens[0], tokens[1:]
                try:
                    if keyword == "v":
                        if len(args) < 3:
                            raise ValueError("a vertex needs at least 3 coordinates")
                        xyz.extend(float(a) for a in args[:3])
                        if len(args) >= 6:
                            rgb.extend(float(a) for a in args[3:6])
                        num_vertices += 1
                        if num_vertices > bounds.mesh_vertices:
                            limits.check("mesh_vertices", num_vertices, "vertices")
                    elif keyword == "vt":
                        if not args:
                            raise ValueError("a texture coordinate needs at least 1 value")
                        uvs.extend([float(a) for a in args[:2]] + [0.0] * (2 - len(args[:2])))
                    elif keyword == "f":
                        if len(args) < 3:
                            raise ValueError("a face needs at least 3 vertices")
                        if len(faces) // 3 + len(args) - 2 > bounds.mesh_faces:
                            limits.check("mesh_faces", len(faces) // 3 + len(args) - 2, "triangles")
                        corners = [_parse_corner(a, num_vertices, len(uvs) // 2, bounds) for a in args]
                        for k in range(1, len(corners) - 1):  # fan triangulation
                            tri = (corners[0], corners[k], corners[k + 1])
                            faces.extend(c[0] for c in tri)
                            corner_uvs.extend(c[1] for c in tri)
                            face_material.append(current_material)
                    elif keyword == "mtllib":
                        material_files.extend(args)
                    elif keyword == "usemtl":
                        current_material = " ".join(args) if args else None
                except limits.LimitExceeded as error:
                    raise MeshLoadError(path, f"line {line_number}: {error}") from None
                except ValueError as error:
                    raise MeshLoadError(
                        path, f"line {line_number}: cannot parse {line.strip()[:200]!r} ({error})"
                    ) from None
    except OSError as error:
        raise MeshLoadError(path, f"cannot read the file ({error.strerror or error})") from None

    if not faces:
        raise MeshLoadError(path, "no faces")
    array = np.frombuffer(xyz, dtype=np.float64).reshape(-1, 3).copy()
    # Colours only when every vertex has one (some coloured, some not: ignore them).
    colors = (
        np.frombuffer(rgb, dtype=np.float64).reshape(-1, 3).copy() if num_vertices and len(rgb) == len(xyz) else None
    )
    del xyz, rgb
    faces_array = np.frombuffer(faces, dtype=np.int64).reshape(-1, 3).copy()
    del faces
    _check_indices(path, faces_array, len(array))
    corner_uvs_array = np.frombuffer(corner_uvs, dtype=np.int64).reshape(-1, 3).copy()
    del corner_uvs
    num_uvs = len(uvs) // 2
    if corner_uvs_array.size and corner_uvs_array.max() >= num_uvs:
        raise MeshLoadError(
            path, f"texture coordinate index out of range: {corner_uvs_array.max() + 1} (1-based) of {num_uvs}"
        )
    if colors is None and any(m is not None for m in face_material):
        materials = _load_materials(path, material_files)
        if materials:
            uv_array = np.frombuffer(uvs, dtype=np.float64).reshape(-1, 2).copy()
            colors = _material_colors(materials, faces_array, corner_uvs_array, uv_array, face_material, len(array))
            used = sorted({m for m in face_material if m in materials})
            position = {name: k for k, name in enumerate(used)}
            face_material_indices = np.fromiter(
                (position.get(m, -1) for m in face_material), dtype=np.int64, count=len(face_material)
            )
            return RawMesh(
                array,
                faces_array,
                colors,
                uvs=uv_array,
                face_uv_indices=corner_uvs_array,
                materials=[materials[name] for name in used],
                face_material_indices=face_material_indices,
            )
    return RawMesh(array, faces_array, colors)


def _parse_corner(token: str, num_vertices: int, num_uvs: int, bounds: limits.ReadLimits) -> Tuple[int, int]:
    """'i', 'i/t', 'i//n' or 'i/t/n' -> (0-based vertex index, 0-based uv index or -1)."""
    parts = token.split("/")
    vertex = _resolve(int(parts[0]), num_vertices, "vertex", bounds.mesh_vertices)
    uv = (
        _resolve(int(parts[1]), num_uvs, "texture coordinate", bounds.mesh_vertices)
        if len(parts) > 1 and parts[1]
        else -1
    )
    return vertex, uv


def _resolve(index: int, count: int, what: str, most: int) -> int:
    """OBJ indices are 1-based; negative ones count back from the latest element. A
    positive index may name an element defined later in the file, but none beyond
    ``most`` (the limit on elements), so that it fits the int64 arrays."""
    if index > 0:
        if index > most:
            raise ValueError(f"{what} index {index} is beyond any {what} (at most {most}: the limit mesh_vertices)")
        return index - 1
    if index < 0:
        if count + index < 0:
            raise ValueError(f"relative {what} index {index} points before the first {what}")
        return count + index  # -1 is the latest
    raise ValueError(f"{what} index 0 is invalid (OBJ indices start at 1)")


def _check_indices(path: str, faces: np.ndarray, num_vertices: int) -> None:
    if faces.size and (faces.min() < 0 or faces.max() >= num_vertices):
        bad = faces[(faces < 0) | (faces >= num_vertices)][0]
        raise MeshLoadError(path, f"face index out of range: vertex {bad + 1} (1-based) of {num_vertices} vertices")


def _load_materials(path: str, material_files: List[str]) -> Dict[str, Material]:
    """Materials of the .mtl files (within the OBJ's folder); files that are missing,
    outside the folder, not regular or over their limit are warned about and skipped."""
    materials: Dict[str, Material] = {}
    folder = os.path.dirname(os.path.abspath(path))
    for name in material_files:
        mtl_path = os.path.join(folder, name)
        try:
            lines = (
                read_regular(mtl_path, "text_file_bytes", "the material file", inside=folder)
                .decode("utf-8", errors="replace")
                .splitlines()
            )
        except MeshLoadError as error:
            warnings.warn(f"{path}: material file {error}; colours from it are skipped", stacklevel=3)
            continue
        current: Optional[Material] = None
        for line in lines:
            tokens = line.split("#", 1)[0].split()
            if not tokens:
                continue
            if tokens[0] == "newmtl":
                current = materials.setdefault(" ".join(tokens[1:]), Material(np.ones(3)))
            elif current is not None and tokens[0] == "Kd" and len(tokens) >= 4:
                current.diffuse = np.asarray([float(t) for t in tokens[1:4]])
            elif current is not None and tokens[0] == "map_Kd" and len(tokens) >= 2:
                current.texture = _load_texture(path, os.path.join(os.path.dirname(mtl_path), tokens[-1]), folder)
    return materials


def _load_texture(path: str, texture_path: str, folder: str) -> Optional[np.ndarray]:
    """(H, W, 3) uint8 of a texture image within ``folder`` and the texture limits, or
    None (warned about) when it cannot be read."""
    from PIL import Image

    try:
        data = read_regular(texture_path, "texture_file_bytes", "the texture", inside=folder)
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
            limits.check("texture_pixels", width * height, f"the texture has {width} x {height} pixels")
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except MeshLoadError as error:
        reason = str(error)
    except Exception as error:  # noqa: BLE001 - any undecodable image (Pillow raises many kinds)
        reason = f"{texture_path}: {type(error).__name__}: {error}"
    warnings.warn(f"{path}: texture {reason}; its material uses Kd only", stacklevel=4)
    return None


def sample_texture(texture: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Bilinear texture lookup with wrapping.

    Args:
        texture: (H, W, C) values, row 0 at the top of the image (v = 1); uint8 values
            are read as value / 255 (only the texels sampled are converted).
        uv: (K, 2) texture coordinates, u to the right, v up, [0, 1] spanning the image.

    Returns:
        (K, C) sampled values (float64 for a uint8 texture).
    """
    height, width = texture.shape[:2]
    x = np.mod(uv[:, 0], 1.0) * width - 0.5  # texel centres at half-integers
    y = (1.0 - np.mod(uv[:, 1], 1.0)) * height - 0.5
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)

    def texel(yy, xx):
        values = texture[np.mod(yy, height), np.mod(xx, width)]
        return values.astype(np.float64) / 255.0 if values.dtype == np.uint8 else values

    top = texel(y0, x0) * (1 - fx) + texel(y0, x0 + 1) * fx
    bottom = texel(y0 + 1, x0) * (1 - fx) + texel(y0 + 1, x0 + 1) * fx
    return top * (1 - fy) + bottom * fy


def _material_colors(materials, faces, corner_uvs, uvs, face_material, num_vertices) -> np.ndarray:
    """(V, 3) per-vertex colours: the mean over each vertex's face corners of Kd * texture(uv)."""
    corner_colors = np.ones((faces.shape[0], 3, 3))
    for name in set(face_material):
        material = materials.get(name) if name is not None else None
        if material is None:
            continue
        selected = np.fromiter((m == name for m in face_material), dtype=bool, count=len(face_material))
        colors = np.broadcast_to(material.diffuse, (int(selected.sum()), 3, 3)).copy()
        if material.texture is not None:
            uv_index = corner_uvs[selected]
            has_uv = uv_index >= 0
            colors[has_uv] *= sample_texture(material.texture, uvs[uv_index[has_uv]])
        corner_colors[selected] = colors
    sums = np.zeros((num_vertices, 3))
    counts = np.zeros(num_vertices)
    np.add.at(sums, faces.reshape(-1), corner_colors.reshape(-1, 3))
    np.add.at(counts, faces.reshape(-1), 1.0)
    result = np.full((num_vertices, 3), UNCOLORED_VERTEX_VALUE)
    used = counts > 0
    result[used] = sums[used] / counts[used, None]
    return result


def bake_surface_textures(raw: RawMesh, resolution: int) -> Optional[torch.Tensor]:
    """R x R surface textures of an OBJ's materials (``Mesh`` 'texture' mode colours).

    A face whose material has a ``map_Kd`` texture and that has a UV at all three
    corners gets Kd times the texture baked at its texels by ``bake_uv_texture`` (the
    same bilinear, wrapping lookup as the per-vertex colours); any other face with a
    material its flat Kd in every texel; a face without a (known) material white, as in
    the per-vertex colours.

    Args:
        raw: a ``read_obj`` result.
        resolution: R >= 1.

    Returns:
        (F, R * R, 3) float64 CPU tensor, or None when no face is textured (no
        materials, no ``map_Kd`` texture, or no UVs): the mesh then has at most flat
        material or per-vertex colours.

    Raises:
        ValueError: the UVs of a textured face are NaN or inf.
    """
    if raw.materials is None or raw.face_material_indices is None or raw.uvs is None or raw.face_uv_indices is None:
        return None
    has_texture = np.array([m.texture is not None for m in raw.materials] + [False], dtype=bool)
    textured = has_texture[raw.face_material_indices] & (raw.face_uv_indices >= 0).all(axis=1)  # index -1: the False
    if not textured.any():
        return None
    texels = resolution * resolution
    colors = torch.ones(len(raw.faces), texels, 3, dtype=torch.float64)
    for k, material in enumerate(raw.materials):
        selected = raw.face_material_indices == k
        colors[torch.from_numpy(selected)] = torch.from_numpy(np.asarray(material.diffuse, dtype=np.float64))
        baked = selected & textured
        if not baked.any():
            continue
        face_uvs = raw.uvs[raw.face_uv_indices[baked]]  # (F_k, 3, 2)
        if not np.isfinite(face_uvs).all():
            raise ValueError("texture coordinates of textured faces contain NaN or inf")
        texture = np.asarray(material.texture)
        pixels = texture.astype(np.float64) / 255.0 if texture.dtype == np.uint8 else texture.astype(np.float64)
        image = torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1)  # (3, Ht, Wt), for this bake only
        colors[torch.from_numpy(baked)] *= bake_uv_texture(image, torch.from_numpy(face_uvs), resolution)[0]
    return colors


def checked_mesh_arrays(vertices, faces) -> Tuple[np.ndarray, np.ndarray]:
    """(V, 3) float and (F, 3) integer NumPy arrays of a mesh about to be written.

    Raises:
        ValueError: naming ``vertices`` or ``faces``: wrong shape or dtype, an index out
            of range, NaN or inf.
    """
    vertices_np = as_numpy(vertices, "vertices")
    faces_np = as_numpy(faces, "faces")
    if vertices_np.ndim != 2 or vertices_np.shape[1] != 3 or not np.issubdtype(vertices_np.dtype, np.floating):
        raise ValueError(
            f"vertices must be a (V, 3) float array, got shape {vertices_np.shape} dtype {vertices_np.dtype}"
        )
    if faces_np.ndim != 2 or faces_np.shape[1] != 3 or not np.issubdtype(faces_np.dtype, np.integer):
        raise ValueError(f"faces must be a (F, 3) integer array, got shape {faces_np.shape} dtype {faces_np.dtype}")
    if faces_np.size and (faces_np.min() < 0 or faces_np.max() >= len(vertices_np)):
        raise ValueError(f"faces indices must be in [0, {len(vertices_np)})")
    if not np.isfinite(vertices_np).all():
        raise ValueError("vertices contains NaN or inf")
    return vertices_np, faces_np


def vertex_lines(vertices_np: np.ndarray, colors_np: Optional[np.ndarray] = None) -> str:
    """The OBJ ``v x y z [r g b]`` lines, with enough digits to read the same values back."""
    digits = FLOAT32_DIGITS if vertices_np.dtype == np.float32 else FLOAT64_DIGITS
    rows = vertices_np
    if colors_np is not None:
        rows = np.concatenate([vertices_np.astype(np.float64), colors_np.astype(np.float64)], axis=1)
    buffer = io.StringIO()
    np.savetxt(buffer, rows, fmt=f"%.{digits}g", delimiter=" ", header="", comments="")
    return "".join("v " + line + "\n" for line in buffer.getvalue().splitlines())


def save_obj(path, vertices, faces, colors=None) -> None:
    """Write a triangle mesh as OBJ, atomically (temporary file + rename).

    Args:
        path: destination file (its folder must exist).
        vertices: (V, 3) float tensor or array.
        faces: (F, 3) integer tensor or array of 0-based indices into V.
        colors: None or (V, 3) per-vertex colours, written as "v x y z r g b".
    """
    vertices_np, faces_np = checked_mesh_arrays(vertices, faces)
    colors_np = None
    if colors is not None:
        colors_np = as_numpy(colors, "colors")
        if colors_np.shape != (len(vertices_np), 3):
            raise ValueError(f"colors must have shape ({len(vertices_np)}, 3), got {colors_np.shape}")
    vertex_text = vertex_lines(vertices_np, colors_np)
    buffer = io.StringIO()
    np.savetxt(buffer, faces_np.astype(np.int64) + 1, fmt="%d", delimiter=" ")
    face_text = "".join("f " + line + "\n" for line in buffer.getvalue().splitlines())
    with atomic_write(path, "w") as handle:
        handle.write("# written by softrecon\n")
        handle.write(vertex_text)
        handle.write(face_text)
