"""Lazy readers of the multi-view dataset (npz pairs or HDF5, see ``layout.py``).

Nothing is converted to float until a sample is asked for, and only that sample:
- npz: headers are read on open; the arrays are memory-mapped when stored
  uncompressed (written by ``np.savez``), else loaded as uint8 on first use (memory:
  the file's uint8 arrays for that class).
- HDF5: each process opens its own read-only handle on first use (handles are not
  pickled), so DataLoader workers and DDP ranks are safe.

Shape symbols: N objects, K views asked for, S image size, R voxel resolution.
"""

from __future__ import annotations

import bisect
import contextlib
import os
from typing import Dict, List, Optional, Sequence

import h5py
import numpy as np
import torch

from . import layout
from .npz_io import inspect_npz, load_npz_array

READER_FORMATS = ("auto", "npz", "hdf5")
PIXEL_SCALE = 255.0  # uint8 -> [0, 1]


class _NpzSource:
    """One (class, split) stored as an images npz and a voxels npz."""

    def __init__(self, images_path: str, voxels_path: str):
        self.images_info = inspect_npz(images_path)
        self.voxels_info = inspect_npz(voxels_path)
        self.num_objects, self.image_size = layout.check_images_shape(
            self.images_info.shape, self.images_info.dtype, images_path
        )
        num_voxels, self.resolution = layout.check_voxels_shape(
            self.voxels_info.shape, self.voxels_info.dtype, voxels_path
        )
        if num_voxels != self.num_objects:
            raise ValueError(f"{voxels_path}: {num_voxels} objects, but {images_path} has {self.num_objects}")
        self._images = None
        self._voxels = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_images"] = state["_voxels"] = None  # reopened (mapped) in the new process
        return state

    def images(self, index: int, views: np.ndarray) -> np.ndarray:
        if self._images is None:
            self._images = load_npz_array(self.images_info)
        return np.asarray(self._images[index][views])

    def voxels(self, index: int) -> np.ndarray:
        if self._voxels is None:
            self._voxels = load_npz_array(self.voxels_info)
        return np.asarray(self._voxels[index])


class _HDF5Source:
    """One (class, split) stored as one HDF5 file; opened lazily once per process."""

    def __init__(self, path: str):
        self.path = path
        self._file = None
        self._pid = None
        self._datasets = None  # (images, voxels) h5py datasets of the open file
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no such file")
        self._open()
        try:
            images, voxels = self._datasets
            self.num_objects, self.image_size = layout.check_images_shape(images.shape, images.dtype, path)
            num_voxels, self.resolution = layout.check_voxels_shape(voxels.shape, voxels.dtype, path)
            if num_voxels != self.num_objects:
                raise ValueError(f"{path}: {num_voxels} voxel grids for {self.num_objects} image sets")
            if self.num_objects:
                images[-1], voxels[-1]  # noqa: B018 (touch the last chunk: catches truncation now)
        except (OSError, KeyError) as error:
            raise ValueError(f"{path}: unreadable HDF5 content ({type(error).__name__}: {error})") from None
        finally:
            self._close()

    def _open(self) -> h5py.File:
        if self._file is None or self._pid != os.getpid():
            try:
                self._file = h5py.File(self.path, "r")
            except OSError as error:
                raise ValueError(f"{self.path}: not a readable HDF5 file ({error})") from None
            self._pid = os.getpid()
            found = [self._file.get(key) for key in (layout.HDF5_IMAGES, layout.HDF5_VOXELS)]
            if not all(isinstance(d, h5py.Dataset) for d in found):
                self._close()
                raise ValueError(f"{self.path}: needs datasets {layout.HDF5_IMAGES!r} and {layout.HDF5_VOXELS!r}")
            self._datasets = tuple(found)
        return self._file

    def _close(self) -> None:
        if self._file is not None and self._pid == os.getpid():
            self._file.close()
        self._file = self._datasets = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_file"] = state["_pid"] = state["_datasets"] = None
        return state

    def images(self, index: int, views: np.ndarray) -> np.ndarray:
        self._open()
        images = self._datasets[0]
        if len(views) == images.shape[1] and (views == np.arange(len(views))).all():
            with self._naming_errors(f"object {index}, views 0-{len(views) - 1}"):
                return images[index]
        # One integer read per view: h5py's list selections are slower (docs/DESIGN.md, "Measured choices").
        out = []
        for view in views:
            with self._naming_errors(f"object {index}, view {int(view)}"):
                out.append(images[index, int(view)])
        return np.stack(out)

    def voxels(self, index: int) -> np.ndarray:
        self._open()
        with self._naming_errors(f"object {index}, voxels"):
            return self._datasets[1][index]

    @contextlib.contextmanager
    def _naming_errors(self, what: str):
        """A failed read (corrupt chunk, I/O error) -> ValueError naming file and object."""
        try:
            yield
        except (OSError, RuntimeError) as error:
            raise ValueError(f"{self.path}: cannot read {what} (object index within this file): {error}") from None


