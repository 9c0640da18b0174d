"""AC3D (.ac) and TORCS .acc reading: one triangle mesh with a colour per face.

Reads the header (``AC3D`` + a version letter), ``MATERIAL`` lines (the ``rgb`` diffuse
colour is the face colour) and the ``OBJECT`` tree: ``name``, ``data`` (skipped),
``texture``/``texrep``/``texoff``/``url``/``crease``/``subdiv``/``hidden``/``locked``/
``folded`` (ignored: ``subdiv`` surfaces are read as their control mesh), ``rot`` (a 3 x 3
matrix) and ``loc`` (a translation) composed through the hierarchy, ``numvert`` (the
first three numbers of each line; TORCS .acc lines also carry a normal), ``numsurf`` with
``SURF`` flags, ``mat`` and ``refs`` (the first number of each reference line; .acc lines
carry several UV pairs), and ``kids``. Polygons (surface type 0) are triangulated (a fan
when convex, else ear clipping in their plane), triangle strips (type 4, TORCS .acc)
unrolled, lines (types 1 and 2) skipped. A file announcing more kids than it holds is
read up to its end (several FlightGear models do this). Textures are not sampled: faces take their material's colour.

Only a regular file within the limits of ``softrecon.io.limits`` is read: its size
(``mesh_file_bytes``), objects nested at most ``nesting_depth`` deep, polygons of at most
``polygon_corners`` corners, at most ``mesh_vertices`` vertices and ``mesh_faces``
triangles; a file beyond them is refused with a ``MeshLoadError`` naming it.

Transform convention (as the plib and OpenSceneGraph loaders of FlightGear and TORCS):
an object's points are ``p_parent = p @ rot + loc`` with ``rot`` read row by row, and a
kid's points are in its parent's frame.

No well-kept Python library reads AC3D: trimesh and meshio have no AC3D reader, and
pyassimp/impasse need the native Assimp library, which pip does not provide.

Shape symbols: V vertices, F triangles.
"""

from __future__ import annotations

import dataclasses
import os
from typing import List, Optional, Sequence, Tuple

import numpy as np

from . import limits
from .errors import MeshLoadError
from .regular_files import read_regular

SURFACE_TYPE_MASK = 0x0F  # low nibble of the SURF flags: 0 polygon, 1 closed line, 2 line,
POLYGON = 0  # 4 triangle strip (the TORCS .acc extension)
TRIANGLE_STRIP = 4
DEFAULT_COLOR = (0.8, 0.8, 0.8)  # faces whose material index is missing or out of range
# A polygon corner is an ear when the triangle's area (in the polygon's plane) exceeds
# this fraction of the polygon's squared extent: rejects collinear corners.
_EAR_AREA_TOLERANCE = 1e-12
_IGNORED = {"texture", "texrep", "texoff", "url", "crease", "subdiv", "hidden", "locked", "folded", "shader"}


@dataclasses.dataclass
class AC3DMesh:
    """A loaded AC3D file, every object merged in the file's (world) frame.

    Attributes:
        vertices: (V, 3) float64.
        faces: (F, 3) int64 triangles.
        face_colors: (F, 3) float64 RGB in [0, 1] (the material's diffuse colour).
        face_objects: (F,) int64 index into ``object_names`` of each face's object.
        object_names: names of the objects (``""`` for unnamed ones), in file order.
    """

    vertices: np.ndarray
    faces: np.ndarray
    face_colors: np.ndarray
    face_objects: np.ndarray
    object_names: List[str]


class _Lines:
    """The file's lines with a cursor; errors name the file and the line."""

    def __init__(self, path: str, lines: Sequence[str]):
        self.path, self.lines, self.index = path, lines, 0

    def next(self, what: str) -> str:
        while self.index < len(self.lines):
            line = self.lines[self.index].strip()
            self.index += 1
            if line:
                return line
        raise self.error(f"the file ends where {what} was expected")

    def error(self, reason: str) -> MeshLoadError:
        return MeshLoadError(self.path, f"line {self.index}: {reason}")


def _at_end(cursor: _Lines) -> bool:
    """True when only blank lines are left."""
    index = cursor.index
    while index < len(cursor.lines) and not cursor.lines[index].strip():
        index += 1
    return index >= len(cursor.lines)


