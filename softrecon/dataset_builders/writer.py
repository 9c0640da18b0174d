"""The one writer of the dataset format (``layout.py``): npz pairs and/or HDF5.

``SplitWriter`` streams objects one at a time into temporary files next to the final
ones and renames them into place only when every object has been written (and removes
them on any error), so a killed or failed run never leaves a file that looks finished.
``write_split`` is the whole-array convenience on top of it.

Shape symbols: N objects, S image size, R voxel resolution.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import zipfile
from typing import Dict, Optional, Sequence, Tuple

import h5py
import numpy as np

from softrecon.datasets import layout
from softrecon.utils.atomic import atomic_output_path, out_of_space_errno, out_of_space_error, remove_stale_temporaries

FORMATS = ("npz", "hdf5")
# gzip level of HDF5 chunks and zip deflate level of npz members: the usual trade-off.
COMPRESSION_LEVEL = 4
HDF5_FORMAT_VERSION = 1  # stored as the 'format_version' attribute


def check_formats(formats: Sequence[str]) -> Tuple[str, ...]:
    """Validate a non-empty subset of ``FORMATS``; returns it as a tuple."""
    if isinstance(formats, str):
        formats = (formats,)
    formats = tuple(formats)
    if not formats or any(f not in FORMATS for f in formats) or len(set(formats)) != len(formats):
        raise ValueError(f"formats must be a non-empty subset of {FORMATS}, got {formats!r}")
    return formats


class _GuardedFile(io.RawIOBase):
    """The file HDF5 writes through (h5py's file-object driver), which never lets a write
    fail inside the library: the first ``OSError`` (disk full, quota, I/O error) is
    recorded in ``error`` and every later write is dropped. An HDF5 file whose write
    failed inside libhdf5 crashes the process (SIGSEGV) when it is closed or at exit;
    this way the library finishes cleanly and the writer raises the recorded error."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self._file = open(path, "r+b", buffering=0)
        self.error: Optional[OSError] = None

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer) -> int:
        return self._file.readinto(buffer)

    def write(self, data) -> int:
        size = memoryview(data).nbytes
        if self.error is None:
            try:
                written = self._file.write(data)
                if written == size:
                    return size
                self._file.seek(size - written, 1)
                self.error = OSError(errno.EIO, "short write")
                return size
            except OSError as error:
                self.error = error
        self._file.seek(size, 1)  # dropped: the file is discarded anyway
        return size

    def truncate(self, size: Optional[int] = None) -> int:
        if self.error is None:
            try:
                return self._file.truncate(size)
            except OSError as error:
                self.error = error
        return self.tell() if size is None else size

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._file.close()
        super().close()


class _NpyZipStream:
    """One array written row by row as the single member of an npz (zip) file."""

    def __init__(self, path: str, key: str, shape: Tuple[int, ...], dtype: np.dtype, compress: bool):
        self.path = path
        self._archive = zipfile.ZipFile(
            path,
            "w",
            compression=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED,
            compresslevel=COMPRESSION_LEVEL if compress else None,
            allowZip64=True,
        )
        self._handle = self._archive.open(key + ".npy", "w", force_zip64=True)
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": tuple(shape)}
        np.lib.format.write_array_header_1_0(self._handle, header)  # as np.save: readable everywhere

    def write(self, rows: np.ndarray) -> None:
        self._handle.write(np.ascontiguousarray(rows).tobytes())

    def close(self) -> None:
        self._handle.close()
        self._archive.close()


