"""Limits on what softrecon's readers take from a file, in one place.

Every reader of the project's input files (meshes, materials, textures, furniture
libraries, Debian packages) allocates by what the file really holds, checked against
these limits before anything is allocated, never by what a header claims. A file over a
limit is refused with an error naming the file, the limit and how to raise it.

Raise a limit for one process and the workers it starts with an environment variable,
``SOFTRECON_LIMIT_<NAME>`` (the field name in capitals; an integer, ``_`` allowed)::

    SOFTRECON_LIMIT_TEXTURE_PIXELS=67108864 python scripts/build_dataset.py meshes data/mine

or in Python, for a block of code (the variables are set for its duration, so worker
processes started inside it see them too)::

    with softrecon.io.limits.raised(texture_pixels=8192 * 8192):
        mesh = load_mesh("big_texture.obj", texture_resolution=4)
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from typing import Iterator

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
ENV_PREFIX = "SOFTRECON_LIMIT_"


@dataclasses.dataclass(frozen=True)
class ReadLimits:
    """The limits, with their defaults (chosen well above every real file the project
    reads: ShapeNet, the realcad packages, the 2M-face mesh of the memory test)."""

    # Size of a mesh file (.obj, .ply, .ac, .acc). Line-based readers take up to ~30x
    # this in memory for files of minimal lines.
    mesh_file_bytes: int = 1 * GIB
    # Size of a small text file that goes along a model: an .mtl, a furniture catalog.
    text_file_bytes: int = 16 * MIB
    # Size of a texture image file, and its pixels (width x height, checked from the
    # image's header before it is decoded). Textures are kept as uint8 (3 bytes a pixel);
    # baking surface textures takes 24 bytes a pixel for the time of the bake.
    texture_file_bytes: int = 256 * MIB
    texture_pixels: int = 4096 * 4096
    # Vertices and triangles (after triangulation) of one mesh.
    mesh_vertices: int = 20_000_000
    mesh_faces: int = 20_000_000
    # AC3D: objects nested within objects; corners of one polygon (ear clipping takes
    # time quadratic to cubic in them).
    nesting_depth: int = 200
    polygon_corners: int = 2000
    # Archives (.deb data member, .sh3f zip): bytes of one file taken out, bytes taken
    # out of one archive in all, entries read, and the decompressed size per compressed
    # byte (a member of a zip, a whole .deb data stream; a tiny archive gets at least
    # ``expansion_floor_bytes``).
    member_bytes: int = 2 * GIB
    archive_bytes: int = 16 * GIB
    archive_members: int = 1_000_000
    expansion_ratio: int = 100
    expansion_floor_bytes: int = 16 * MIB


class LimitExceeded(ValueError):
    """A file holds more than a limit allows; the message says which and how to raise it."""

    def __init__(self, name: str, value: int, limit: int, what: str) -> None:
        self.name, self.value, self.limit = name, value, limit
        super().__init__(
            f"{what}: {value} is over the limit {name} = {limit} "
            f"(raise it with the environment variable {ENV_PREFIX}{name.upper()})"
        )


def current() -> ReadLimits:
    """The limits in force: the defaults, each replaced by its environment variable when set.

    Raises:
        ValueError: a ``SOFTRECON_LIMIT_*`` variable that is not a positive integer or
            names no limit.
    """
    fields = {field.name for field in dataclasses.fields(ReadLimits)}
    values = {}
    for key, text in os.environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name not in fields:
            raise ValueError(f"{key}: no such limit; the limits are {sorted(fields)}")
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise ValueError(f"{key} must be a positive integer, got {text!r}")
        values[name] = value
    return ReadLimits(**values)


def check(name: str, value: int, what: str) -> None:
    """Raise ``LimitExceeded`` when ``value`` is over the limit ``name``."""
    limit = getattr(current(), name)
    if value > limit:
        raise LimitExceeded(name, value, limit, what)


def expansion_budget(compressed_bytes: int) -> int:
    """Bytes an archive of ``compressed_bytes`` may decompress to in all: ``expansion_ratio``
    times them, at least ``expansion_floor_bytes``, at most ``archive_bytes``."""
    limits = current()
    return min(max(limits.expansion_ratio * compressed_bytes, limits.expansion_floor_bytes), limits.archive_bytes)


def check_expansion(decompressed_bytes: int, compressed_bytes: int, what: str) -> None:
    """Raise ``LimitExceeded`` naming the limit that binds when ``decompressed_bytes`` is
    over ``expansion_budget(compressed_bytes)``."""
    limits = current()
    if decompressed_bytes <= expansion_budget(compressed_bytes):
        return
    what = f"{what}: {compressed_bytes} compressed bytes decompress to {decompressed_bytes} or more"
    if decompressed_bytes > limits.archive_bytes:
        raise LimitExceeded("archive_bytes", decompressed_bytes, limits.archive_bytes, what)
    ratio = -(-decompressed_bytes // max(compressed_bytes, 1))
    raise LimitExceeded("expansion_ratio", ratio, limits.expansion_ratio, what + ", bytes per compressed byte")


@contextlib.contextmanager
def raised(**changes: int) -> Iterator[ReadLimits]:
    """Set limits for the duration of a ``with`` block (through the environment
    variables, so processes started inside it inherit them); yields the limits in force."""
    fields = {field.name for field in dataclasses.fields(ReadLimits)}
    unknown = sorted(set(changes) - fields)
    if unknown:
        raise ValueError(f"no such limit: {unknown}; the limits are {sorted(fields)}")
    saved = {name: os.environ.get(ENV_PREFIX + name.upper()) for name in changes}
    try:
        for name, value in changes.items():
            os.environ[ENV_PREFIX + name.upper()] = str(int(value))
        yield current()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(ENV_PREFIX + name.upper(), None)
            else:
                os.environ[ENV_PREFIX + name.upper()] = value
