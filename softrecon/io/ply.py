"""Stanford PLY reading: ASCII, binary little- and big-endian.

Reads the ``vertex`` element (x, y, z and, when present, red/green/blue colours:
integer types scaled by 1/255, floating types as they are) and the ``face`` element
(the list property ``vertex_indices`` or ``vertex_index``; polygons triangulated as
fans). Other elements and properties are parsed and skipped.

Only a regular file within the limits of ``softrecon.io.limits`` is read
(``mesh_file_bytes``, ``mesh_vertices``, ``mesh_faces``); counts in the header are
checked against the bytes the file really holds before anything is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from . import limits
from .errors import MeshLoadError
from .obj import RawMesh
from .regular_files import read_regular

# PLY scalar type names (both spellings) -> numpy type codes, without byte order.
_PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip
_FORMATS = {"ascii": None, "binary_little_endian": "<", "binary_big_endian": ">"}
_FACE_LIST_NAMES = ("vertex_indices", "vertex_index")
_COLOR_NAMES = ("red", "green", "blue")
# Integer colour channels are 8-bit: 255 is full intensity.
_MAX_8BIT = 255.0
# The limit that bounds the row count of an element (others: the file's bytes).
_COUNT_LIMITS = {"vertex": "mesh_vertices", "face": "mesh_faces"}


@dataclass
class _Property:
    name: str
    dtype: str  # numpy type code without byte order
    count_dtype: Optional[str] = None  # for list properties: the type of the count


@dataclass
class _Element:
    name: str
    count: int
    properties: List[_Property] = field(default_factory=list)


def read_ply(path: str) -> RawMesh:
    """Parse a PLY file into numpy arrays.

    Raises:
        MeshLoadError: not a regular file, over a limit, malformed, no faces, an index
            out of range.
    """
    data = read_regular(path, "mesh_file_bytes")
    try:
        fmt, elements, body = _parse_header(data)
        for element in elements:
            if element.name in _COUNT_LIMITS:
                limits.check(_COUNT_LIMITS[element.name], element.count, f"element {element.name!r} count")
        if fmt is None:
            values = _read_ascii(body, elements)
        else:
            values = _read_binary(body, elements, fmt)
    except limits.LimitExceeded as error:
        raise MeshLoadError(path, str(error)) from None
    except (ValueError, IndexError, UnicodeDecodeError) as error:
        raise MeshLoadError(path, f"malformed PLY ({error})") from None

    vertex = values.get("vertex")
    if vertex is None or not all(k in vertex for k in ("x", "y", "z")):
        raise MeshLoadError(path, "no 'vertex' element with x, y, z properties")
    vertices = np.stack([vertex["x"], vertex["y"], vertex["z"]], axis=1).astype(np.float64)
    colors = None
    if all(k in vertex for k in _COLOR_NAMES):
        vertex_element = next(e for e in elements if e.name == "vertex")
        kinds = {p.dtype for p in vertex_element.properties if p.name in _COLOR_NAMES}
        colors = np.stack([vertex[k] for k in _COLOR_NAMES], axis=1).astype(np.float64)
        if all(kind[0] in "iu" for kind in kinds):
            colors /= _MAX_8BIT
    face = values.get("face", {})
    polygons = next((face[k] for k in _FACE_LIST_NAMES if k in face), None)
    if polygons is None or len(polygons) == 0:
        raise MeshLoadError(path, "no faces")
    faces = _triangulate(path, polygons)
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        bad = faces[(faces < 0) | (faces >= len(vertices))][0]
        raise MeshLoadError(path, f"face index out of range: {bad} (0-based) of {len(vertices)} vertices")
    return RawMesh(vertices, faces, colors)


def _parse_header(data: bytes) -> Tuple[Optional[str], List[_Element], bytes]:
    """Returns (byte order or None for ASCII, elements, the bytes after end_header)."""
    if not data.startswith(b"ply"):
        raise ValueError("the file does not start with 'ply'")
    end = data.find(b"end_header")
    if end < 0:
        raise ValueError("no end_header")
    body_start = data.index(b"\n", end) + 1
    header_lines = data[:end].decode("ascii").splitlines()[1:]
    fmt: Optional[str] = None
    seen_format = False
    elements: List[_Element] = []
    for line in header_lines:
        tokens = line.split()
        if not tokens or tokens[0] in ("comment", "obj_info"):
            continue
        if tokens[0] == "format":
            if len(tokens) < 2 or tokens[1] not in _FORMATS:
                raise ValueError(f"unknown format {line!r}")
            fmt, seen_format = _FORMATS[tokens[1]], True
        elif tokens[0] == "element":
            if len(tokens) != 3:
                raise ValueError(f"bad element line {line!r}")
            count = int(tokens[2])
            if count < 0:
                raise ValueError(f"negative element count in {line!r}")
            elements.append(_Element(tokens[1], count))
        elif tokens[0] == "property":
            if not elements:
                raise ValueError(f"property before any element: {line!r}")
            if len(tokens) == 5 and tokens[1] == "list":
                elements[-1].properties.append(_Property(tokens[4], _ply_type(tokens[3]), _ply_type(tokens[2])))
            elif len(tokens) == 3:
                elements[-1].properties.append(_Property(tokens[2], _ply_type(tokens[1])))
            else:
                raise ValueError(f"bad property line {line!r}")
        else:
            raise ValueError(f"unknown header line {line!r}")
    if not seen_format:
        raise ValueError("no format line")
    return fmt, elements, data[body_start:]


def _ply_type(name: str) -> str:
    if name not in _PLY_TYPES:
        raise ValueError(f"unknown property type {name!r}")
    return _PLY_TYPES[name]


def _read_ascii(body: bytes, elements: List[_Element]) -> dict:
    lines = body.decode("ascii").split("\n")
    values: dict = {}
    position = 0
    for element in elements:
        columns: dict = {p.name: [] for p in element.properties}
        for _ in range(element.count):
            while position < len(lines) and not lines[position].strip():
                position += 1  # tolerate blank lines
            if position >= len(lines):
                raise ValueError(f"element {element.name!r}: expected {element.count} rows, the file ends early")
            tokens = lines[position].split()
            position += 1
            cursor = 0
            for prop in element.properties:
                if prop.count_dtype is None:
                    columns[prop.name].append(float(tokens[cursor]))
                    cursor += 1
                else:
                    count = int(tokens[cursor])
                    columns[prop.name].append([int(float(t)) for t in tokens[cursor + 1 : cursor + 1 + count]])
                    if len(columns[prop.name][-1]) != count:
                        raise ValueError(f"element {element.name!r}: a list is shorter than its count")
                    cursor += 1 + count
        values[element.name] = {
            name: (np.asarray(col, dtype=np.float64) if prop.count_dtype is None else col)
            for (name, col), prop in zip(columns.items(), element.properties)
        }
    return values


def _read_binary(body: bytes, elements: List[_Element], order: str) -> dict:
    values: dict = {}
    offset = 0
    for element in elements:
        if all(p.count_dtype is None for p in element.properties):
            dtype = np.dtype([(p.name, order + p.dtype) for p in element.properties])
            table = _frombuffer(body, dtype, element.count, offset, element.name)
            offset += dtype.itemsize * element.count
            values[element.name] = {p.name: table[p.name] for p in element.properties}
        else:
            values[element.name], offset = _read_binary_lists(body, element, order, offset)
    return values


def _frombuffer(body: bytes, dtype: np.dtype, count: int, offset: int, name: str) -> np.ndarray:
    if count < 0:
        raise ValueError(f"element {name!r}: negative list length {count}")
    if offset + dtype.itemsize * count > len(body):
        raise ValueError(f"element {name!r}: the file ends early")
    return np.frombuffer(body, dtype=dtype, count=count, offset=offset)


def _read_binary_lists(body: bytes, element: _Element, order: str, offset: int) -> Tuple[dict, int]:
    """An element with list properties. Fast path: every list as long as the first row's."""
    if element.count == 0:
        return {p.name: [] for p in element.properties}, offset
    # Lengths of the first row's lists fix a candidate fixed-size record layout.
    fields, cursor = [], offset
    for i, prop in enumerate(element.properties):
        if prop.count_dtype is None:
            fields.append((f"s{i}", order + prop.dtype))
            cursor += np.dtype(prop.dtype).itemsize
        else:
            count = int(_frombuffer(body, np.dtype(order + prop.count_dtype), 1, cursor, element.name)[0])
            if count < 0 or count * np.dtype(prop.dtype).itemsize > len(body):
                raise ValueError(f"element {element.name!r}: list length {count} beyond the file's {len(body)} bytes")
            fields.append((f"n{i}", order + prop.count_dtype))
            fields.append((f"l{i}", order + prop.dtype, (count,)))
            cursor += np.dtype(prop.count_dtype).itemsize + count * np.dtype(prop.dtype).itemsize
    dtype = np.dtype(fields)
    if offset + dtype.itemsize * element.count <= len(body):
        table = np.frombuffer(body, dtype=dtype, count=element.count, offset=offset)
        fixed = all(
            (table[f"n{i}"] == table[f"n{i}"][0]).all()
            for i, p in enumerate(element.properties)
            if p.count_dtype is not None
        )
        if fixed:
            columns = {
                p.name: (table[f"s{i}"] if p.count_dtype is None else table[f"l{i}"].reshape(element.count, -1))
                for i, p in enumerate(element.properties)
            }
            return columns, offset + dtype.itemsize * element.count
    # Variable-length lists: row by row.
    columns = {p.name: [] for p in element.properties}
    for _ in range(element.count):
        for prop in element.properties:
            if prop.count_dtype is None:
                scalar_type = np.dtype(order + prop.dtype)
                columns[prop.name].append(_frombuffer(body, scalar_type, 1, offset, element.name)[0])
                offset += scalar_type.itemsize
            else:
                count_type, item_type = np.dtype(order + prop.count_dtype), np.dtype(order + prop.dtype)
                count = int(_frombuffer(body, count_type, 1, offset, element.name)[0])
                offset += count_type.itemsize
                columns[prop.name].append(_frombuffer(body, item_type, count, offset, element.name).tolist())
                offset += count * item_type.itemsize
    return columns, offset


def _triangulate(path: str, polygons) -> np.ndarray:
    """(F, 3) int64 fan triangulation of polygons (an (M, K) array or a list of lists)."""
    if isinstance(polygons, list) and len({len(p) for p in polygons}) == 1:
        polygons = np.asarray(polygons, dtype=np.int64)
    if isinstance(polygons, np.ndarray) and polygons.ndim == 2:
        if polygons.shape[1] < 3:
            raise MeshLoadError(path, f"faces with {polygons.shape[1]} vertices (need at least 3)")
        polygons = polygons.astype(np.int64)
        fans = [
            np.stack([polygons[:, 0], polygons[:, k], polygons[:, k + 1]], axis=1)
            for k in range(1, polygons.shape[1] - 1)
        ]
        return np.stack(fans, axis=1).reshape(-1, 3)
    triangles = []
    for polygon in polygons:
        if len(polygon) < 3:
            raise MeshLoadError(path, f"a face with {len(polygon)} vertices (need at least 3)")
        triangles.extend((polygon[0], polygon[k], polygon[k + 1]) for k in range(1, len(polygon) - 1))
    return np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
