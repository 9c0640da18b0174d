"""Atomic file writes: write to a temporary file in the target folder, then ``os.replace``.

A reader never sees a half-written file: either the old content or the new one. On an
error inside the ``with`` block the temporary file is removed and the target is left
untouched.

Temporary files are named ``.<name>.<host>.<pid>.<random>.tmp`` (``make_temporary``), so
that the ones a killed process left behind can be told apart from the ones a live writer
is filling: ``remove_stale_temporaries`` removes those whose writer is dead (same host,
pid gone) or, from another host or of the older ``.<name>.<random>.tmp`` form, those
untouched for ``STALE_AFTER_S``.

``atomic_write`` yields the open temporary file; ``atomic_output_path`` yields its path,
for writers that open the file themselves (h5py).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import socket
import tempfile
import time
from typing import IO, Iterable, Iterator, List, Optional, Tuple, Union

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


STALE_AFTER_S = 24 * 3600  # a temporary file of unknown or remote writer untouched this long is stale
_HOST_TAG = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"
# .<name>.<host>.<pid>.<random>.tmp (ours) and .<name>.<random>.tmp (older versions' mkstemp)
_TEMPORARY = re.compile(r"^\.(?P<name>.+?)\.(?:(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.)?[A-Za-z0-9_]{8}\.tmp$")


def make_temporary(path: str) -> Tuple[int, str]:
    """Create the temporary file for ``path`` in its folder, with the permissions a plain
    ``open()`` would give. Returns (open fd, temporary path)."""
    folder, name = os.path.split(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(dir=folder, prefix=f".{name}.{_HOST_TAG}.{os.getpid()}.", suffix=".tmp")
    os.chmod(tmp_path, _DEFAULT_FILE_MODE & ~_current_umask())  # mkstemp creates it 0600
    return fd, tmp_path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def remove_stale_temporaries(folder: str, recursive: bool = False, stale_after_s: float = STALE_AFTER_S) -> List[str]:
    """Remove the temporary files of atomic writes in ``folder`` whose writer is gone:
    from this host with a dead pid, or untouched for ``stale_after_s`` (another host's,
    or the older unnamed form). A live writer's file is never touched.

    Returns:
        The paths removed.
    """
    removed = []
    now = time.time()
    for current, subfolders, names in os.walk(folder) if recursive else [(folder, [], _listdir(folder))]:
        for name in names:
            match = _TEMPORARY.match(name)
            if not match:
                continue
            path = os.path.join(current, name)
            if match.group("pid") and match.group("host") == _HOST_TAG:
                stale = not _pid_alive(int(match.group("pid")))
            else:
                try:
                    stale = now - os.path.getmtime(path) > stale_after_s
                except OSError:
                    continue
            if stale:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)
                    removed.append(path)
    return removed


def _listdir(folder: str) -> List[str]:
    try:
        return os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []


@contextlib.contextmanager
def atomic_output_path(path: str) -> Iterator[str]:
    """Yield a temporary path next to ``path``; on a clean exit it replaces ``path``,
    on an error it is removed and ``path`` is left untouched. For writers that need a
    path rather than a file object (h5py)."""
    fd, tmp_path = make_temporary(path)
    os.close(fd)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp_path)
        raise


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
    fd, tmp_path = make_temporary(path)
    try:
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
