"""What identifies a dataset folder's content, cheaply: a fingerprint of its files.

A result (a trained run, an evaluation) records the data folder it read and this
fingerprint, so that a folder rebuilt or replaced since, or another folder, is told
apart from the same data moved elsewhere. Reading every byte of a ShapeNet-sized
dataset (gigabytes) at each check would cost minutes; the fingerprint reads each
dataset file's size and its first and last ``SAMPLED_BYTES`` (all of a file up to twice
that). An npz is a zip archive whose last bytes (its central directory) hold the CRC-32
and size of every array it stores, so any change of an npz's arrays changes its
fingerprint; an HDF5 file whose change keeps its size, its first and its last 64 KiB is
taken for unchanged.
"""

from __future__ import annotations

import hashlib
import os
from typing import Optional, Sequence

from .layout import HDF5_SUFFIX, IMAGES_SUFFIX, VOXELS_SUFFIX

SAMPLED_BYTES = 1 << 16  # read from each end of a dataset file
_SUFFIXES = {"npz": (IMAGES_SUFFIX, VOXELS_SUFFIX), "hdf5": (HDF5_SUFFIX,)}


def dataset_files(root: str, class_ids: Optional[Sequence[str]] = None, fmt: str = "auto") -> list:
    """Sorted names of the dataset files in ``root`` (``{class}_{split}`` + a suffix of
    ``fmt``: 'npz', 'hdf5' or 'auto' for both), of ``class_ids`` only when given."""
    suffixes = _SUFFIXES.get(fmt, _SUFFIXES["npz"] + _SUFFIXES["hdf5"])
    names = []
    for name in sorted(os.listdir(root)):
        suffix = next((s for s in suffixes if name.endswith(s)), None)
        if suffix is None:
            continue
        class_id = name[: -len(suffix)].rpartition("_")[0]
        if class_ids is None or class_id in class_ids:
            names.append(name)
    return names


def dataset_fingerprint(root: str, class_ids: Optional[Sequence[str]] = None, fmt: str = "auto") -> Optional[str]:
    """sha256 (hex) of the names, sizes and sampled bytes of the dataset files of
    ``root`` (``dataset_files``); None when ``root`` is not a folder or holds none."""
    if not os.path.isdir(root):
        return None
    names = dataset_files(root, class_ids, fmt)
    if not names:
        return None
    digest = hashlib.sha256()
    for name in names:
        path = os.path.join(root, name)
        size = os.path.getsize(path)
        digest.update(f"{name}\0{size}\0".encode())
        with open(path, "rb") as handle:
            digest.update(handle.read(SAMPLED_BYTES))
            if size > SAMPLED_BYTES:
                handle.seek(max(SAMPLED_BYTES, size - SAMPLED_BYTES))
                digest.update(handle.read(SAMPLED_BYTES))
    return digest.hexdigest()
