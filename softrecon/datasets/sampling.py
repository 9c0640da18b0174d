"""Training batches of view pairs (as in the paper) and evaluation over every view.

``ViewPairSampler``: batch number k is a pure function of (seed, rank, k): its own
``torch.Generator`` is seeded from those three numbers. So the state is the step
counter alone, a resumed run gets exactly the batches of an uninterrupted one, batches
can be prefetched in threads, and the sampler is a map-style Dataset (index = step)
that a DataLoader with workers can serve::

    loader = DataLoader(sampler, batch_size=None, sampler=range(start_step, num_steps),
                        num_workers=4, pin_memory=True)

Or iterate it directly (``for batch in sampler``), which prefetches in a thread pool.

Shape symbols: B batch, S image size.
"""

from __future__ import annotations

import collections
import concurrent.futures
from typing import Dict, Iterator, Tuple

import numpy as np
import torch

from .dataset import PIXEL_SCALE, MultiViewDataset

# Batches read ahead by a background thread pool when iterating a sampler directly.
DEFAULT_PREFETCH = 2
# How the two views of a pair are drawn: 'distinct' (a != b, uniform over the 24 x 23
# ordered pairs) or 'independent' (a and b uniform and independent, as the SoftRas / NMR
# reference code draws them, so a == b in 1 pair of 24).
VIEW_PAIR_DRAWS = ("distinct", "independent")


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


