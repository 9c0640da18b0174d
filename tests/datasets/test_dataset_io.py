"""Writer and readers on small files of the real shapes and dtypes: uint8
(N, 24, 4, 64, 64) images and (N, 32, 32, 32) voxels."""

import os
import zipfile

import h5py
import numpy as np
import pytest
import torch

from softrecon.dataset_builders import SplitWriter, write_split
from softrecon.datasets import MultiViewDataset, hdf5_path, images_npz_path, voxels_npz_path
from softrecon.datasets.npz_io import inspect_npz, iter_npz_rows, load_npz_array

N, S, R = 3, 64, 32


def _arrays(seed, n=N):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 24, 4, S, S), dtype=np.uint8)
    voxels = rng.random((n, R, R, R)) < 0.2
    return images, voxels


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nmr")
    for seed, class_id in enumerate(("02691156", "03001627")):
        write_split(folder, class_id, "train", *_arrays(seed))
    # A third class as the real NMR files are: plain np.savez, other keys, float voxels.
    images, voxels = _arrays(7, n=2)
    np.savez(images_npz_path(folder, "04379243", "train"), arr_0=images)
    np.savez(voxels_npz_path(folder, "04379243", "train"), whatever=voxels.astype(np.float32))
    return str(folder)


def test_npz_and_hdf5_readers_return_the_written_samples(root):
    expected = [_arrays(0), _arrays(1)]
    datasets = [MultiViewDataset(root, ["02691156", "03001627"], "train", fmt) for fmt in ("npz", "hdf5")]
    for dataset in datasets:
        assert (
            len(dataset) == 2 * N
            and dataset.image_size == S
            and dataset.voxel_resolution == R
            and dataset.num_views == 24
        )
        for obj in range(len(dataset)):
            images, voxels = expected[obj // N]
            got = dataset.get_images(obj, [5, 0, 23])
            assert got.dtype == torch.float32 and got.shape == (3, 4, S, S)
            torch.testing.assert_close(got, torch.from_numpy(images[obj % N][[5, 0, 23]]).float() / 255, rtol=0, atol=0)
            got_voxels = dataset.get_voxels(obj)
            assert got_voxels.dtype == torch.bool
            np.testing.assert_array_equal(got_voxels.numpy(), voxels[obj % N])
            assert dataset.class_id_of(obj) == ("02691156", "03001627")[obj // N]
    assert list(datasets[0].object_range("03001627")) == [3, 4, 5]


def test_discovery_first_array_any_key_and_memmap(root):
    dataset = MultiViewDataset(root, split="train", fmt="npz")
    assert dataset.class_ids == ("02691156", "03001627", "04379243")
    assert MultiViewDataset(root, split="train", fmt="hdf5").class_ids == ("02691156", "03001627")
    images, voxels = _arrays(7, n=2)
    np.testing.assert_array_equal(dataset.get_object_images_uint8(7), images[1])
    np.testing.assert_array_equal(dataset.get_voxels(6).numpy(), voxels[0])
    # Plain np.savez members are stored, so the reader maps them instead of loading.
    assert isinstance(load_npz_array(inspect_npz(images_npz_path(root, "04379243", "train"))), np.memmap)
    auto = MultiViewDataset(root, split="train")  # HDF5 where there is one, npz elsewhere
    assert len(auto) == 8


def test_streaming_rows_of_compressed_npz(root):
    path = images_npz_path(root, "02691156", "train")
    rows = list(iter_npz_rows(path))
    assert len(rows) == N
    np.testing.assert_array_equal(np.concatenate(rows), _arrays(0)[0])


def test_missing_class_names_the_file(root):
    with pytest.raises(FileNotFoundError, match="99999999_train"):
        MultiViewDataset(root, ["99999999"], "train")
    with pytest.raises(FileNotFoundError, match=r"99999999_train\.h5"):
        MultiViewDataset(root, ["99999999"], "train", fmt="hdf5")
    with pytest.raises(FileNotFoundError, match="no dataset files"):
        MultiViewDataset(root, split="test")


def _copy_class(root, folder, class_id="02691156"):
    for path in (images_npz_path, voxels_npz_path, hdf5_path):
        with open(path(root, class_id, "train"), "rb") as src, open(path(folder, class_id, "train"), "wb") as dst:
            dst.write(src.read())


def test_truncated_and_corrupt_files_name_the_file(root, tmp_path):
    _copy_class(root, tmp_path)
    for path_of, fmt in ((images_npz_path, "npz"), (hdf5_path, "hdf5")):
        path = path_of(tmp_path, "02691156", "train")
        size = os.path.getsize(path)
        with open(path, "r+b") as handle:
            handle.truncate(size // 2)
        with pytest.raises(ValueError, match=os.path.basename(path)):
            MultiViewDataset(tmp_path, ["02691156"], "train", fmt)
    _copy_class(root, tmp_path)
    with open(voxels_npz_path(tmp_path, "02691156", "train"), "wb") as handle:
        handle.write(b"not a zip file at all")
    with pytest.raises(ValueError, match="02691156_train_voxels.npz"):
        MultiViewDataset(tmp_path, ["02691156"], "train", "npz")


def test_wrong_shapes_name_the_file(tmp_path):
    images, voxels = _arrays(0)
    np.savez(images_npz_path(tmp_path, "a", "train"), images[:, :, :3])  # RGB only
    np.savez(voxels_npz_path(tmp_path, "a", "train"), voxels)
    with pytest.raises(ValueError, match=r"a_train_images\.npz.*shape"):
        MultiViewDataset(tmp_path, ["a"], "train", "npz")
    np.savez(images_npz_path(tmp_path, "b", "train"), images)
    np.savez(voxels_npz_path(tmp_path, "b", "train"), voxels[:2])  # N disagrees
    with pytest.raises(ValueError, match=r"b_train_voxels\.npz"):
        MultiViewDataset(tmp_path, ["b"], "train", "npz")
    with h5py.File(hdf5_path(tmp_path, "c", "train"), "w") as handle:
        handle["images"] = images.astype(np.float32)
        handle["voxels"] = voxels
    with pytest.raises(ValueError, match=r"c_train\.h5.*uint8"):
        MultiViewDataset(tmp_path, ["c"], "train", "hdf5")
    with h5py.File(hdf5_path(tmp_path, "d", "train"), "w") as handle:
        handle["images"] = images  # no voxels
    with pytest.raises(ValueError, match=r"d_train\.h5.*'voxels'"):
        MultiViewDataset(tmp_path, ["d"], "train", "hdf5")


def test_bad_indices_raise_value_error(root):
    dataset = MultiViewDataset(root, ["02691156"], "train", "hdf5")
    with pytest.raises(ValueError, match="obj_index"):
        dataset.get_images(N, [0])
    with pytest.raises(ValueError, match="view_indices"):
        dataset.get_images(0, [24])


class _FailingImages:
    """Array-like whose second object cannot be read (a producer dying mid-way)."""

    def __init__(self, images):
        self.images = images
        self.shape = images.shape

    def __getitem__(self, index):
        if index == 1:
            raise RuntimeError("disk on fire")
        return self.images[index]


def test_writer_leaves_no_file_on_failure_and_keeps_the_old_one(tmp_path):
    images, voxels = _arrays(0)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_split(tmp_path, "x", "train", _FailingImages(images), voxels)
    assert os.listdir(tmp_path) == []  # neither final nor temporary files
    write_split(tmp_path, "x", "train", images[:1], voxels[:1], formats=("hdf5",))
    before = open(hdf5_path(tmp_path, "x", "train"), "rb").read()
    with pytest.raises(RuntimeError):
        write_split(tmp_path, "x", "train", _FailingImages(images), voxels, formats=("hdf5",))
    assert os.listdir(tmp_path) == ["x_train.h5"]
    assert open(hdf5_path(tmp_path, "x", "train"), "rb").read() == before
    # Too few objects appended: an error, and still no file.
    with pytest.raises(ValueError, match="1 of 2"):
        with SplitWriter(tmp_path, "y", "val", 2, S, R, ("npz",)) as writer:
            writer.append(images[0], voxels[0])
    assert sorted(os.listdir(tmp_path)) == ["x_train.h5"]


def test_writer_uncompressed_npz_is_a_plain_npz(tmp_path):
    images, voxels = _arrays(3, n=2)
    write_split(tmp_path, "u", "test", images, voxels, formats=("npz",), compress=False)
    with zipfile.ZipFile(images_npz_path(tmp_path, "u", "test")) as archive:
        assert [i.compress_type for i in archive.infolist()] == [zipfile.ZIP_STORED]
    with np.load(images_npz_path(tmp_path, "u", "test")) as data:
        np.testing.assert_array_equal(data["images"], images)
    with np.load(voxels_npz_path(tmp_path, "u", "test")) as data:
        assert data["voxels"].dtype == np.uint8
        np.testing.assert_array_equal(data["voxels"], voxels)
    with pytest.raises(ValueError, match="images must be uint8"):
        write_split(tmp_path, "u", "test", images.astype(np.float32), voxels)