class SplitWriter:
    """Write one (class, split) object by object in every requested format.

    Usage::

        with SplitWriter(out_dir, "03001627", "train", num_objects=n, image_size=64) as w:
            for images, voxels in objects:  # (24, 4, S, S) uint8, (R, R, R) bool/uint8
                w.append(images, voxels)

    The final files appear only when the block exits cleanly with exactly
    ``num_objects`` objects written; otherwise nothing is left behind.
    """

    def __init__(
        self,
        out_dir,
        class_id: str,
        split: str,
        num_objects: int,
        image_size: int,
        voxel_resolution: int = 32,
        formats: Sequence[str] = FORMATS,
        compress: bool = True,
    ):
        """Args:
        out_dir: existing folder of the dataset.
        class_id, split: names of the files (see ``layout``).
        num_objects: N, the number of objects that will be appended.
        image_size: S; voxel_resolution: R.
        formats: any of ('npz', 'hdf5').
        compress: deflate the npz members (``np.savez_compressed``-like) when True,
            store them (``np.savez``-like, memory-mappable by the reader) when False.
            HDF5 chunks are always gzip-compressed.
        """
        self.out_dir = os.fspath(out_dir)
        if not os.path.isdir(self.out_dir):
            raise ValueError(f"out_dir {self.out_dir!r} is not an existing folder")
        self.class_id = layout.check_class_id(class_id)
        self.split = layout.check_split(split)
        for name, value in (
            ("num_objects", num_objects),
            ("image_size", image_size),
            ("voxel_resolution", voxel_resolution),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, np.integer))
                or value < (0 if name == "num_objects" else 1)
            ):
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.formats = check_formats(formats)
        self.num_objects = int(num_objects)
        self.image_shape = (layout.NUM_VIEWS, layout.NUM_CHANNELS, int(image_size), int(image_size))
        self.voxel_shape = (int(voxel_resolution),) * 3
        self.compress = bool(compress)
        self.count = 0
        self._stack = contextlib.ExitStack()
        self._npz: Dict[str, _NpyZipStream] = {}
        self._h5: Optional[h5py.File] = None
        self._h5_file: Optional[_GuardedFile] = None
        self._open()

    @property
    def final_paths(self) -> Tuple[str, ...]:
        """The files this writer produces."""
        paths = []
        if "npz" in self.formats:
            paths += [
                layout.images_npz_path(self.out_dir, self.class_id, self.split),
                layout.voxels_npz_path(self.out_dir, self.class_id, self.split),
            ]
        if "hdf5" in self.formats:
            paths.append(layout.hdf5_path(self.out_dir, self.class_id, self.split))
        return tuple(paths)

    def _open(self) -> None:
        n = self.num_objects
        remove_stale_temporaries(self.out_dir)  # those of killed writers (never a live one's)
        try:
            if "npz" in self.formats:
                for key, final, shape in (
                    ("images", layout.images_npz_path(self.out_dir, self.class_id, self.split), self.image_shape),
                    ("voxels", layout.voxels_npz_path(self.out_dir, self.class_id, self.split), self.voxel_shape),
                ):
                    tmp = self._stack.enter_context(atomic_output_path(final))
                    self._npz[key] = _NpyZipStream(tmp, key, (n,) + shape, np.uint8, self.compress)
            if "hdf5" in self.formats:
                tmp = self._stack.enter_context(
                    atomic_output_path(layout.hdf5_path(self.out_dir, self.class_id, self.split))
                )
                self._h5_file = _GuardedFile(tmp)
                self._h5 = h5py.File(self._h5_file, "w")
                # One chunk per view of an object (a training pair reads 2 of 24 views;
                # docs/DESIGN.md, "Measured choices") and one per voxel grid.
                image_chunk = (1, 1) + self.image_shape[1:]
                for key, shape, chunk in (
                    (layout.HDF5_IMAGES, self.image_shape, image_chunk),
                    (layout.HDF5_VOXELS, self.voxel_shape, (1,) + self.voxel_shape),
                ):
                    self._h5.create_dataset(
                        key,
                        shape=(n,) + shape,
                        dtype=np.uint8,
                        chunks=chunk if n else None,
                        compression="gzip" if n else None,
                        compression_opts=COMPRESSION_LEVEL if n else None,
                    )
                self._h5.attrs.update(
                    {
                        "class_id": self.class_id,
                        "split": self.split,
                        "num_views": layout.NUM_VIEWS,
                        "format_version": HDF5_FORMAT_VERSION,
                    }
                )
        except BaseException:
            self.abort()
            raise

    def append(self, images, voxels) -> None:
        """Append one object.

        Args:
            images: (24, 4, S, S) uint8 array: RGB + alpha of the 24 benchmark views.
            voxels: (R, R, R) bool or 0/1 array in the ground-truth convention.
        """
        images = np.asarray(images)
        voxels = np.asarray(voxels)
        if images.shape != self.image_shape or images.dtype != np.uint8:
            raise ValueError(f"images must be uint8 of shape {self.image_shape}, got {images.dtype} {images.shape}")
        if voxels.shape != self.voxel_shape:
            raise ValueError(f"voxels must have shape {self.voxel_shape}, got {voxels.shape}")
        if self.count >= self.num_objects:
            raise ValueError(f"all {self.num_objects} objects were already written")
        voxels = (voxels != 0).astype(np.uint8)
        if "images" in self._npz:
            self._npz["images"].write(images)
            self._npz["voxels"].write(voxels)
        if self._h5 is not None:
            self._h5[layout.HDF5_IMAGES][self.count] = images
            self._h5[layout.HDF5_VOXELS][self.count] = voxels
            self._raise_h5_error()
        self.count += 1

    def _raise_h5_error(self) -> None:
        if self._h5_file is not None and self._h5_file.error is not None:
            raise self._h5_file.error

    def close(self) -> Tuple[str, ...]:
        """Finish: check the object count and move the files into place. Returns them.

        Raises:
            OutOfSpaceError: the disk filled up (names the file; nothing is left behind).
        """
        if self.count != self.num_objects:
            self.abort()
            raise ValueError(
                f"SplitWriter for {self.class_id}_{self.split}: {self.count} of {self.num_objects} objects written"
            )
        try:
            for stream in self._npz.values():
                stream.close()
            if self._h5 is not None:
                self._h5.close()  # HDF5 writes most of the file here (its chunk cache)
                self._h5 = None
                self._raise_h5_error()
                self._h5_file.close()
                self._h5_file = None
        except Exception as error:
            self._fail(error)
            raise
        self._stack.close()  # renames every temporary file into place
        return self.final_paths

    def _fail(self, error: BaseException) -> None:
        """After a failed write: discard everything; raise ``OutOfSpaceError`` naming the
        file when the disk (or quota, or size limit) ran out."""
        temporaries = [stream.path for stream in self._npz.values()] + ([self._h5_file.path] if self._h5_file else [])
        code = out_of_space_errno(error, temporaries)
        self.abort()
        if code is not None:
            raise out_of_space_error(code, ", ".join(self.final_paths)) from error

    def abort(self) -> None:
        """Discard everything written; no final file is created or changed."""
        for stream in self._npz.values():
            with contextlib.suppress(Exception):
                stream.close()
        if self._h5 is not None:
            with contextlib.suppress(Exception):
                self._h5.close()
            self._h5 = None
        if self._h5_file is not None:
            self._h5_file.close()
            self._h5_file = None
        with contextlib.suppress(_Aborted):
            self._stack.__exit__(_Aborted, _Aborted(), None)

    def __enter__(self) -> "SplitWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        elif isinstance(exc, Exception):
            self._fail(exc)  # an OutOfSpaceError naming the file, or the original error
        else:
            self.abort()