class ViewPairSampler(torch.utils.data.Dataset):
    """Random objects with two random distinct views each, exactly resumable.

    Each batch: B draws with replacement from this rank's shard (the objects
    ``rank::world_size``): with ``class_balanced`` (default) a uniform class first and
    then a uniform object of that class, as the SoftRas / NMR reference code samples
    (``get_random_batch``), else a uniform object; with ``view_pairs='distinct'``
    (default) views a != b uniform over the 24 x 23 ordered pairs; with 'independent'
    a and b drawn independently as the reference code does (1 pair in 24 then has
    a == b and teaches nothing about other viewpoints).
    """

    def __init__(
        self,
        dataset: MultiViewDataset,
        batch_size: int,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        class_balanced: bool = True,
        prefetch: int = DEFAULT_PREFETCH,
        view_pairs: str = "distinct",
        pin_memory: bool = False,
    ):
        """Args:
        dataset: a ``MultiViewDataset``.
        batch_size: B.
        seed: any int >= 0; with the rank it fixes every batch.
        rank, world_size: this process's shard of the objects (DDP).
        class_balanced: pick the class uniformly first, then the object (see the class
            docstring); False: every object equally likely.
        prefetch: batches read ahead when iterating directly (0: none).
        view_pairs: 'distinct' or 'independent' (``VIEW_PAIR_DRAWS``, class docstring).
        pin_memory: return the batches in page-locked memory (for a CUDA device: the
            prefetch thread pins them, so ``.to(device, non_blocking=True)`` overlaps).
        """
        self.dataset = dataset
        self.batch_size = _check_int("batch_size", batch_size, 1)
        self.seed = _check_int("seed", seed, 0)
        self.world_size = _check_int("world_size", world_size, 1)
        self.rank = _check_int("rank", rank, 0)
        if self.rank >= self.world_size:
            raise ValueError(f"rank must be < world_size = {self.world_size}, got {rank!r}")
        self.prefetch = _check_int("prefetch", prefetch, 0)
        self.pin_memory = bool(pin_memory)
        self.class_balanced = bool(class_balanced)
        if view_pairs not in VIEW_PAIR_DRAWS:
            raise ValueError(f"view_pairs must be one of {VIEW_PAIR_DRAWS}, got {view_pairs!r}")
        self.view_pairs = view_pairs
        self.step = 0  # number of batches consumed through iteration
        shard = np.arange(self.rank, len(dataset), self.world_size)
        if len(shard) == 0:
            raise ValueError(f"rank {self.rank} of {self.world_size} gets no objects of a dataset of {len(dataset)}")
        if self.class_balanced:
            per_class = [shard[np.isin(shard, np.asarray(dataset.object_range(c)))] for c in dataset.class_ids]
            self._class_shards = [torch.from_numpy(s) for s in per_class if len(s)]
        self._shard = torch.from_numpy(shard)

    def _generator(self, step: int) -> torch.Generator:
        seed = int(np.random.SeedSequence([self.seed, self.rank, step]).generate_state(1, dtype=np.uint64)[0])
        return torch.Generator().manual_seed(seed)

    def indices(self, step: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(object_index, view_a, view_b) of batch ``step``, each (B,) long."""
        step = _check_int("step", step, 0)
        generator = self._generator(step)
        size = (self.batch_size,)
        if self.class_balanced:
            classes = torch.randint(len(self._class_shards), size, generator=generator)
            picks = torch.rand(size, generator=generator, dtype=torch.float64)
            objects = torch.stack(
                [
                    self._class_shards[c][min(int(p * len(self._class_shards[c])), len(self._class_shards[c]) - 1)]
                    for c, p in zip(classes.tolist(), picks.tolist())
                ]
            )
        else:
            objects = self._shard[torch.randint(len(self._shard), size, generator=generator)]
        num_views = self.dataset.num_views
        view_a = torch.randint(num_views, size, generator=generator)
        if self.view_pairs == "independent":
            view_b = torch.randint(num_views, size, generator=generator)
        else:
            view_b = (view_a + torch.randint(1, num_views, size, generator=generator)) % num_views  # != view_a
        return objects.long(), view_a, view_b

    def __getitem__(self, step: int) -> Dict[str, torch.Tensor]:
        """Batch number ``step``: dict(images_a (B, 4, S, S) float32 in [0, 1], images_b,
        view_a (B,) long, view_b (B,) long, object_index (B,) long)."""
        objects, view_a, view_b = self.indices(step)
        pairs = np.stack(
            [
                self.dataset.get_object_images_uint8(obj, [a, b])
                for obj, a, b in zip(objects.tolist(), view_a.tolist(), view_b.tolist())
            ]
        )  # (B, 2, 4, S, S) uint8
        # Converted as MultiViewDataset.get_images does (numpy: no torch thread pool here).
        images_a = pairs[:, 0].astype(np.float32) / np.float32(PIXEL_SCALE)
        images_b = pairs[:, 1].astype(np.float32) / np.float32(PIXEL_SCALE)
        batch = {
            "images_a": torch.from_numpy(images_a),
            "images_b": torch.from_numpy(images_b),
            "view_a": view_a,
            "view_b": view_b,
            "object_index": objects,
        }
        return {key: value.pin_memory() for key, value in batch.items()} if self.pin_memory else batch

    def __iter__(self) -> Iterator[Dict[str, torch.Tensor]]:
        """Endless batches from ``self.step`` on; ``self.step`` counts those consumed."""
        if self.prefetch == 0:
            while True:
                batch = self[self.step]
                self.step += 1
                yield batch
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pending = collections.deque()
            next_step = self.step
            try:
                while True:
                    while len(pending) <= self.prefetch:
                        pending.append(pool.submit(self.__getitem__, next_step))
                        next_step += 1
                    batch = pending.popleft().result()
                    self.step += 1
                    yield batch
            finally:
                for future in pending:
                    future.cancel()

    def state_dict(self) -> Dict[str, int]:
        """What resumes the sampler: the step counter (and the settings, to check them)."""
        return {
            "step": self.step,
            "seed": self.seed,
            "rank": self.rank,
            "world_size": self.world_size,
            "batch_size": self.batch_size,
            "view_pairs": self.view_pairs,
        }

    def load_state_dict(self, state: Dict[str, int]) -> None:
        """Resume from ``state_dict()``; the settings must match (seed, rank, ...)."""
        for key in ("seed", "rank", "world_size", "batch_size", "view_pairs"):
            if key in state and state[key] != getattr(self, key):
                raise ValueError(
                    f"state[{key!r}] = {state[key]!r} does not match this sampler's {key} = {getattr(self, key)!r}"
                )
        self.step = _check_int("state['step']", state.get("step"), 0)


def iterate_views(
    dataset: MultiViewDataset, batch_size: int, rank: int = 0, world_size: int = 1
) -> Iterator[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Every view of every object (of this rank's shard ``rank::world_size``), in order.

    Each object's images are read once. Yields:
        images (B, 4, S, S) float32 in [0, 1], view_index (B,) long, object_index (B,)
        long, with B = batch_size except for the last batch.
    """
    batch_size = _check_int("batch_size", batch_size, 1)
    world_size = _check_int("world_size", world_size, 1)
    rank = _check_int("rank", rank, 0)
    if rank >= world_size:
        raise ValueError(f"rank must be < world_size = {world_size}, got {rank!r}")
    all_views = np.arange(dataset.num_views)
    images, views, objects, count = [], [], [], 0
    for obj in range(rank, len(dataset), world_size):
        start = 0
        while start < dataset.num_views:
            take = min(batch_size - count, dataset.num_views - start)
            if start == 0:
                object_images = dataset.get_images(obj, all_views)
            images.append(object_images[start : start + take])
            views.append(torch.arange(start, start + take))
            objects.append(torch.full((take,), obj, dtype=torch.long))
            count += take
            start += take
            if count == batch_size:
                yield torch.cat(images), torch.cat(views), torch.cat(objects)
                images, views, objects, count = [], [], [], 0
    if count:
        yield torch.cat(images), torch.cat(views), torch.cat(objects)
