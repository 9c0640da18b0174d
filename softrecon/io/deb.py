"""Debian packages (.deb) read without dpkg or root: the ``ar`` archive and its
``data.tar.*`` member (gzip, xz, bzip2 or uncompressed, through ``tarfile``).

A .deb is an ``ar`` archive (magic ``!<arch>\\n``, then 60-byte member headers) holding
``debian-binary``, ``control.tar.*`` and ``data.tar.*``; the files of the package are in
the data member.
"""

from __future__ import annotations

import os
import tarfile
from typing import Callable, List, Optional, Tuple

AR_MAGIC = b"!<arch>\n"
_AR_HEADER_SIZE = 60
_AR_NAME, _AR_SIZE = slice(0, 16), slice(48, 58)  # fields of an ar member header
_DATA_MEMBERS = {"data.tar": "r:", "data.tar.gz": "r:gz", "data.tar.xz": "r:xz", "data.tar.bz2": "r:bz2"}


class DebError(ValueError):
    """A .deb that is missing, truncated, not an ar archive or without a readable data member."""

    def __init__(self, path, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def ar_members(path) -> List[Tuple[str, int, int]]:
    """The members of an ar archive: (name, offset of the data, size), in order."""
    path = os.fspath(path)
    try:
        total = os.path.getsize(path)
        handle = open(path, "rb")
    except OSError as error:
        raise DebError(path, f"cannot read the file ({error.strerror or error})") from None
    members = []
    with handle:
        if handle.read(len(AR_MAGIC)) != AR_MAGIC:
            raise DebError(path, "not a Debian package (no ar archive header)")
        offset = len(AR_MAGIC)
        while offset < total:
            header = handle.read(_AR_HEADER_SIZE)
            if len(header) < _AR_HEADER_SIZE:
                raise DebError(path, f"truncated ar member header at byte {offset}")
            name = header[_AR_NAME].decode("ascii", "replace").strip().rstrip("/")
            try:
                size = int(header[_AR_SIZE].decode("ascii").strip())
            except ValueError:
                raise DebError(path, f"bad ar member size at byte {offset}") from None
            start = offset + _AR_HEADER_SIZE
            if start + size > total:
                raise DebError(path, f"member {name!r} is truncated ({size} bytes announced, {total - start} left)")
            members.append((name, start, size))
            offset = start + size + (size % 2)  # members are 2-byte aligned
            handle.seek(offset)
    return members


class _Window:
    """A read-only file object over bytes [start, start + size) of a file."""

    def __init__(self, handle, start: int, size: int):
        self._handle, self._start, self._size, self._pos = handle, start, size, 0

    def read(self, n: int = -1) -> bytes:
        n = self._size - self._pos if n is None or n < 0 else min(n, self._size - self._pos)
        self._handle.seek(self._start + self._pos)
        data = self._handle.read(n)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, min(self._size, base + offset))
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True


def extract_deb(
    path, destination, keep: Optional[Callable[[str], bool]] = None, progress: Optional[Callable[[int], None]] = None
) -> List[str]:
    """Extract the files of a .deb's data member into ``destination``.

    Args:
        path: the .deb file.
        destination: folder (created if missing); files keep their package paths
            (``usr/share/...``).
        keep: optional predicate on the member path (without a leading './'): only those
            files are written. Links and special files are never written.
        progress: optional callback, called with the number of bytes of each file written.

    Returns:
        the package paths written.

    Raises:
        DebError: missing/unreadable/truncated file, no data member, corrupt data.
    """
    path = os.fspath(path)
    members = {name: (start, size) for name, start, size in ar_members(path)}
    found = [name for name in _DATA_MEMBERS if name in members]
    if not found:
        raise DebError(path, f"no data member ({', '.join(_DATA_MEMBERS)}); members: {', '.join(members) or 'none'}")
    start, size = members[found[0]]
    destination = os.path.abspath(os.fspath(destination))
    written = []
    try:
        with (
            open(path, "rb") as handle,
            tarfile.open(fileobj=_Window(handle, start, size), mode=_DATA_MEMBERS[found[0]]) as archive,
        ):
            for info in archive:
                name = info.name[2:] if info.name.startswith("./") else info.name
                if not info.isfile() or (keep is not None and not keep(name)):
                    continue
                target = os.path.abspath(os.path.join(destination, name))
                if not target.startswith(destination + os.sep):
                    raise DebError(path, f"member {info.name!r} points outside the destination")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                source = archive.extractfile(info)
                with open(target, "wb") as out:
                    while True:
                        chunk = source.read(1 << 20)
                        if not chunk:
                            break
                        out.write(chunk)
                written.append(name)
                if progress is not None:
                    progress(info.size)
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        if isinstance(error, DebError):
            raise
        raise DebError(path, f"corrupt data member {found[0]} ({type(error).__name__}: {error})") from None
    return written
