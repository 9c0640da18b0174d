"""Opening a run's dataset (training or evaluation) from the ``data`` config group.

Opening never builds: the embedded synthetic dataset is made by the entry points
(``softrecon.dataset_builders.run_data.ensure_run_data``) before a run opens it, so
reading a dataset loads neither the renderer, nor the voxelizer, nor the mesh readers."""

from __future__ import annotations

import os
import warnings
from types import SimpleNamespace
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


def _stored_value(data: Dict, key: str, kind, path: str):
    """``data[key]`` of a checkpoint's stored data config, checked to be plain data of
    ``kind`` (a type or tuple of types): never an interpolation (``${...}``, resolved
    against the environment by OmegaConf) nor a home-relative ``~`` path."""
    value = data.get(key)
    if not isinstance(value, kind):
        raise ValueError(
            f"checkpoint {path!r}: stored data.{key} must be {getattr(kind, '__name__', kind)}, got {value!r}"
        )
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, str):
            raise ValueError(f"checkpoint {path!r}: stored data.{key} must hold strings, got {value!r}")
        if "${" in item or item.startswith("~"):
            raise ValueError(
                f"checkpoint {path!r}: stored data.{key} is {value!r}: a stored config is data, never resolved "
                f"against the environment (interpolations, ~); name the dataset folder yourself (--data-root)"
            )
    return value


def checkpoint_dataset(checkpoint: Dict, split: Optional[str] = None, data_root: Optional[str] = None):
    """The ``MultiViewDataset`` a checkpoint's run was trained on (its stored ``data``
    config), on ``split`` (default: the run's ``val_split``), read from ``data_root``
    instead of the stored folder when given (a run trained on another machine).

    The stored config is data written by whoever made the checkpoint: its values are
    used as they are, never resolved (an ``${oc.env:...}`` interpolation or a ``~`` path
    is refused, naming the key), and the dataset is only read, never built or written.

    Raises:
        ValueError: the stored data config is missing, or a value it needs is not plain data.
    """
    path = checkpoint.get("path", "<checkpoint>")
    data = (checkpoint.get("config") or {}).get("data")
    if not isinstance(data, dict):
        raise ValueError(f"checkpoint {path!r} has no stored data config ('config' -> 'data')")
    settings = SimpleNamespace(
        root=data_root if data_root else _stored_value(data, "root", str, path),
        class_ids=None if data.get("class_ids") is None else _stored_value(data, "class_ids", list, path),
        fmt=_stored_value(data, "fmt", str, path) if "fmt" in data else "auto",
    )
    return open_dataset(settings, _stored_value(data, "val_split", str, path) if split is None else split)