def _quoted(rest: str) -> str:
    rest = rest.strip()
    return rest[1:-1] if len(rest) >= 2 and rest[0] == rest[-1] == '"' else rest


def _parse_material(cursor: _Lines, line: str) -> Tuple[float, float, float]:
    tokens = line.replace('"', " ").split()
    try:
        at = tokens.index("rgb")
        return tuple(min(max(float(t), 0.0), 1.0) for t in tokens[at + 1 : at + 4])
    except (ValueError, IndexError):
        raise cursor.error(f"MATERIAL without an 'rgb r g b' colour: {line!r}") from None


def _count(cursor: _Lines, tokens: List[str], keyword: str) -> int:
    try:
        value = int(tokens[1])
    except (IndexError, ValueError):
        raise cursor.error(f"'{keyword}' needs a count, got {' '.join(tokens)!r}") from None
    if value < 0:
        raise cursor.error(f"'{keyword}' count is negative: {value}")
    return value


def strip_triangles(indices: Sequence[int]) -> List[Tuple[int, int, int]]:
    """Triangles of a triangle strip as position triples into ``indices``: (k, k+1, k+2)
    with every other one flipped to keep the winding; degenerate ones (a repeated vertex,
    used to join strips) are dropped."""
    triangles = []
    for k in range(len(indices) - 2):
        a, b, c = (k, k + 1, k + 2) if k % 2 == 0 else (k + 1, k, k + 2)
        if len({indices[a], indices[b], indices[c]}) == 3:
            triangles.append((a, b, c))
    return triangles


def triangulate_polygon(points) -> List[Tuple[int, int, int]]:
    """Triangulate one planar (or nearly planar) polygon: a fan when it is convex, else
    ear clipping in its best-fit plane.

    Args:
        points: (K, 3) floats (array or nested sequence), K >= 3 corners in order.

    Returns:
        K - 2 triangles as index triples into ``points``, with the polygon's winding (a
        fan (0, k, k + 1) when the polygon is degenerate or self-intersecting).
    """
    count = len(points)
    fan = [(0, k, k + 1) for k in range(1, count - 1)]
    if count <= 3:
        return fan
    pts = [tuple(map(float, p)) for p in points]
    nx = ny = nz = 0.0  # Newell's normal: robust for non-convex polygons
    for k in range(count):
        (ax, ay, az), (bx, by, bz) = pts[k], pts[(k + 1) % count]
        nx += (ay - by) * (az + bz)
        ny += (az - bz) * (ax + bx)
        nz += (ax - bx) * (ay + by)
    # Project onto the coordinate plane most perpendicular to the normal, keeping the
    # polygon counter-clockwise there.
    dominant = max(range(3), key=lambda i: abs((nx, ny, nz)[i]))
    if (nx, ny, nz)[dominant] == 0:
        return fan
    u_axis, v_axis = [(1, 2), (2, 0), (0, 1)][dominant]
    sign = 1.0 if (nx, ny, nz)[dominant] > 0 else -1.0
    flat = [(p[u_axis], sign * p[v_axis]) for p in pts]

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    turns = [cross(flat[k - 1], flat[k], flat[(k + 1) % count]) for k in range(count)]
    if all(t >= 0 for t in turns):
        return fan  # convex
    us, vs = [f[0] for f in flat], [f[1] for f in flat]
    tolerance = _EAR_AREA_TOLERANCE * max(max(us) - min(us), max(vs) - min(vs)) ** 2
    remaining = list(range(count))
    triangles: List[Tuple[int, int, int]] = []
    while len(remaining) > 3:
        size = len(remaining)
        for position in range(size):
            i, j, k = remaining[position - 1], remaining[position], remaining[(position + 1) % size]
            a, b, c = flat[i], flat[j], flat[k]
            if cross(a, b, c) <= tolerance:
                continue  # reflex or collinear corner
            if any(
                cross(a, b, flat[m]) >= 0 and cross(b, c, flat[m]) >= 0 and cross(c, a, flat[m]) >= 0
                for m in remaining
                if m not in (i, j, k)
            ):
                continue  # another corner inside: not an ear
            triangles.append((i, j, k))
            remaining.pop(position)
            break
        else:
            return fan  # no ear: self-intersecting or degenerate
    triangles.append(tuple(remaining))
    return triangles


