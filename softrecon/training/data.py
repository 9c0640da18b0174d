"""Datasets of a run, built from the ``data`` config group."""

from __future__ import annotations

import os

from softrecon.data import MultiViewDataset, ensure_default_dataset

from .distributed import DistContext, barrier


def build_dataset(data_cfg, split: str, context: DistContext = DistContext()):
    """The ``MultiViewDataset`` of one split.

    With ``data_cfg.synthetic`` the embedded synthetic dataset is first built into
    ``data_cfg.root`` if it is not there (by the main rank alone; the others wait).
    """
    root = os.path.abspath(os.path.expanduser(str(data_cfg.root)))
    if data_cfg.synthetic:
        if context.is_main:
            ensure_default_dataset(root)
        barrier(context)
    class_ids = list(data_cfg.class_ids) if data_cfg.class_ids is not None else None
    return MultiViewDataset(root, class_ids=class_ids, split=split, fmt=data_cfg.fmt)
