"""One live run per run folder: an exclusive lock on ``<run>/run.lock``.

The lock is an ``fcntl.flock`` on the file, held for the whole run. The kernel drops
it when the process ends in any way (exit, exception, ``kill -9``), so a folder whose
run was killed is free again at once: a stale lock file never blocks a resume. The file
records who holds the lock (pid, host, start time, command), so that a second run that
finds the folder busy can name the other process.

On a file system without locks (some network mounts) a warning says that two runs in
the folder will not be detected, and the run goes on.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import socket
import sys
import warnings
from typing import Dict, Optional

LOCK_NAME = "run.lock"  # in the run folder


class RunFolderBusy(RuntimeError):
    """Another live process holds the run folder; the message names the folder and it."""


def _describe(info: Dict) -> str:
    parts = [f"pid {info.get('pid', '?')}", f"host {info.get('host', '?')}"]
    if info.get("started"):
        parts.append(f"started {info['started']}")
    if info.get("command"):
        parts.append(f"command {info['command']!r}")
    return ", ".join(parts)


class RunLock:
    """The lock of one run folder. ``acquire()`` then ``release()`` (or a ``with`` block).

    Args:
        folder: the run folder (must exist).
    """

    def __init__(self, folder: str) -> None:
        self.folder = os.path.abspath(folder)
        self.path = os.path.join(self.folder, LOCK_NAME)
        self._fd: Optional[int] = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def holder(self) -> Dict:
        """What the lock file says about its last holder ({} when unreadable)."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def acquire(self) -> "RunLock":
        """Take the lock, or raise at once.

        Raises:
            RunFolderBusy: another live process holds it (named in the message).
        """
        import fcntl

        if self._fd is not None:
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise RunFolderBusy(
                    f"run folder {self.folder!r} is in use by another run ({_describe(self.holder())}); "
                    f"wait for it to finish, or give this run its own folder (paths.run_dir=...)"
                ) from None
            warnings.warn(f"cannot lock {self.path!r} ({error}); a second run in this folder would not be detected")
            return self
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "command": " ".join(sys.argv),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode() + b"\n", 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (closing the file drops it); the file stays, naming the last holder."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()