def _read_object(
    cursor: _Lines, header: str, transform: Tuple[np.ndarray, np.ndarray], materials, out, depth: int = 1
) -> None:
    """Read one OBJECT (its header line already consumed) and its kids, appending to ``out``.

    ``depth`` is the object's nesting level (1 for a top-level object)."""
    bounds: limits.ReadLimits = out["limits"]
    if depth > bounds.nesting_depth:
        raise cursor.error(str(limits.LimitExceeded("nesting_depth", depth, bounds.nesting_depth, "objects nested")))
    rot, loc = np.eye(3), np.zeros(3)
    name = ""
    local_vertices: Optional[np.ndarray] = None
    surfaces: List[Tuple[int, int, List[int]]] = []  # (material, type, vertex indices) of polygons and strips
    while True:
        line = cursor.next("'kids'")
        tokens = line.split()
        keyword = tokens[0]
        if keyword == "name":
            name = _quoted(line[4:])
        elif keyword == "data":
            size = _count(cursor, tokens, "data")
            consumed = 0
            while consumed < size:  # the data block may span lines
                if cursor.index >= len(cursor.lines):
                    raise cursor.error("the file ends inside a 'data' block")
                consumed += len(cursor.lines[cursor.index]) + 1
                cursor.index += 1
        elif keyword == "rot":
            try:
                rot = np.asarray([float(t) for t in tokens[1:10]], dtype=np.float64).reshape(3, 3)
            except ValueError:
                raise cursor.error(f"'rot' needs 9 numbers, got {line!r}") from None
        elif keyword == "loc":
            try:
                loc = np.asarray([float(t) for t in tokens[1:4]], dtype=np.float64).reshape(3)
            except ValueError:
                raise cursor.error(f"'loc' needs 3 numbers, got {line!r}") from None
        elif keyword == "numvert":
            count = _count(cursor, tokens, "numvert")
            block = cursor.lines[cursor.index : cursor.index + count]
            try:  # fast path: one vertex per line, 3 (AC3D) or 6 (with a normal, .acc) numbers
                values = np.asarray(" ".join(block).split(), dtype=np.float64)
                if len(block) != count or count == 0 or values.size % count or values.size // count < 3:
                    raise ValueError("irregular block")
                local_vertices = values.reshape(count, -1)[:, :3]
                cursor.index += count
            except ValueError:
                rows = []
                for _ in range(count):
                    numbers = cursor.next("a vertex").split()
                    try:
                        rows.append([float(v) for v in numbers[:3]])
                    except ValueError:
                        raise cursor.error(f"cannot parse the vertex {' '.join(numbers)!r}") from None
                    if len(rows[-1]) != 3:
                        raise cursor.error("a vertex needs 3 coordinates")
                local_vertices = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
        elif keyword == "numsurf":
            for _ in range(_count(cursor, tokens, "numsurf")):
                surf = cursor.next("SURF").split()
                if surf[0] != "SURF" or len(surf) < 2:
                    raise cursor.error(f"expected 'SURF <flags>', got {' '.join(surf)!r}")
                try:
                    flags = int(surf[1], 0)
                except ValueError:
                    raise cursor.error(f"bad SURF flags {surf[1]!r}") from None
                material = -1
                refs_line = cursor.next("'mat' or 'refs'").split()
                if refs_line[0] == "mat":
                    material = _count(cursor, refs_line, "mat")
                    refs_line = cursor.next("'refs'").split()
                if refs_line[0] != "refs":
                    raise cursor.error(f"expected 'refs <n>', got {' '.join(refs_line)!r}")
                indices = []
                for _ in range(_count(cursor, refs_line, "refs")):
                    ref = cursor.next("a surface reference").split()
                    try:
                        indices.append(int(ref[0]))
                    except ValueError:
                        raise cursor.error(f"cannot parse the reference {' '.join(ref)!r}") from None
                kind = flags & SURFACE_TYPE_MASK
                if kind == POLYGON and len(indices) > bounds.polygon_corners:
                    raise cursor.error(
                        str(limits.LimitExceeded("polygon_corners", len(indices), bounds.polygon_corners, "a polygon"))
                    )
                if kind in (POLYGON, TRIANGLE_STRIP) and len(indices) >= 3:
                    surfaces.append((material, kind, indices))
        elif keyword == "kids":
            kids = _count(cursor, tokens, "kids")
            break
        elif keyword in _IGNORED:
            continue
        else:
            raise cursor.error(f"unknown statement {keyword!r} in an OBJECT")
    # This object's frame in the world: p_world = (p @ rot + loc) @ R_parent + t_parent.
    parent_rot, parent_loc = transform
    world_rot, world_loc = rot @ parent_rot, loc @ parent_rot + parent_loc
    object_index = len(out["names"])
    out["names"].append(name)
    if surfaces:
        if local_vertices is None:
            raise cursor.error(f"object {name!r} has surfaces but no vertices")
        base = out["count"]
        world = local_vertices @ world_rot + world_loc
        corners = world.tolist()
        for material, kind, indices in surfaces:
            if min(indices) < 0 or max(indices) >= len(local_vertices):
                raise cursor.error(
                    f"object {name!r}: a surface refers to vertex {max(indices)} of {len(local_vertices)}"
                )
            color = materials[material] if 0 <= material < len(materials) else DEFAULT_COLOR
            if kind == TRIANGLE_STRIP:
                triangles = strip_triangles(indices)
            elif len(indices) == 3:
                triangles = [(0, 1, 2)]
            else:
                triangles = triangulate_polygon([corners[i] for i in indices])
            if len(out["faces"]) + len(triangles) > bounds.mesh_faces:
                raise cursor.error(
                    str(
                        limits.LimitExceeded(
                            "mesh_faces", len(out["faces"]) + len(triangles), bounds.mesh_faces, "triangles"
                        )
                    )
                )
            for a, b, c in triangles:
                out["faces"].append((base + indices[a], base + indices[b], base + indices[c]))
                out["colors"].append(color)
                out["objects"].append(object_index)
        out["vertices"].append(world)
        out["count"] += len(world)
        if out["count"] > bounds.mesh_vertices:
            raise cursor.error(
                str(limits.LimitExceeded("mesh_vertices", out["count"], bounds.mesh_vertices, "vertices"))
            )
    for _ in range(kids):
        if _at_end(cursor):
            break  # fewer kids than announced at the end of the file (common; plib reads such files too)
        line = cursor.next("a kid OBJECT")
        if not line.startswith("OBJECT"):
            raise cursor.error(f"expected a kid 'OBJECT', got {line!r}")
        _read_object(cursor, line, (world_rot, world_loc), materials, out, depth + 1)


