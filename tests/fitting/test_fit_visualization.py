import imageio.v3 as iio
import numpy as np
import pytest
import torch

from softrecon.fitting.visualization import SEPARATOR_PIXELS, make_frame, write_gif


def test_frame_layout_and_values():
    gray = torch.zeros(3, 4, 5)
    gray[1] = 1.0
    rgba = torch.zeros(3, 4, 4, 5)
    rgba[:, 0] = 1.0  # red
    frame = make_frame([gray, rgba], scale=2)
    sep = SEPARATOR_PIXELS
    assert frame.shape == (2 * (8 + sep) + sep, 3 * (10 + sep) + sep, 3) and frame.dtype == np.uint8
    top_middle = frame[sep : sep + 8, 2 * sep + 10 : 2 * sep + 20]
    assert (top_middle == 255).all()  # gray tile 1 is white
    bottom_left = frame[2 * sep + 8 : 2 * sep + 16, sep : sep + 10]
    assert (bottom_left[..., 0] == 255).all() and (bottom_left[..., 1:] == 0).all()


def test_mismatched_rows_are_refused():
    with pytest.raises(ValueError, match=r"rows\[1\]"):
        make_frame([torch.zeros(2, 4, 4), torch.zeros(3, 4, 4)])
    with pytest.raises(ValueError, match="scale"):
        make_frame([torch.zeros(2, 4, 4)], scale=0)


def test_gif_round_trip(tmp_path):
    frames = [make_frame([torch.full((2, 6, 6), value)]) for value in (0.0, 0.5, 1.0)]
    path = tmp_path / "run.gif"
    write_gif(path, frames)
    read = iio.imread(path, index=None)
    assert read.shape[0] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]  # no temporary file left
    with pytest.raises(ValueError, match="frames"):
        write_gif(tmp_path / "empty.gif", [])