class _Aborted(Exception):
    """Raised into the temporary-file contexts to make them discard their files."""


def write_split(
    out_dir, class_id: str, split: str, images, voxels, formats: Sequence[str] = FORMATS, compress: bool = True
) -> Tuple[str, ...]:
    """Write one (class, split) of the dataset from whole arrays (atomically).

    Args:
        out_dir: existing output folder.
        class_id: e.g. '03001627'; split: e.g. 'train'.
        images: (N, 24, 4, S, S) uint8 array (or array-like, read one object at a time).
        voxels: (N, R, R, R) bool/uint8 array or array-like, ground-truth convention.
        formats: any of ('npz', 'hdf5').
        compress: deflate the npz members (see ``SplitWriter``).

    Returns:
        The paths written.
    """
    if len(images.shape) != 5 or len(voxels.shape) != 4 or images.shape[0] != voxels.shape[0]:
        raise ValueError(
            f"images (N, 24, 4, S, S) and voxels (N, R, R, R) must agree in N, got {images.shape} and {voxels.shape}"
        )
    with SplitWriter(
        out_dir, class_id, split, images.shape[0], images.shape[-1], voxels.shape[-1], formats, compress
    ) as writer:
        for index in range(images.shape[0]):
            writer.append(images[index], voxels[index])
    return writer.final_paths
