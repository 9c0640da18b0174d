"""Tiny trained runs for the image-to-mesh tests: the training tests' tiny dataset (boxes
at 16 x 16) and a two-step run on it, a silhouette model and a colour model."""

import pathlib

import numpy as np
import tiny_runs

COLOR = {"model.palette_size": 4, "loss.color": 1.0, "renderer.aggr_rgb": "softmax"}


def train_tiny_run(folder: pathlib.Path, color: bool = False) -> tuple:
    """(data root, run folder): a 2-step run on the tiny dataset."""
    from softrecon.config import compose_config
    from softrecon.training import train

    (folder / "data").mkdir()
    root = tiny_runs.write_tiny_dataset(folder / "data")
    # the tiny dataset has no test split: its val split serves as one
    for path in (folder / "data").glob("*_val_*"):
        (folder / "data" / path.name.replace("_val_", "_test_")).write_bytes(path.read_bytes())
    run = folder / ("color_run" if color else "run")
    train(compose_config("train", tiny_runs.tiny_overrides(root, str(run), iterations=2, **(COLOR if color else {}))))
    return root, str(run)


def box_picture(size=(40, 60), box=(20, 10, 50, 30), background=None, color=(200, 40, 40)) -> np.ndarray:
    """An (H, W, 4) uint8 RGBA picture of a coloured box (left, top, right, bottom), the
    rest transparent, or (H, W, 3) RGB on ``background``."""
    height, width = size
    left, top, right, bottom = box
    if background is None:
        image = np.zeros((height, width, 4), np.uint8)
        image[top:bottom, left:right] = (*color, 255)
    else:
        image = np.empty((height, width, 3), np.uint8)
        image[:] = background
        image[top:bottom, left:right] = color
    return image
