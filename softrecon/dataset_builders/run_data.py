"""The data a run needs, made before it opens it: the entry points' one call.

``train.py`` and ``eval.py`` (and the console commands) call ``ensure_run_data(cfg.data)``
before training or evaluating: with ``data.synthetic`` the embedded synthetic dataset is
built into ``data.root`` if it is not there. Concurrent callers (the ranks of a DDP job)
are safe: the build holds a file lock, the others wait for it and then find it complete.
"""

from __future__ import annotations

import os
import warnings

from .synthetic import LOCK_NAME, MARKER_NAME, WORK_DIR_NAME, ensure_default_dataset, is_complete


def ensure_run_data(data_cfg) -> str:
    """Make the dataset ``data_cfg`` names if the project can make it (the synthetic one),
    with a warning naming the folder; return its absolute root.

    Raises:
        ValueError: ``data.synthetic`` and ``data.root`` holds other files (a mistyped
            ``data.root``, or ``data.synthetic=true`` left on for a real dataset).
    """
    root = os.path.abspath(os.path.expanduser(str(data_cfg.root)))
    if data_cfg.synthetic:
        _check_synthetic_root(root, str(data_cfg.root))
        ensure_default_dataset(root)
    return root


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
