"""Checkpoint files: atomic writes, the last K kept, lookup of the latest, safe loading.

A checkpoint is a dict of tensors, dicts, lists, numbers and strings only, so it loads
with ``torch.load(weights_only=True)`` (no pickled code runs when reading one).
Files are ``<run>/checkpoints/step_<iteration>.pt``, iteration being the number of
completed optimizer steps, and ``<run>/checkpoints/last.pt``, a hard link to the one
written last (a copy where the file system has no hard links). ``last.pt`` is the truth
about "the latest checkpoint of a run": after a branch from an older checkpoint, the
checkpoints of the abandoned trajectory (higher iterations) are moved aside into
``checkpoints/superseded_<time>/`` (kept, never deleted) by ``set_aside_after``.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import shutil
from typing import Any, Dict, List, Optional

import torch

from softrecon.config.legacy import upgrade_stored_config
from softrecon.utils.atomic import atomic_write, make_temporary, remove_stale_temporaries

CHECKPOINT_DIR = "checkpoints"  # sub-folder of a run folder
CHECKPOINT_PATTERN = re.compile(r"^step_(\d+)\.pt$")
FORMAT_VERSION = 1  # bump when the layout of the dict changes
LAST_NAME = "last.pt"  # always the checkpoint written last in a folder
SUPERSEDED_PREFIX = "superseded_"  # checkpoints/superseded_<time>/: an abandoned trajectory


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable or not one of ours; names the file."""


def checkpoint_name(iteration: int) -> str:
    return f"step_{iteration:09d}.pt"


def list_checkpoints(folder: str) -> List[str]:
    """Checkpoint files in ``folder``, oldest (fewest iterations) first."""
    if not os.path.isdir(folder):
        return []
    found = []
    for name in os.listdir(folder):
        match = CHECKPOINT_PATTERN.match(name)
        if match:
            found.append((int(match.group(1)), os.path.join(folder, name)))
    return [path for _, path in sorted(found)]


def save_checkpoint(folder: str, iteration: int, state: Dict[str, Any], keep: int) -> str:
    """Write ``state`` atomically as ``folder/step_<iteration>.pt``; keep the last ``keep``.

    Returns:
        The path written.
    """
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep!r}")
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(folder)  # those of a run killed while saving (never a live writer's)
    path = os.path.join(folder, checkpoint_name(iteration))
    payload = dict(state, format_version=FORMAT_VERSION, iteration=int(iteration))
    with atomic_write(path, "wb") as handle:
        torch.save(payload, handle)
    _point_last_at(path)
    # Only now, with the new file safely in place, may older ones go.
    for old in list_checkpoints(folder)[:-keep]:
        if old != path:
            with contextlib.suppress(FileNotFoundError):
                os.remove(old)
    return path


def set_aside_after(folder: str, iteration: int) -> List[str]:
    """Move the checkpoints of ``folder`` beyond ``iteration`` into a new
    ``folder/superseded_<time>/`` (a run branched from an older checkpoint: those belong
    to the abandoned trajectory and must not be taken for its latest), and point
    ``last.pt`` at the newest one left (removed if none is left).

    Returns:
        The new paths of the moved files (empty: nothing beyond ``iteration``).
    """
    later = [path for path in list_checkpoints(folder) if _iteration_of(path) > iteration]
    if not later:
        return []
    target = os.path.join(folder, SUPERSEDED_PREFIX + datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S_%f"))
    os.makedirs(target)
    moved = []
    for path in later:
        moved.append(os.path.join(target, os.path.basename(path)))
        os.replace(path, moved[-1])
    left = list_checkpoints(folder)
    if left:
        _point_last_at(left[-1])
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(folder, LAST_NAME))
    return moved


def _iteration_of(path: str) -> int:
    return int(CHECKPOINT_PATTERN.match(os.path.basename(path)).group(1))


