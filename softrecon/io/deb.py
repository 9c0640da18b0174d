"""Debian packages (.deb) read without dpkg or root: the ``ar`` archive and its
``data.tar.*`` member (gzip, xz, bzip2 or uncompressed, through ``tarfile``).

A .deb is an ``ar`` archive (magic ``!<arch>\\n``, then 60-byte member headers) holding
``debian-binary``, ``control.tar.*`` and ``data.tar.*``; the files of the package are in
the data member.

What a .deb may make the reader do is bounded by what it really holds and by the limits
of ``softrecon.io.limits``: ar member sizes must be plain non-negative decimals within
the file; sparse tar members (which dpkg does not accept either) are refused; the
entries read (``archive_members``), each file written (``member_bytes``), the bytes
written in all (``archive_bytes``) and the position reached in the decompressed data
stream, skipped files and headers included (``expansion_ratio`` times the compressed
size, at least ``expansion_floor_bytes``), are checked before each read or seek, and
extraction stops with a ``DebError`` naming the package and the limit as soon as one
would be passed.
"""

from __future__ import annotations

import os
import tarfile
from typing import Callable, List, Optional, Tuple

from . import limits
from .regular_files import open_regular

AR_MAGIC = b"!<arch>\n"
_AR_HEADER_SIZE = 60
_AR_NAME, _AR_SIZE = slice(0, 16), slice(48, 58)  # fields of an ar member header
_DATA_MEMBERS = ("data.tar", "data.tar.gz", "data.tar.xz", "data.tar.bz2")


class DebError(ValueError):
    """A .deb that is missing, truncated, not an ar archive or without a readable data member."""

    def __init__(self, path, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def ar_members(path) -> List[Tuple[str, int, int]]:
    """The members of an ar archive: (name, offset of the data, size), in order."""
    path = os.fspath(path)
    handle = _open_deb(path)
    total = os.fstat(handle.fileno()).st_size
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
            field = header[_AR_SIZE].decode("ascii", "replace").strip()
            if not field.isascii() or not field.isdigit():  # no sign, no '_', no spaces inside
                raise DebError(path, f"bad ar member size {field!r} at byte {offset}")
            size = int(field)
            start = offset + _AR_HEADER_SIZE
            if start + size > total:
                raise DebError(path, f"member {name!r} is truncated ({size} bytes announced, {total - start} left)")
            members.append((name, start, size))
            offset = start + size + (size % 2)  # members are 2-byte aligned
            handle.seek(offset)
    return members


def _open_deb(path: str):
    from .errors import MeshLoadError

    try:
        return open_regular(path, "archive_bytes", "the package")
    except MeshLoadError as error:
        raise DebError(path, error.reason) from None


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

    def __enter__(self) -> "_Window":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True


class _Bounded:
    """A read-only view of a decompressed stream that refuses to read or seek past
    ``budget`` bytes (``LimitExceeded``), before decompressing them."""

    def __init__(self, inner, compressed: int, what: str):
        self._inner, self._compressed, self._what = inner, compressed, what
        self._budget = limits.expansion_budget(compressed)

    def _check(self, position: int) -> None:
        if position > self._budget:
            limits.check_expansion(position, self._compressed, self._what)

    def read(self, n: int = -1) -> bytes:
        position = self._inner.tell()
        n = self._budget - position + 1 if n is None or n < 0 else n
        self._check(position + n)
        return self._inner.read(n)

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence not in (0, 1):
            raise OSError("only seeks from the start or the current position")
        self._check(offset if whence == 0 else self._inner.tell() + offset)
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True


def _decompressed(name: str, window: _Window):
    """The data member's tar stream: ``window`` decompressed by its extension."""
    if name.endswith(".gz"):
        import gzip

        return gzip.GzipFile(fileobj=window, mode="rb")
    if name.endswith(".xz"):
        import lzma

        return lzma.LZMAFile(window)
    if name.endswith(".bz2"):
        import bz2

        return bz2.BZ2File(window)
    return window


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
        DebError: missing/unreadable/truncated file, no data member, corrupt data, a
            sparse member, a limit passed (``softrecon.io.limits``; files written before
            it stay in ``destination``).
    """
    path = os.fspath(path)
    members = {name: (start, size) for name, start, size in ar_members(path)}
    found = [name for name in _DATA_MEMBERS if name in members]
    if not found:
        raise DebError(path, f"no data member ({', '.join(_DATA_MEMBERS)}); members: {', '.join(members) or 'none'}")
    start, size = members[found[0]]
    destination = os.path.abspath(os.fspath(destination))
    bounds = limits.current()
    written = []
    entries = total_written = 0
    try:
        with _open_deb(path) as handle, _decompressed(found[0], _Window(handle, start, size)) as stream:
            bounded = _Bounded(stream, size, found[0])
            archive = tarfile.open(fileobj=bounded, mode="r:")
            for info in archive:
                entries += 1
                archive.members.clear()  # tarfile keeps every header it reads; nothing here needs them
                if entries > bounds.archive_members:
                    raise limits.LimitExceeded("archive_members", entries, bounds.archive_members, "tar entries")
                if info.issparse():
                    raise DebError(path, f"member {info.name!r} is a sparse file (dpkg does not accept them either)")
                name = info.name[2:] if info.name.startswith("./") else info.name
                if not info.isfile() or (keep is not None and not keep(name)):
                    continue
                if info.size > bounds.member_bytes:
                    raise limits.LimitExceeded("member_bytes", info.size, bounds.member_bytes, f"member {info.name!r}")
                total_written += info.size
                if total_written > bounds.archive_bytes:
                    raise limits.LimitExceeded(
                        "archive_bytes", total_written, bounds.archive_bytes, "bytes extracted in all"
                    )
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
    except limits.LimitExceeded as error:
        raise DebError(path, str(error)) from None
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        if isinstance(error, DebError):
            raise
        raise DebError(path, f"corrupt data member {found[0]} ({type(error).__name__}: {error})") from None
    return written
