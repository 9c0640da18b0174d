"""Opening an input file only when it is a regular file within its size limit (and,
for a file another file names, such as an OBJ's ``mtllib`` or an MTL's ``map_Kd``,
only within a given folder).

A device (``/dev/zero``), a FIFO (which would block the open) or a folder is refused,
and so is a name that leads out of its folder (``../``, an absolute path, a symbolic
link pointing elsewhere). The checks are made on the opened file descriptor, so the
file cannot be swapped for another between the check and the read.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO, Optional

from . import limits
from .errors import MeshLoadError


def is_within(path: str, folder: str) -> bool:
    """True when ``path``, with every symbolic link resolved, lies inside ``folder``."""
    real, root = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([real, root]) == root and real != root


def open_regular(path, limit: str, what: str = "the file", inside: Optional[str] = None) -> BinaryIO:
    """Open a regular file for binary reading after checking it.

    Args:
        path: the file.
        limit: name of the ``softrecon.io.limits.ReadLimits`` field bounding its size.
        what: how messages call the file.
        inside: None, or a folder the file must lie in (symbolic links resolved).

    Returns:
        the open file (the caller closes it); reading it to the end gives at most the
        limit's bytes.

    Raises:
        MeshLoadError: naming ``path``: missing or unreadable, not a regular file, outside
            ``inside``, or larger than the limit.
    """
    path = os.fspath(path)
    if inside is not None and not is_within(path, inside):
        raise MeshLoadError(path, f"{what} lies outside the folder {inside} (only files within it are read)")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    except OSError as error:
        raise MeshLoadError(path, f"cannot read {what} ({error.strerror or error})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MeshLoadError(path, f"{what} is not a regular file")
        limits.check(limit, info.st_size, f"{what} has {info.st_size} bytes")
    except (MeshLoadError, limits.LimitExceeded) as error:
        os.close(fd)
        if isinstance(error, MeshLoadError):
            raise
        raise MeshLoadError(path, str(error)) from None
    except BaseException:
        os.close(fd)
        raise
    if hasattr(os, "O_NONBLOCK"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_regular(path, limit: str, what: str = "the file", inside: Optional[str] = None) -> bytes:
    """The bytes of a checked regular file (``open_regular``), at most its limit's."""
    with open_regular(path, limit, what, inside) as handle:
        cap = getattr(limits.current(), limit)
        data = handle.read(cap + 1)
    if len(data) > cap:  # it grew since the check
        raise MeshLoadError(os.fspath(path), str(limits.LimitExceeded(limit, len(data), cap, f"{what} grew")))
    return data
