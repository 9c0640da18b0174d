"""View-pair sampling (determinism, exact resume, sharding, DataLoader) and evaluation
iteration over every view."""

import numpy as np
import pytest
import torch

from softrecon.dataset_builders import write_split
from softrecon.datasets import MultiViewDataset, ViewPairSampler, iterate_views

S, R = 8, 4
COUNTS = {"aaa": 5, "bbb": 2}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pairs")
    for k, (class_id, n) in enumerate(COUNTS.items()):
        images = np.zeros((n, 24, 4, S, S), dtype=np.uint8)
        # Pixel values encode (object, view): a batch's images can be checked against its indices.
        images[:] = (np.arange(n)[:, None] * 24 + np.arange(24)[None, :] + 100 * k)[:, :, None, None, None] % 256
        write_split(folder, class_id, "train", images, np.zeros((n, R, R, R), dtype=bool), formats=("hdf5",))
    return MultiViewDataset(folder, split="train")


def _code(dataset, obj):
    k = dataset.class_ids.index(dataset.class_id_of(obj))
    return obj - dataset.object_range(dataset.class_id_of(obj)).start, k


def _take(sampler, count):
    iterator = iter(sampler)
    return [next(iterator) for _ in range(count)]


def test_batches_match_their_indices_and_views_differ(dataset):
    sampler = ViewPairSampler(dataset, batch_size=6, seed=3)
    for batch in _take(sampler, 5):
        assert batch["images_a"].shape == (6, 4, S, S) and batch["images_a"].dtype == torch.float32
        assert (batch["view_a"] != batch["view_b"]).all()
        for i, obj in enumerate(batch["object_index"].tolist()):
            local, k = _code(dataset, obj)
            for key, view in (("images_a", batch["view_a"][i]), ("images_b", batch["view_b"][i])):
                expected = ((local * 24 + int(view) + 100 * k) % 256) / 255
                assert torch.all(batch[key][i] == torch.tensor(expected, dtype=torch.float32))


def test_same_seed_same_batches_other_seed_other_batches(dataset):
    first = [b["object_index"].tolist() + b["view_a"].tolist() for b in _take(ViewPairSampler(dataset, 4, seed=1), 4)]
    again = [
        b["object_index"].tolist() + b["view_a"].tolist()
        for b in _take(ViewPairSampler(dataset, 4, seed=1, prefetch=0), 4)
    ]
    other = [b["object_index"].tolist() + b["view_a"].tolist() for b in _take(ViewPairSampler(dataset, 4, seed=2), 4)]
    assert first == again and first != other


def test_exact_resume(dataset):
    straight = _take(ViewPairSampler(dataset, 5, seed=7), 6)
    sampler = ViewPairSampler(dataset, 5, seed=7)
    head = _take(sampler, 3)
    state = sampler.state_dict()
    assert state["step"] == 3
    resumed = ViewPairSampler(dataset, 5, seed=7)
    resumed.load_state_dict(state)
    for a, b in zip(straight, head + _take(resumed, 3)):
        for key in a:
            assert torch.equal(a[key], b[key])
    with pytest.raises(ValueError, match="seed"):
        ViewPairSampler(dataset, 5, seed=8).load_state_dict(state)


def test_shards_are_disjoint_and_class_balanced_sampling(dataset):
    seen = [set(), set()]
    for rank in (0, 1):
        sampler = ViewPairSampler(dataset, 16, seed=0, rank=rank, world_size=2)
        for step in range(10):
            seen[rank] |= set(sampler.indices(step)[0].tolist())
    assert seen[0] == {0, 2, 4, 6} and seen[1] == {1, 3, 5}
    balanced = ViewPairSampler(dataset, 400, seed=0)  # class first: 'bbb' (2 of 7 objects) gets half
    assert (balanced.indices(0)[0] >= 5).double().mean().item() == pytest.approx(0.5, abs=0.1)
    uniform = ViewPairSampler(dataset, 400, seed=0, class_balanced=False)
    assert (uniform.indices(0)[0] >= 5).double().mean().item() == pytest.approx(2 / 7, abs=0.1)
    with pytest.raises(ValueError, match="rank"):
        ViewPairSampler(dataset, 4, rank=2, world_size=2)


def test_independent_view_pairs_as_the_reference_code(dataset):
    """'independent' draws a and b separately: a == b about 1 time in 24 (2400 pairs:
    100 expected, a 5-sigma band of +-49); 'distinct' never; the draw is part of the
    resume state."""
    independent = ViewPairSampler(dataset, 2400, seed=0, view_pairs="independent")
    _, view_a, view_b = independent.indices(0)
    assert 51 <= int((view_a == view_b).sum()) <= 149
    assert set(view_b.tolist()) == set(range(dataset.num_views))
    _, view_a, view_b = ViewPairSampler(dataset, 2400, seed=0).indices(0)
    assert not (view_a == view_b).any()
    with pytest.raises(ValueError, match="view_pairs"):
        ViewPairSampler(dataset, 4, view_pairs="same")
    with pytest.raises(ValueError, match="view_pairs"):
        ViewPairSampler(dataset, 2400, seed=0).load_state_dict(independent.state_dict())


def test_dataloader_with_workers_gives_the_same_batches(dataset):
    sampler = ViewPairSampler(dataset, 3, seed=5)
    loader = torch.utils.data.DataLoader(sampler, batch_size=None, sampler=range(2, 6), num_workers=2)
    for step, batch in zip(range(2, 6), loader):
        assert torch.equal(batch["images_b"], sampler[step]["images_b"])
        assert torch.equal(batch["object_index"], sampler[step]["object_index"])


def test_iterate_views_covers_every_view_once(dataset):
    pairs = []
    for images, views, objects in iterate_views(dataset, batch_size=10):
        assert images.shape[0] == views.shape[0] == objects.shape[0] <= 10
        for image, view, obj in zip(images, views.tolist(), objects.tolist()):
            torch.testing.assert_close(image, dataset.get_images(obj, [view])[0], rtol=0, atol=0)
            pairs.append((obj, view))
    assert pairs == [(o, v) for o in range(len(dataset)) for v in range(24)]
    sharded = [
        o for r in (0, 1) for _, _, objs in iterate_views(dataset, 7, rank=r, world_size=2) for o in objs.tolist()
    ]
    assert sorted(set(sharded)) == list(range(len(dataset))) and len(sharded) == 24 * len(dataset)
