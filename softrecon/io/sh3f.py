"""Sweet Home 3D furniture libraries (.sh3f): the catalog and its OBJ models.

A .sh3f file is a zip holding ``PluginFurnitureCatalog.properties`` (a Java properties
file: library-wide ``id``, ``name``, ``license``, ... and per piece ``n`` the keys
``id#n``, ``name#n``, ``category#n``, ``model#n`` (a path inside the zip), optional
``modelRotation#n`` (nine numbers, a 3 x 3 matrix row by row, applied as
``v' = M v``), ``creator#n``, ``width#n``/``depth#n``/``height#n`` in cm) and the models,
each an OBJ with its MTL and textures in its own folder. Models are read by
``softrecon.io.obj.read_obj`` from a temporary copy of their folder, without the
two-vertex faces (line segments) that some of the models contain.

Zip members are checked against the limits of ``softrecon.io.limits`` before they are
read (entries in the zip, each member's size and its decompressed size per compressed
byte, the bytes taken out for one model, the catalog's size) and streamed to disk, never
read whole into memory.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
import zipfile
from typing import Dict, List, Optional

import numpy as np

from . import limits
from .errors import MeshLoadError
from .obj import RawMesh, read_obj

CATALOG_NAME = "PluginFurnitureCatalog.properties"
_KEY_VALUE = re.compile(r"((?:[^=:\s\\]|\\.)+)\s*[=:\s]\s*(.*)")


@dataclasses.dataclass(frozen=True)
class FurnitureEntry:
    """One piece of a furniture catalog."""

    library: str  # the .sh3f file name without its extension
    index: int  # n of the '#n' keys
    piece_id: str  # id#n
    name: str
    category: str
    model: str  # path of the OBJ inside the zip, without a leading '/'
    model_rotation: Optional[tuple]  # 9 floats (row-major 3 x 3), or None
    creator: str
    license: str  # the library's licence line


def parse_properties(text: str) -> Dict[str, str]:
    """Parse Java ``.properties`` text (comments, line continuations, ``\\uXXXX`` escapes)."""
    props: Dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].lstrip()
        index += 1
        if not line or line[0] in "#!":
            continue
        while line.endswith("\\") and not line.endswith("\\\\") and index < len(lines):
            line = line[:-1] + lines[index].lstrip()
            index += 1
        match = _KEY_VALUE.match(line)
        if not match:
            continue
        key = match.group(1).replace("\\", "")
        props[key] = match.group(2).encode("latin-1", "backslashreplace").decode("unicode_escape").strip()
    return props


def read_catalog(path) -> List[FurnitureEntry]:
    """The furniture pieces of a .sh3f library, in catalog order.

    Raises:
        MeshLoadError: not a readable zip, or no catalog inside.
    """
    path = os.fspath(path)
    try:
        with _open_library(path) as archive:
            info = archive.getinfo(CATALOG_NAME)
            _check_member(info, "text_file_bytes")
            text = archive.read(info).decode("latin-1")
    except KeyError:
        raise MeshLoadError(path, f"no {CATALOG_NAME} inside") from None
    except limits.LimitExceeded as error:
        raise MeshLoadError(path, str(error)) from None
    except (OSError, zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError) as error:
        raise MeshLoadError(path, f"not a readable furniture library ({error})") from None
    props = parse_properties(text)
    library = os.path.splitext(os.path.basename(path))[0]
    entries = []
    index = 1
    while f"id#{index}" in props or f"model#{index}" in props:
        rotation = props.get(f"modelRotation#{index}")
        try:
            rotation_values = tuple(float(v) for v in rotation.split()) if rotation else None
        except ValueError:
            raise MeshLoadError(path, f"modelRotation#{index} is not 9 numbers: {rotation!r}") from None
        if rotation_values is not None and len(rotation_values) != 9:
            raise MeshLoadError(path, f"modelRotation#{index} is not 9 numbers: {rotation!r}")
        entries.append(
            FurnitureEntry(
                library=library,
                index=index,
                piece_id=props.get(f"id#{index}", f"{library}#{index}"),
                name=props.get(f"name#{index}", ""),
                category=props.get(f"category#{index}", ""),
                model=props.get(f"model#{index}", "").lstrip("/"),
                model_rotation=rotation_values,
                creator=props.get(f"creator#{index}", ""),
                license=props.get("license", ""),
            )
        )
        index += 1
    return entries


def _is_line_face(line: bytes) -> bool:
    return line.startswith(b"f ") and len(line.split(b"#", 1)[0].split()) == 3


def drop_line_faces(obj: bytes) -> bytes:
    """Remove the two-vertex ``f`` lines of an OBJ: line segments that Sweet Home 3D's
    exporter writes as faces (no surface; ``read_obj`` rightly rejects them as faces)."""
    return b"\n".join(line for line in obj.split(b"\n") if not _is_line_face(line))


def _open_library(path: str) -> zipfile.ZipFile:
    """The zip, with at most ``archive_members`` entries."""
    archive = zipfile.ZipFile(path)
    try:
        limits.check("archive_members", len(archive.infolist()), "entries in the library")
    except limits.LimitExceeded:
        archive.close()
        raise
    return archive


def _check_member(info: zipfile.ZipInfo, limit: str) -> None:
    """A member's size within ``limit`` and its decompressed size per compressed byte
    within ``expansion_ratio`` (both as the zip's directory states them: reading stops
    there, and a member longer than it fails its CRC check)."""
    limits.check(limit, info.file_size, f"member {info.filename!r} has {info.file_size} bytes")
    limits.check_expansion(info.file_size, info.compress_size, f"member {info.filename!r}")


def _model_members(archive: zipfile.ZipFile, entry: FurnitureEntry) -> List[zipfile.ZipInfo]:
    """The zip members a piece's model is read from: its folder's files (or the model
    alone when it lies at the top), in name order."""
    folder = os.path.dirname(entry.model)
    if folder:
        members = [i for i in archive.infolist() if i.filename.startswith(folder + "/") and not i.is_dir()]
    else:
        members = [i for i in archive.infolist() if i.filename == entry.model]
    return sorted(members, key=lambda info: info.filename)


def model_digest(path, entry: FurnitureEntry) -> str:
    """SHA-256 of what ``read_furniture_model`` reads for ``entry``: the names and bytes
    of its folder's members, and its ``modelRotation`` (a cache key of the model).

    Raises:
        MeshLoadError: the library cannot be read, or a member is over a limit.
    """
    import hashlib

    path = os.fspath(path)
    digest = hashlib.sha256(repr((entry.model, entry.model_rotation)).encode())
    try:
        with _open_library(path) as archive:
            for info in _model_members(archive, entry):
                _check_member(info, "member_bytes")
                digest.update(f"{info.filename}\0{info.file_size}\0".encode())
                with archive.open(info) as source:
                    for chunk in iter(lambda: source.read(1 << 20), b""):
                        digest.update(chunk)
    except limits.LimitExceeded as error:
        raise MeshLoadError(f"{path}!{entry.model}", str(error)) from None
    except (OSError, zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError) as error:
        raise MeshLoadError(
            f"{path}!{entry.model}", f"cannot read the model ({type(error).__name__}: {error})"
        ) from None
    return digest.hexdigest()


def read_furniture_model(path, entry: FurnitureEntry) -> RawMesh:
    """Read one piece's OBJ (with its MTL colours and textures) from the library zip and
    apply its ``modelRotation``.

    Returns:
        a ``RawMesh`` in Sweet Home 3D's model frame (y up).

    Raises:
        MeshLoadError: the model is missing from the zip or cannot be read.
    """
    path = os.fspath(path)
    where = f"{path}!{entry.model}"
    folder = os.path.dirname(entry.model)
    try:
        with _open_library(path) as archive, tempfile.TemporaryDirectory(prefix="sh3f-") as tmp:
            members = _model_members(archive, entry)
            if entry.model not in {info.filename for info in members}:
                raise MeshLoadError(where, "model file missing from the library")
            total = 0
            for info in members:
                name = info.filename
                target = os.path.join(tmp, os.path.relpath(name, folder or "."))
                if not os.path.abspath(target).startswith(os.path.abspath(tmp) + os.sep):
                    raise MeshLoadError(where, f"zip member {name!r} points outside its folder")
                _check_member(info, "mesh_file_bytes" if name == entry.model else "member_bytes")
                total += info.file_size
                limits.check("archive_bytes", total, "bytes of the model's folder")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with archive.open(info) as source, open(target, "wb") as handle:
                    if name == entry.model:
                        handle.writelines(line for line in source if not _is_line_face(line))
                    else:
                        shutil.copyfileobj(source, handle)
            raw = read_obj(os.path.join(tmp, os.path.relpath(entry.model, folder or ".")))
    except limits.LimitExceeded as error:
        raise MeshLoadError(where, str(error)) from None
    except (OSError, zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError) as error:
        raise MeshLoadError(where, f"cannot read the model ({type(error).__name__}: {error})") from None
    except MeshLoadError as error:
        raise MeshLoadError(where, error.reason) from None
    if entry.model_rotation is not None:
        matrix = np.asarray(entry.model_rotation, dtype=np.float64).reshape(3, 3)
        raw.vertices = raw.vertices @ matrix.T
    return raw
