"""The error raised for any mesh file that cannot be loaded."""

from __future__ import annotations

import os


class MeshLoadError(ValueError):
    """A mesh file is missing, unreadable, malformed or invalid; the message names it."""

    def __init__(self, path, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
