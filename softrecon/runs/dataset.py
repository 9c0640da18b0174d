"""Datasets of a run (training or evaluation), built from the ``data`` config group."""

from __future__ import annotations

import os
import warnings
from typing import Dict, Optional

from softrecon.data import MultiViewDataset
from softrecon.data.build import ensure_default_dataset
from softrecon.data.layout import classes_without_split
from softrecon.data.build.synthetic import LOCK_NAME, MARKER_NAME, WORK_DIR_NAME, is_complete

from .distributed import DistContext, barrier


def build_dataset(data_cfg, split: str, context: DistContext = DistContext()):
    """The ``MultiViewDataset`` of one split.

    With ``data_cfg.synthetic`` the embedded synthetic dataset is first built into
    ``data_cfg.root`` if it is not there (by the main rank alone; the others wait), with
    a warning naming the folder; a folder that holds other files is refused (a
    mistyped ``data.root``, or ``data.synthetic=true`` left on for a real dataset). With
    ``data_cfg.class_ids`` null, classes that have files for other splits but none for
    ``split`` are named in a warning.

    Raises:
        ValueError: ``data.synthetic`` and ``data.root`` holds other files.
        FileNotFoundError: no dataset files (names the folder / file).
    """
    root = os.path.abspath(os.path.expanduser(str(data_cfg.root)))
    if data_cfg.synthetic:
        if context.is_main:
            _check_synthetic_root(root, str(data_cfg.root))
            ensure_default_dataset(root)
        barrier(context)
    class_ids = list(data_cfg.class_ids) if data_cfg.class_ids is not None else None
    dataset = MultiViewDataset(root, class_ids=class_ids, split=split, fmt=data_cfg.fmt)
    if class_ids is None and context.is_main:
        left_out = classes_without_split(root, split, data_cfg.fmt)
        if left_out:
            warnings.warn(
                f"data.root {root!r}: classes {list(left_out)} have files for other splits but none for split {split!r}; "
                f"they are left out (set data.class_ids to make a missing class file an error)"
            )
    return dataset


def checkpoint_dataset(checkpoint: Dict, split: Optional[str] = None, data_root: Optional[str] = None):
    """The ``MultiViewDataset`` a checkpoint's run was trained on (its stored ``data``
    config), on ``split`` (default: the run's ``val_split``), read from ``data_root``
    instead of the stored folder when given (a run trained on another machine)."""
    from omegaconf import OmegaConf

    data_cfg = OmegaConf.create(checkpoint["config"]["data"])
    if data_root:
        data_cfg.root = data_root
    return build_dataset(data_cfg, str(data_cfg.val_split) if split is None else split)


def _check_synthetic_root(root: str, given: str) -> None:
    """Refuse to build the synthetic dataset into a folder holding anything else; warn
    (naming the absolute folder) before building it into a new one."""
    if is_complete(root):
        return
    own = {MARKER_NAME, WORK_DIR_NAME, LOCK_NAME}
    if os.path.isdir(root):
        foreign = sorted(name for name in os.listdir(root) if name not in own and not name.startswith("."))
        built = all(name.endswith((".npz", ".h5", ".txt")) for name in foreign)  # an interrupted build's files
        if foreign and not (built and os.path.isdir(os.path.join(root, WORK_DIR_NAME))):
            raise ValueError(
                f"data.synthetic=true but data.root={given!r} ({root}) holds other files ({', '.join(foreign[:3])}"
                f"{', ...' if len(foreign) > 3 else ''}) and no synthetic dataset: a mistyped data.root, or a real "
                f"dataset (then set data.synthetic=false)?"
            )
    if not os.path.isdir(root) or not os.listdir(root):
        warnings.warn(
            f"data.root={given!r}: no dataset at {root}; building the synthetic dataset there (once; about 32 MB). "
            f"If this is not the folder you meant, stop and fix data.root (a relative root follows the working folder)"
        )
