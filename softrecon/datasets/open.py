"""Opening a run's dataset (training or evaluation) from the ``data`` config group.

Opening never builds: the embedded synthetic dataset is made by the entry points
(``softrecon.dataset_builders.run_data.ensure_run_data``) before a run opens it, so
reading a dataset loads neither the renderer, nor the voxelizer, nor the mesh readers."""

from __future__ import annotations

import os
import warnings
from typing import Dict, Optional

from .dataset import MultiViewDataset
from .layout import classes_without_split


def open_dataset(data_cfg, split: str, is_main: bool = True):
    """The ``MultiViewDataset`` of one split.

    With ``data_cfg.class_ids`` null, classes that have files for other splits but none
    for ``split`` are named in a warning (by the main process alone: ``is_main``).

    Raises:
        FileNotFoundError: no dataset files (names the folder / file); a synthetic
            dataset is made by ``ensure_run_data`` first, never here.
    """
    root = os.path.abspath(os.path.expanduser(str(data_cfg.root)))
    class_ids = list(data_cfg.class_ids) if data_cfg.class_ids is not None else None
    dataset = MultiViewDataset(root, class_ids=class_ids, split=split, fmt=data_cfg.fmt)
    if class_ids is None and is_main:
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
    return open_dataset(data_cfg, str(data_cfg.val_split) if split is None else split)