def read_ac3d(path) -> AC3DMesh:
    """Parse an AC3D (.ac) or TORCS (.acc) file.

    Raises:
        MeshLoadError: the file is missing, unreadable or not a regular file, is not AC3D,
            is malformed, is beyond a limit (``softrecon.io.limits``), or has no polygon.
    """
    path = os.fspath(path)
    lines = read_regular(path, "mesh_file_bytes").decode("latin-1").splitlines()
    if not lines or not lines[0].startswith("AC3D"):
        raise MeshLoadError(path, "not an AC3D file (the first line must start with 'AC3D')")
    cursor = _Lines(path, lines)
    cursor.index = 1
    materials: List[Tuple[float, float, float]] = []
    out = {"vertices": [], "faces": [], "colors": [], "objects": [], "names": [], "count": 0}
    out["limits"] = limits.current()
    identity = (np.eye(3), np.zeros(3))
    while cursor.index < len(lines):
        line = lines[cursor.index].strip()
        cursor.index += 1
        if not line:
            continue
        if line.startswith("MATERIAL"):
            materials.append(_parse_material(cursor, line))
        elif line.startswith("OBJECT"):
            _read_object(cursor, line, identity, materials, out)
        else:
            raise cursor.error(f"expected MATERIAL or OBJECT, got {line[:40]!r}")
    if not out["faces"]:
        raise MeshLoadError(path, "no polygons")
    vertices = np.concatenate(out["vertices"], axis=0)
    if not np.isfinite(vertices).all():
        raise MeshLoadError(path, "vertex coordinates contain NaN or inf")
    return AC3DMesh(
        vertices=vertices,
        faces=np.asarray(out["faces"], dtype=np.int64).reshape(-1, 3),
        face_colors=np.asarray(out["colors"], dtype=np.float64).reshape(-1, 3),
        face_objects=np.asarray(out["objects"], dtype=np.int64),
        object_names=out["names"],
    )
