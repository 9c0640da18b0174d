"""save_png: the one atomic PNG writer (render, compare-gendr, show-predictions, the
texture atlas, fitting targets, predict's framed input, the reconstruction gallery)."""

import os

import imageio.v3 as iio
import numpy as np
import pytest

from softrecon.utils.png import save_png


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 3), (5, 7, 4)])
def test_save_png_round_trips_and_leaves_no_temporary(tmp_path, shape):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    path = save_png(tmp_path / "a.png", image)
    assert path == str(tmp_path / "a.png")
    assert np.array_equal(iio.imread(path), image)
    assert os.listdir(tmp_path) == ["a.png"]


def test_a_failed_encoding_leaves_the_old_file(tmp_path):
    path = save_png(tmp_path / "a.png", np.zeros((2, 2), np.uint8))
    with pytest.raises(TypeError):
        save_png(path, np.zeros((2, 2), complex))  # no PNG holds complex numbers
    assert np.array_equal(iio.imread(path), np.zeros((2, 2), np.uint8))
    assert os.listdir(tmp_path) == ["a.png"]
