"""The synthetic default dataset on a tiny configuration: deterministic, normalized,
idempotent, and a killed build is redone rather than taken for finished."""

import os

import numpy as np
import pytest
import torch

from softrecon.dataset_builders import SyntheticConfig, ensure_default_dataset
from softrecon.dataset_builders.synthetic import MARKER_NAME, make_object, object_rng
from softrecon.datasets import MultiViewDataset
from softrecon.datasets.classes import SYNTHETIC_CLASS_NAMES

TINY = SyntheticConfig(
    seed=5, classes=("synth-chair", "synth-car"), objects_per_split=(("train", 2), ("val", 1)), image_size=16
)


@pytest.mark.parametrize("class_id", list(SYNTHETIC_CLASS_NAMES))
def test_objects_are_deterministic_and_in_the_unit_box(class_id):
    a = make_object(class_id, object_rng(0, class_id, "train", 3))
    b = make_object(class_id, object_rng(0, class_id, "train", 3))
    c = make_object(class_id, object_rng(0, class_id, "train", 4))
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.face_colors, b.face_colors)
    assert a.vertices.shape != c.vertices.shape or not np.array_equal(a.vertices, c.vertices)
    low, high = a.vertices.min(axis=0), a.vertices.max(axis=0)
    assert (high - low).max() == pytest.approx(1.0) and np.allclose((low + high) / 2, 0.0)
    assert ((a.face_colors >= 0) & (a.face_colors <= 1)).all()
    assert sum(len(f) for _, f in a.parts) == len(a.faces)


def test_tiny_dataset_is_deterministic_idempotent_and_readable(tmp_path):
    roots = [ensure_default_dataset(tmp_path / name, TINY, workers=1, progress=False) for name in ("a", "b")]
    assert os.path.isfile(os.path.join(roots[0], MARKER_NAME))
    assert not os.path.exists(os.path.join(roots[0], ".work"))
    datasets = [MultiViewDataset(root, split="train") for root in roots]
    assert datasets[0].class_ids == ("synth-car", "synth-chair") and len(datasets[0]) == 4
    for obj in range(4):
        assert torch.equal(datasets[0].get_images(obj, range(24)), datasets[1].get_images(obj, range(24)))
        assert torch.equal(datasets[0].get_voxels(obj), datasets[1].get_voxels(obj))
        images = datasets[0].get_object_images_uint8(obj)
        assert set(np.unique(images[:, 3])) == {0, 255}  # exact silhouettes
        assert datasets[0].get_voxels(obj).sum() > 0
    assert len(MultiViewDataset(roots[0], split="val")) == 2
    stamp = os.path.getmtime(os.path.join(roots[0], "synth-car_train.h5"))
    assert ensure_default_dataset(roots[0], TINY, workers=1, progress=False) == roots[0]  # nothing rebuilt
    assert os.path.getmtime(os.path.join(roots[0], "synth-car_train.h5")) == stamp


def test_interrupted_build_is_redone(tmp_path):
    root = ensure_default_dataset(tmp_path, TINY, workers=1, progress=False)
    os.remove(os.path.join(root, MARKER_NAME))  # as if killed before the marker
    os.remove(os.path.join(root, "synth-chair_val.h5"))
    ensure_default_dataset(root, TINY, workers=1, progress=False)
    assert os.path.isfile(os.path.join(root, MARKER_NAME))
    assert len(MultiViewDataset(root, split="val", fmt="hdf5")) == 2


@pytest.mark.slow
def test_default_dataset_full_size(tmp_path):
    """The real default configuration (1000 objects; about a minute with the compiled
    CPU rasterizer)."""
    root = ensure_default_dataset(tmp_path, progress=False)
    default = SyntheticConfig()
    for split, count in default.objects_per_split:
        dataset = MultiViewDataset(root, split=split)
        assert len(dataset) == count * len(default.classes) and dataset.image_size == 64
    total = sum(os.path.getsize(os.path.join(root, name)) for name in os.listdir(root))
    assert total < 60 * 2**20  # tens of MB