def _open_source(root: str, class_id: str, split: str, fmt: str):
    h5 = layout.hdf5_path(root, class_id, split)
    images = layout.images_npz_path(root, class_id, split)
    voxels = layout.voxels_npz_path(root, class_id, split)
    if fmt == "hdf5" or (fmt == "auto" and os.path.isfile(h5)):
        return _HDF5Source(h5)
    if fmt == "auto" and not os.path.isfile(images):
        raise FileNotFoundError(f"class {class_id!r} split {split!r}: neither {h5} nor {images} exists")
    return _NpzSource(images, voxels)


class MultiViewDataset:
    """All objects of some classes of one split; objects are numbered class after class.

    Attributes:
        root: the dataset folder.
        split: e.g. 'train'.
        class_ids: tuple of the class ids, in object order.
        num_views: 24.
        image_size: S.
        voxel_resolution: R.
    """

    num_views = layout.NUM_VIEWS

    def __init__(self, root, class_ids: Optional[Sequence[str]] = None, split: str = "train", fmt: str = "auto"):
        """Args:
        root: folder holding the ``{class}_{split}*`` files.
        class_ids: classes to read (a sequence of ids, or one id); None: every class
            that has files for ``split``.
        split: 'train', 'val', 'test' (or any split name written).
        fmt: 'auto' (HDF5 where present, else npz), 'npz' or 'hdf5'.

        Raises:
            FileNotFoundError: ``root`` or a class's files are missing (message names them).
            ValueError: a file is unreadable or has the wrong shapes (message names it).
        """
        self.root = os.fspath(root)
        if fmt not in READER_FORMATS:
            raise ValueError(f"fmt must be one of {READER_FORMATS}, got {fmt!r}")
        self.split = layout.check_split(split)
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"{self.root}: dataset folder does not exist")
        if class_ids is None:
            class_ids = layout.find_class_ids(self.root, self.split, fmt)
            if not class_ids:
                raise FileNotFoundError(f"{self.root}: no dataset files for split {self.split!r} (format {fmt!r})")
        elif isinstance(class_ids, str):
            class_ids = (class_ids,)
        self.class_ids = tuple(layout.check_class_id(c) for c in class_ids)
        if not self.class_ids or len(set(self.class_ids)) != len(self.class_ids):
            raise ValueError(f"class_ids must be non-empty and without repeats, got {class_ids!r}")
        self._sources = [_open_source(self.root, c, self.split, fmt) for c in self.class_ids]
        sizes = {s.image_size for s in self._sources}
        resolutions = {s.resolution for s in self._sources}
        if len(sizes) != 1 or len(resolutions) != 1:
            raise ValueError(
                f"{self.root}: classes disagree in image size {sorted(sizes)} or voxel resolution {sorted(resolutions)}"
            )
        self.image_size = sizes.pop()
        self.voxel_resolution = resolutions.pop()
        self._starts: List[int] = list(np.cumsum([0] + [s.num_objects for s in self._sources[:-1]]).tolist())
        self._length = sum(s.num_objects for s in self._sources)

    def __len__(self) -> int:
        return self._length

    def _locate(self, obj_index: int):
        if isinstance(obj_index, torch.Tensor):
            obj_index = int(obj_index)
        if (
            isinstance(obj_index, bool)
            or not isinstance(obj_index, (int, np.integer))
            or not 0 <= obj_index < self._length
        ):
            raise ValueError(f"obj_index must be an int in [0, {self._length}), got {obj_index!r}")
        which = bisect.bisect_right(self._starts, int(obj_index)) - 1
        while self._sources[which].num_objects == 0:  # skip empty classes
            which += 1
        return which, int(obj_index) - self._starts[which]

    def class_id_of(self, obj_index: int) -> str:
        """The class id of object ``obj_index``."""
        return self.class_ids[self._locate(obj_index)[0]]

    def class_index_of(self, obj_index: int) -> int:
        """The position of object ``obj_index``'s class in ``class_ids``."""
        return self._locate(obj_index)[0]

    def object_range(self, class_id: str) -> range:
        """The object indices of one class."""
        if class_id not in self.class_ids:
            raise ValueError(f"class_id must be one of {self.class_ids}, got {class_id!r}")
        which = self.class_ids.index(class_id)
        return range(self._starts[which], self._starts[which] + self._sources[which].num_objects)

    def get_object_images_uint8(self, obj_index: int, view_indices=None) -> np.ndarray:
        """Views of one object as stored: (K, 4, S, S) uint8 numpy array (all 24 views
        when ``view_indices`` is None)."""
        which, local = self._locate(obj_index)
        views = np.arange(self.num_views) if view_indices is None else self._check_views(view_indices)
        return self._sources[which].images(local, views)

    def _check_views(self, view_indices) -> np.ndarray:
        views = np.atleast_1d(
            np.asarray(view_indices.cpu() if isinstance(view_indices, torch.Tensor) else view_indices)
        )
        if (
            views.ndim != 1
            or not np.issubdtype(views.dtype, np.integer)
            or ((views < 0) | (views >= self.num_views)).any()
        ):
            raise ValueError(f"view_indices must be ints in [0, {self.num_views}), got {view_indices!r}")
        return views

    def get_images(self, obj_index: int, view_indices) -> torch.Tensor:
        """Some views of one object.

        Args:
            obj_index: object number in [0, len(self)).
            view_indices: int or sequence / (K,) tensor of view numbers in [0, 24).

        Returns:
            (K, 4, S, S) float32 tensor in [0, 1] (RGB then alpha); K = 1 for an int.
        """
        images = self.get_object_images_uint8(obj_index, view_indices)
        return torch.from_numpy(images.astype(np.float32) / np.float32(PIXEL_SCALE))

    def get_voxels(self, obj_index: int) -> torch.Tensor:
        """(R, R, R) bool tensor: ground-truth occupancy of one object (docs/METHOD.md section 7)."""
        which, local = self._locate(obj_index)
        return torch.from_numpy(self._sources[which].voxels(local) != 0)

    def __getitem__(self, obj_index: int) -> Dict[str, object]:
        """One object: dict(images (24, 4, S, S) float32, voxels (R, R, R) bool,
        object_index int, class_index int)."""
        return {
            "images": self.get_images(obj_index, np.arange(self.num_views)),
            "voxels": self.get_voxels(obj_index),
            "object_index": int(obj_index),
            "class_index": self.class_index_of(obj_index),
        }

    def __repr__(self) -> str:
        return f"MultiViewDataset(root={self.root!r}, split={self.split!r}, classes={len(self.class_ids)}, objects={len(self)}, S={self.image_size}, R={self.voxel_resolution})"
