"""The NMR dataset layout: file names, array shapes and their validation (docs/METHOD.md section 6).

Per class and split, either or both of:
- ``{class}_{split}_images.npz``: one array, uint8 (N, 24, 4, S, S): RGB then alpha,
  channels first, the 24 benchmark views (docs/METHOD.md section 5);
- ``{class}_{split}_voxels.npz``: one array (N, R, R, R), occupancy in the
  ground-truth convention (docs/METHOD.md section 7), any dtype (nonzero = occupied);
- ``{class}_{split}.h5``: datasets 'images' and 'voxels' of the same shapes, uint8,
  images chunked one view per chunk, voxels one grid per chunk.

Shape symbols: N objects, S image size, R voxel resolution.
"""

from __future__ import annotations

import os
import re
from typing import Tuple

import numpy as np

from softrecon import protocol

NUM_VIEWS = protocol.NUM_VIEWS  # benchmark views per object (docs/METHOD.md section 5)
NUM_CHANNELS = 4  # RGB + alpha
SPLITS = ("train", "val", "test")
IMAGES_SUFFIX = "_images.npz"
VOXELS_SUFFIX = "_voxels.npz"
HDF5_SUFFIX = ".h5"
HDF5_IMAGES = "images"  # dataset names inside the HDF5 file
HDF5_VOXELS = "voxels"
# Class ids and split names: letters, digits, '-', '.', '_' (no path separators).
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SPLIT_PATTERN = re.compile(r"^[A-Za-z0-9-]+$")  # no '_': it separates class and split


def check_class_id(class_id) -> str:
    """Return ``class_id`` if it is a valid class id string, else raise ValueError."""
    if not isinstance(class_id, str) or not _NAME_PATTERN.match(class_id):
        raise ValueError(f"class_id must be a non-empty string of letters, digits, '.', '_' or '-', got {class_id!r}")
    return class_id


def check_split(split) -> str:
    """Return ``split`` if it is a valid split name (e.g. 'train'), else raise ValueError."""
    if not isinstance(split, str) or not _SPLIT_PATTERN.match(split):
        raise ValueError(f"split must be a non-empty string of letters, digits or '-', got {split!r}")
    return split


def images_npz_path(root, class_id: str, split: str) -> str:
    """Path of ``{class}_{split}_images.npz`` under ``root``."""
    return os.path.join(os.fspath(root), f"{check_class_id(class_id)}_{check_split(split)}{IMAGES_SUFFIX}")


def voxels_npz_path(root, class_id: str, split: str) -> str:
    """Path of ``{class}_{split}_voxels.npz`` under ``root``."""
    return os.path.join(os.fspath(root), f"{check_class_id(class_id)}_{check_split(split)}{VOXELS_SUFFIX}")


def hdf5_path(root, class_id: str, split: str) -> str:
    """Path of ``{class}_{split}.h5`` under ``root``."""
    return os.path.join(os.fspath(root), f"{check_class_id(class_id)}_{check_split(split)}{HDF5_SUFFIX}")


def find_class_ids(root, split: str, fmt: str) -> Tuple[str, ...]:
    """Sorted class ids that have files for ``split`` under ``root`` in format ``fmt``
    ('npz': an images npz; 'hdf5': an .h5; 'auto': either)."""
    split = check_split(split)
    found = set()
    for name in os.listdir(root):
        for suffix, kind in ((f"_{split}{IMAGES_SUFFIX}", "npz"), (f"_{split}{HDF5_SUFFIX}", "hdf5")):
            if fmt in (kind, "auto") and name.endswith(suffix) and _NAME_PATTERN.match(name[: -len(suffix)]):
                found.add(name[: -len(suffix)])
    return tuple(sorted(found))


def classes_without_split(root, split: str, fmt: str) -> Tuple[str, ...]:
    """Sorted class ids that have dataset files for some other split under ``root`` but
    none for ``split`` (a class file missing from a copy, a class too small for a split):
    reading ``split`` with every class found would leave them out without a word."""
    split = check_split(split)
    with_files = {}
    for name in os.listdir(root):
        for suffix, kind in ((IMAGES_SUFFIX, "npz"), (HDF5_SUFFIX, "hdf5")):
            if fmt in (kind, "auto") and name.endswith(suffix) and "_" in name[: -len(suffix)]:
                class_id, _, other = name[: -len(suffix)].rpartition("_")
                if _NAME_PATTERN.match(class_id) and _SPLIT_PATTERN.match(other):
                    with_files.setdefault(class_id, set()).add(other)
    return tuple(sorted(c for c, splits in with_files.items() if split not in splits))


def check_images_shape(shape, dtype, source: str) -> Tuple[int, int]:
    """Validate a (N, 24, 4, S, S) uint8 images array; returns (N, S). ``source`` names the
    file in the error message."""
    shape = tuple(shape)
    if len(shape) != 5 or shape[1:3] != (NUM_VIEWS, NUM_CHANNELS) or shape[3] != shape[4] or shape[3] < 1:
        raise ValueError(f"{source}: images must have shape (N, {NUM_VIEWS}, {NUM_CHANNELS}, S, S), got {shape}")
    if np.dtype(dtype) != np.uint8:
        raise ValueError(f"{source}: images must be uint8, got {np.dtype(dtype)}")
    return shape[0], shape[3]


def check_voxels_shape(shape, dtype, source: str) -> Tuple[int, int]:
    """Validate a (N, R, R, R) occupancy array (bool or numeric); returns (N, R)."""
    shape = tuple(shape)
    if len(shape) != 4 or not (shape[1] == shape[2] == shape[3]) or shape[1] < 1:
        raise ValueError(f"{source}: voxels must have shape (N, R, R, R), got {shape}")
    dtype = np.dtype(dtype)
    if not (dtype == np.bool_ or np.issubdtype(dtype, np.number)):
        raise ValueError(f"{source}: voxels must be bool or numeric, got {dtype}")
    return shape[0], shape[1]
