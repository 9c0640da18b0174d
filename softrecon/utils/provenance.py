"""Where code came from: the git commit of a checkout."""

from __future__ import annotations

import os
import subprocess

UNKNOWN = "unknown"


def git_commit(folder: str) -> str:
    """The commit checked out in ``folder``'s repository (12 hex digits, with '+dirty'
    when tracked files differ from it), or 'unknown' (no git, or not a checkout)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return UNKNOWN


def package_commit() -> str:
    """``git_commit`` of the softrecon source in use (an installed copy: 'unknown')."""
    return git_commit(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
