"""Low-level access to the first array of an .npz file without loading it whole.

``np.load`` of an npz always decompresses the whole member into memory. Here:
- ``inspect_npz`` reads only the .npy header of the file's first member (shape, dtype);
- ``load_npz_array`` memory-maps the member when it is stored uncompressed (the usual
  ``np.savez``), else loads it (uint8 stays uint8, so memory = the file's array size);
- ``iter_npz_rows`` streams a member row by row (first axis), compressed or not, with
  memory of one block of rows: the way to convert a large npz.

Every error names the file: a missing file is FileNotFoundError, anything unreadable
(not a zip, truncated, no array, bad header) is ValueError.
"""

from __future__ import annotations

import dataclasses
import os
import struct
import zipfile
import zlib
from typing import Iterator, Tuple

import numpy as np

# Local file header of a zip member: signature, then fixed fields; the name and extra
# field lengths are the last two 16-bit fields (PKWARE APPNOTE 4.3.7).
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
# Rows read at once when streaming a member.
STREAM_ROWS = 1


@dataclasses.dataclass(frozen=True)
class NpzArrayInfo:
    """Where and what the first array of an npz file is."""

    path: str  # the .npz file
    member: str  # zip member name, e.g. 'images.npy'
    shape: Tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    data_offset: int  # byte offset of the array data in the file; -1 when compressed

    @property
    def key(self) -> str:
        """The array's key as ``np.load`` names it (member name without '.npy')."""
        return self.member[:-4] if self.member.endswith(".npy") else self.member


def _read_npy_header(handle, source: str):
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(handle)
        return np.lib.format.read_array_header_2_0(handle)
    except Exception as error:  # noqa: BLE001 (numpy raises several types here)
        raise ValueError(f"{source}: not a valid .npy array header ({error})") from None


def _first_member(archive: zipfile.ZipFile, path: str) -> zipfile.ZipInfo:
    members = [info for info in archive.infolist() if info.filename.endswith(".npy")]
    if not members:
        raise ValueError(f"{path}: the npz file holds no array")
    return members[0]


def inspect_npz(path) -> NpzArrayInfo:
    """Read the header of the first array of an npz file (no array data is read).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a readable npz (the message names the file).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            info = _first_member(archive, path)
            with archive.open(info) as handle:
                shape, fortran_order, dtype = _read_npy_header(handle, f"{path}:{info.filename}")
            data_offset = -1
            if info.compress_type == zipfile.ZIP_STORED:
                with open(path, "rb") as raw:
                    raw.seek(info.header_offset)
                    fields = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
                    if fields[0] != _LOCAL_HEADER_SIGNATURE:
                        raise ValueError(f"{path}: corrupt zip local header of {info.filename}")
                    raw.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])
                    _read_npy_header(raw, f"{path}:{info.filename}")
                    data_offset = raw.tell()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, struct.error, zlib.error) as error:
        raise ValueError(f"{path}: not a readable npz file ({type(error).__name__}: {error})") from None
    expected = int(np.prod(shape)) * dtype.itemsize
    if data_offset >= 0 and data_offset + expected > os.path.getsize(path):
        raise ValueError(f"{path}: truncated ({info.filename} needs {expected} bytes of data)")
    if data_offset < 0 and info.file_size < expected:
        raise ValueError(
            f"{path}: truncated ({info.filename} holds {info.file_size} bytes, the array needs {expected})"
        )
    return NpzArrayInfo(path, info.filename, tuple(shape), dtype, fortran_order, data_offset)


def load_npz_array(info: NpzArrayInfo) -> np.ndarray:
    """The array described by ``info``: a read-only memmap when the member is stored
    uncompressed (and C-ordered), else the whole array loaded into memory."""
    if info.data_offset >= 0 and not info.fortran_order:
        return np.memmap(info.path, dtype=info.dtype, mode="r", offset=info.data_offset, shape=info.shape)
    try:
        with np.load(info.path) as archive:
            return archive[info.key]
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as error:
        raise ValueError(f"{info.path}: could not read array {info.key!r} ({type(error).__name__}: {error})") from None


def iter_npz_rows(path, rows: int = STREAM_ROWS) -> Iterator[np.ndarray]:
    """Stream the first array of an npz along its first axis, ``rows`` at a time.

    Memory stays at one block of rows whatever the file's size or compression.

    Yields:
        arrays of shape (k, *shape[1:]) with k <= rows, in order.
    """
    info = inspect_npz(path)
    if info.fortran_order:
        raise ValueError(f"{info.path}: Fortran-ordered arrays cannot be streamed by rows")
    row_bytes = int(np.prod(info.shape[1:], dtype=np.int64)) * info.dtype.itemsize
    try:
        with zipfile.ZipFile(info.path) as archive, archive.open(info.member) as handle:
            _read_npy_header(handle, info.path)
            for start in range(0, info.shape[0], rows):
                count = min(rows, info.shape[0] - start)
                data = handle.read(count * row_bytes)
                if len(data) != count * row_bytes:
                    raise ValueError(f"{info.path}: truncated at row {start}")
                yield np.frombuffer(data, dtype=info.dtype).reshape((count,) + info.shape[1:])
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
        raise ValueError(f"{info.path}: could not stream {info.member} ({type(error).__name__}: {error})") from None
