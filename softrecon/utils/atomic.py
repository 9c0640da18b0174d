"""Atomic file writes: write to a temporary file in the target folder, then ``os.replace``.

A reader never sees a half-written file: either the old content or the new one. On an
error inside the ``with`` block the temporary file is removed and the target is left
untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Iterator, Union

PathLike = Union[str, "os.PathLike[str]"]

_MODES = ("w", "wb")
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
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp_path)
        raise
