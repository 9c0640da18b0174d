"""Atomic file writes: write to a temporary file in the target folder, then ``os.replace``.

A reader never sees a half-written file: either the old content or the new one. On an
error inside the ``with`` block the temporary file is removed and the target is left
untouched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from typing import IO, Iterable, Iterator, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

_MODES = ("w", "wb")
# errno values that mean "no room for this file": disk full, quota, file size limit.
OUT_OF_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_PROBE_BYTES = 1 << 20  # written past the end of a failed temporary file to ask the OS why


class OutOfSpaceError(OSError):
    """A write failed for want of room (no space left on device, quota exceeded, file
    size limit); ``filename`` is the file that could not be written, which is left as it
    was (the partial temporary file is removed)."""

    def __str__(self) -> str:
        return f"{self.strerror} while writing {self.filename!r}: nothing was written (an existing file is unchanged); free space and rerun"


def out_of_space_errno(error: BaseException, probe_paths: Iterable[str] = ()) -> Optional[int]:
    """The out-of-space errno behind ``error``, or None.

    Looks through the exception chain for an ``OSError`` with one of
    ``OUT_OF_SPACE_ERRNOS``; for an ``OSError`` or ``RuntimeError`` from a library that
    drops the errno (torch.save raises a bare RuntimeError), writes ``_PROBE_BYTES`` past
    the end of each of ``probe_paths`` (temporary files about to be removed): that write
    fails the same way when the disk is full.
    """
    if not isinstance(error, (OSError, RuntimeError)):
        return None
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in OUT_OF_SPACE_ERRNOS:
            return error.errno
        error = error.__cause__ or error.__context__
    for path in probe_paths:
        try:
            fd = os.open(path, os.O_WRONLY)
        except OSError:
            continue
        try:
            os.pwrite(fd, bytes(_PROBE_BYTES), os.fstat(fd).st_size)
        except OSError as probe_error:
            if probe_error.errno in OUT_OF_SPACE_ERRNOS:
                return probe_error.errno
        finally:
            os.close(fd)
    return None


def out_of_space_error(code: int, path: str) -> OutOfSpaceError:
    """The error to raise when ``path`` could not be written for want of room."""
    return OutOfSpaceError(code, os.strerror(code), path)
_DEFAULT_FILE_MODE = 0o666  # what open() would create, before the umask


def _current_umask() -> int:
    """The process umask (os.umask can only be read by setting it, so set it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: PathLike, mode: str = "w", encoding: str = "utf-8") -> Iterator[IO]:
    """Open a temporary file next to ``path``; on a clean exit it replaces ``path``.

    Args:
        path: the file to (over)write; its folder must exist.
        mode: 'w' (text, ``encoding``) or 'wb' (binary).
        encoding: text encoding, used only for mode 'w'.

    Yields:
        The open temporary file object. It is flushed, fsynced and closed before the
        rename.

    Raises:
        ValueError: ``mode`` is not 'w' or 'wb', or the folder of ``path`` does not exist.
        OutOfSpaceError: the disk (or quota, or file size limit) ran out; names ``path``.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"path {path!r}: folder {folder!r} does not exist")
    fd, tmp_path = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        # mkstemp creates the file 0600; give it the permissions a plain open() would.
        os.chmod(tmp_path, _DEFAULT_FILE_MODE & ~_current_umask())
        kwargs = {"encoding": encoding} if mode == "w" else {}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    except BaseException as error:
        code = out_of_space_errno(error, [tmp_path])
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp_path)
        if code is not None:
            raise out_of_space_error(code, path) from error
        raise
