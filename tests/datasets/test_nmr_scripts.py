"""scripts/convert_nmr_to_hdf5.py and scripts/fetch_nmr.py on small generated files."""

import hashlib
import importlib.util
import os
import zipfile

import numpy as np
import pytest
import torch

from softrecon.datasets import MultiViewDataset, hdf5_path, images_npz_path, voxels_npz_path

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _script(name):
    return importlib.import_module(f"softrecon.cli.{name}")


def _nmr_like(folder, class_id, split, n, seed, compressed):
    rng = np.random.default_rng(seed)
    images = (rng.integers(0, 4, size=(n, 24, 4, 64, 64)) * 80).astype(np.uint8)
    voxels = rng.random((n, 32, 32, 32)) < 0.3
    save = np.savez_compressed if compressed else np.savez
    save(images_npz_path(folder, class_id, split), images)
    save(voxels_npz_path(folder, class_id, split), voxels)


def test_convert_streams_npz_into_equal_hdf5(tmp_path):
    _nmr_like(tmp_path, "02958343", "train", 3, 0, compressed=False)
    _nmr_like(tmp_path, "02958343", "val", 2, 1, compressed=True)
    _nmr_like(tmp_path, "03636649", "val", 1, 2, compressed=True)
    convert = _script("convert_nmr_to_hdf5")
    assert convert.main([str(tmp_path), "--no-progress"]) == 0
    assert all(
        os.path.isfile(hdf5_path(tmp_path, c, s))
        for c, s in (("02958343", "train"), ("02958343", "val"), ("03636649", "val"))
    )
    for split in ("train", "val"):
        npz = MultiViewDataset(tmp_path, split=split, fmt="npz")
        h5 = MultiViewDataset(tmp_path, split=split, fmt="hdf5")
        assert npz.class_ids == h5.class_ids and len(npz) == len(h5)
        for obj in range(len(npz)):
            assert torch.equal(npz.get_images(obj, range(24)), h5.get_images(obj, range(24)))
            assert torch.equal(npz.get_voxels(obj), h5.get_voxels(obj))
    stamp = os.path.getmtime(hdf5_path(tmp_path, "03636649", "val"))
    assert convert.main([str(tmp_path), "--no-progress"]) == 0  # existing outputs are skipped
    assert os.path.getmtime(hdf5_path(tmp_path, "03636649", "val")) == stamp


def test_convert_reports_a_missing_voxels_file(tmp_path):
    _nmr_like(tmp_path, "02958343", "test", 1, 0, compressed=True)
    os.remove(voxels_npz_path(tmp_path, "02958343", "test"))
    with pytest.raises(FileNotFoundError, match="02958343_test_voxels.npz"):
        _script("convert_nmr_to_hdf5").main([str(tmp_path), "--no-progress"])
    assert not os.path.exists(hdf5_path(tmp_path, "02958343", "test"))


def test_fetch_verifies_md5_and_extracts(tmp_path):
    source = tmp_path / "upstream.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("dataset/02691156_val_images.npz", b"payload")
    md5 = hashlib.md5(source.read_bytes()).hexdigest()
    fetch = _script("fetch_nmr")
    out = tmp_path / "out"
    assert (
        fetch.main(["file://" + str(source), "--output", str(out), "--md5", "0" * 32, "--no-progress"])
        == fetch.EXIT_BAD_CHECKSUM
    )
    assert os.listdir(out) == []  # nothing half-downloaded is left
    assert fetch.main([str(source), "--output", str(out), "--md5", md5, "--no-progress"]) == 0
    assert (out / "mesh_reconstruction_dataset" / "dataset" / "02691156_val_images.npz").read_bytes() == b"payload"
    assert (out / fetch.ARCHIVE_NAME).is_file()