def _point_last_at(path: str) -> None:
    """Make ``last.pt`` next to ``path`` the same file, atomically (link, then rename)."""
    folder = os.path.dirname(path)
    fd, temporary = make_temporary(os.path.join(folder, LAST_NAME))
    os.close(fd)
    try:
        os.remove(temporary)  # only its unique name was wanted
        try:
            os.link(path, temporary)
        except OSError:  # no hard links here: a copy
            shutil.copyfile(path, temporary)
        os.replace(temporary, os.path.join(folder, LAST_NAME))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def latest_checkpoint(folder: str) -> Optional[str]:
    """The checkpoint written last in a checkpoints folder, or None if it holds none.

    That is the ``step_*.pt`` that ``last.pt`` is (a hard link), ``last.pt`` itself when
    it is a copy, and without ``last.pt`` the highest iteration.
    """
    found = list_checkpoints(folder)
    last = os.path.join(folder, LAST_NAME)
    if os.path.isfile(last):
        for candidate in reversed(found):
            with contextlib.suppress(OSError):
                if os.path.samefile(candidate, last):
                    return candidate
        return last
    return found[-1] if found else None


def resolve_checkpoint(path: str) -> str:
    """A checkpoint file, or a run folder / checkpoints folder -> its latest checkpoint
    (``latest_checkpoint``)."""
    if os.path.isfile(path):
        return path
    if os.path.isdir(path):
        for folder in (os.path.join(path, CHECKPOINT_DIR), path):
            found = latest_checkpoint(folder)
            if found:
                return found
        raise CheckpointError(f"no checkpoint (step_*.pt) found in folder {path!r}")
    raise CheckpointError(f"checkpoint file {path!r} does not exist")


def run_dir_of(checkpoint_path: str) -> str:
    """The run folder a checkpoint file belongs to (the parent of its checkpoints/ folder)."""
    folder = os.path.dirname(os.path.abspath(checkpoint_path))
    return os.path.dirname(folder) if os.path.basename(folder) == CHECKPOINT_DIR else folder


def load_checkpoint(path: str, map_location: Optional[torch.device] = None) -> Dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``; ``path`` may be a run folder. Its stored
    config is in the current layout (``softrecon.config.legacy``: keys that moved, moved).

    Raises:
        CheckpointError: the file does not exist, cannot be read, or is not a checkpoint.
    """
    path = resolve_checkpoint(path)
    if os.path.getsize(path) == 0:
        raise CheckpointError(
            f"checkpoint {path!r} is empty (0 bytes): its write was interrupted, or it was copied incompletely"
        )
    try:
        state = torch.load(path, map_location=map_location or "cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any reading failure names the file
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "no reason given"
        raise CheckpointError(
            f"cannot read checkpoint {path!r} (not a complete torch checkpoint?): {type(error).__name__}: {reason}"
        ) from None
    if not isinstance(state, dict) or "model" not in state or "iteration" not in state:
        raise CheckpointError(f"{path!r} is not a softrecon training checkpoint (no 'model' and 'iteration' entries)")
    if isinstance(state.get("config"), dict):  # written by an older version: keys that moved, moved
        state["config"] = upgrade_stored_config(state["config"])
    state["path"] = path
    return state


def load_weights(module: torch.nn.Module, weights: Dict[str, torch.Tensor], path: str, what: str = "model") -> None:
    """``module.load_state_dict(weights)`` with an error that names the file and, briefly,
    what does not fit (torch lists every mismatch; a resume with another ``model=``
    preset would print hundreds of lines).

    Raises:
        CheckpointError: missing or unexpected keys, or tensors of another shape.
    """
    if not isinstance(weights, dict):
        raise CheckpointError(f"checkpoint {path!r}: '{what}' is a {type(weights).__name__}, not a dict of tensors")
    expected = module.state_dict()
    missing = [key for key in expected if key not in weights]
    unexpected = [key for key in weights if key not in expected]
    reshaped = [
        f"{key} {tuple(weights[key].shape)} (expected {tuple(value.shape)})"
        for key, value in expected.items()
        if key in weights and hasattr(weights[key], "shape") and tuple(weights[key].shape) != tuple(value.shape)
    ]
    problems = []
    for label, items in (("missing", missing), ("unexpected", unexpected), ("of another shape", reshaped)):
        if items:
            shown = ", ".join(items[:3]) + (f", ... ({len(items)} in all)" if len(items) > 3 else "")
            problems.append(f"{len(items)} {label}: {shown}")
    if problems:
        raise CheckpointError(
            f"checkpoint {path!r}: its {what} weights do not fit the {what} built from the config "
            f"({'; '.join(problems)}). Was it written with other model settings (e.g. model=small vs model=paper)?"
        )
    module.load_state_dict(weights)
