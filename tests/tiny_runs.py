"""A tiny on-disk dataset and the overrides that make training on it take seconds (the
training, predict and cluster tests' runs): ``from tiny_runs import tiny_overrides``."""

import numpy as np

from softrecon.dataset_builders import write_split
from softrecon.datasets import NUM_VIEWS

TINY_SIZE = 16  # image side
TINY_CLASSES = ("c0", "c1")
TINY_OBJECTS = 3  # per class and split


def write_tiny_dataset(root, seed: int = 0) -> str:
    """Two classes of boxes of random sizes: masks are their rough silhouettes, voxels boxes."""
    rng = np.random.default_rng(seed)
    for class_id in TINY_CLASSES:
        for split in ("train", "val"):
            images = np.zeros((TINY_OBJECTS, NUM_VIEWS, 4, TINY_SIZE, TINY_SIZE), np.uint8)
            voxels = np.zeros((TINY_OBJECTS, 32, 32, 32), bool)
            for k in range(TINY_OBJECTS):
                lo, hi = rng.integers(3, 7), rng.integers(10, 14)
                images[k, :, :3, lo:hi, lo:hi] = rng.integers(0, 256, 3, dtype=np.uint8)[None, :, None, None]
                images[k, :, 3, lo:hi, lo:hi] = 255
                voxels[k, 2 * lo : 2 * hi, 2 * lo : 2 * hi, 2 * lo : 2 * hi] = True
            write_split(str(root), class_id, split, images, voxels, formats=("npz",))
    return str(root)


def tiny_overrides(root: str, run_dir: str, iterations: int = 2, **extra) -> list:
    """Overrides of configs/train.yaml for a seconds-long CPU run on ``write_tiny_dataset``:
    16 x 16 images, a level-1 icosphere (42 vertices), a network of a few thousand weights."""
    values = {
        "data.root": root,
        "data.synthetic": "false",
        "data.image_size": TINY_SIZE,
        "data.batch_size": 2,
        "model.template_level": 1,
        "model.encoder_channels": "[4,8]",
        "model.encoder_fc": "[16]",
        "model.decoder_fc": "[16]",
        "renderer.sigma": "1e-3",
        "trainer.iterations": iterations,
        "trainer.device": "cpu",
        "trainer.val_every": 0,
        "trainer.image_every": 0,
        "trainer.mesh_every": 0,
        "logging": "quiet",
        "paths.run_dir": run_dir,
    }
    values.update(extra)
    return [f"{key}={value}" for key, value in values.items()]
