"""Corrupt compressed data gives an error naming the file (and for HDF5 the object and
view), never a bare zlib.error or HDF5 OSError (docs/PROMISES.md)."""

import os
import zipfile

import numpy as np
import pytest

from softrecon.dataset_builders import write_split
from softrecon.datasets import MultiViewDataset
from softrecon.datasets.npz_io import iter_npz_rows

SIZE = 16


def _dataset(tmp_path, fmt, size=SIZE):
    """Compressible images (flat rectangles), as renders are: deflate then codes them
    with back-references, which a bit flip can break mid-stream (zlib.error)."""
    rng = np.random.default_rng(0)
    images = np.zeros((4, 24, 4, size, size), np.uint8)
    for _ in range(30):
        top, left = rng.integers(0, size - 4, 2)
        images[:, :, :, top : top + 5, left : left + 9] = rng.integers(0, 256, (4, 24, 4, 1, 1), dtype=np.uint8)
    write_split(str(tmp_path), "c0", "train", images, rng.random((4, 8, 8, 8)) > 0.5, formats=(fmt,))


def _flip(path, start, count=16):
    data = bytearray(open(path, "rb").read())
    for k in range(start, start + count):
        data[k] ^= 0xFF
    with open(path, "wb") as handle:
        handle.write(bytes(data))


def _npz_data_offset(path):
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
    with open(path, "rb") as handle:
        handle.seek(info.header_offset + 26)
        name_length, extra_length = np.frombuffer(handle.read(4), "<u2")
    return info.header_offset + 30 + int(name_length) + int(extra_length), info.compress_size


def test_a_bit_flipped_npz_names_the_file(tmp_path):
    """16 flipped bytes at 25 places of the member: some break the CRC, some (before the
    fix: a bare ``zlib.error: Error -3 ... invalid distance too far back``) the stream."""
    _dataset(tmp_path, "npz", size=64)
    path = str(tmp_path / "c0_train_images.npz")
    original = open(path, "rb").read()
    offset, size = _npz_data_offset(path)
    for where in np.linspace(0.02, 0.98, 25):
        with open(path, "wb") as handle:
            handle.write(original)
        _flip(path, offset + int(where * size))
        with pytest.raises(ValueError, match="c0_train_images.npz"):
            MultiViewDataset(str(tmp_path), None, "train", "npz").get_images(0, [0])
        with pytest.raises(ValueError, match="c0_train_images.npz"):
            list(iter_npz_rows(path))


def test_a_corrupt_hdf5_chunk_names_the_file_object_and_view(tmp_path):
    _dataset(tmp_path, "hdf5")
    path = str(tmp_path / "c0_train.h5")
    dataset = MultiViewDataset(str(tmp_path), None, "train", "hdf5")
    chunk = dataset._sources[0]._open()["images"].id.get_chunk_info_by_coord((1, 5, 0, 0, 0))
    dataset._sources[0]._close()
    _flip(path, chunk.byte_offset + chunk.size // 2)
    dataset = MultiViewDataset(str(tmp_path), None, "train", "hdf5")
    assert dataset.get_images(1, [4]).shape == (1, 4, SIZE, SIZE)  # other chunks still read
    with pytest.raises(ValueError, match=r"c0_train.h5.*object 1.*view 5"):
        dataset.get_images(1, [4, 5])
    with pytest.raises(ValueError, match=r"c0_train.h5.*object 1"):
        dataset.get_images(1, list(range(24)))
    assert os.path.isfile(path)
