"""scripts/compare_run_images.py: two runs' TensorBoard images stacked, and its errors."""

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from repo_files import load_repo_file
from torch.utils.tensorboard import SummaryWriter


@pytest.fixture(scope="module")
def script():
    return load_repo_file("scripts/compare_run_images.py")


def _run(folder, steps, value):
    writer = SummaryWriter(str(folder / "tensorboard"))
    for step in steps:
        writer.add_image(
            "images/silhouettes_rendered_vs_target", torch.full((3, 8, 16), value), step, dataformats="CHW"
        )
    writer.close()
    return str(folder)


def test_stacks_the_last_common_step_of_each_run(script, tmp_path, capsys):
    a = _run(tmp_path / "a", [10, 20, 30], 0.0)
    b = _run(tmp_path / "b", [10, 20], 1.0)
    out = tmp_path / "fig.png"
    script.main([a, b, "--labels", "A", "B", "--scale", "2", "--out", str(out)])
    assert capsys.readouterr().out.strip() == str(out)
    figure = iio.imread(out)
    panel = script.LABEL_HEIGHT + 16 + 4  # label strip, image 8 x 2, gap
    assert figure.shape == (2 * panel, 32, 3)
    first = figure[script.LABEL_HEIGHT : script.LABEL_HEIGHT + 16]
    second = figure[panel + script.LABEL_HEIGHT : panel + script.LABEL_HEIGHT + 16]
    assert np.all(first == 0) and np.all(second == 255)  # run A's black image above run B's white one
    assert figure[: script.LABEL_HEIGHT].min() < 255  # the label is drawn


def test_errors_name_the_run_or_the_option(script, tmp_path):
    a = _run(tmp_path / "a", [10], 0.0)
    with pytest.raises(SystemExit, match="no TensorBoard log"):
        script.main([a, str(tmp_path / "missing"), "--out", str(tmp_path / "x.png")])
    with pytest.raises(SystemExit, match="has no image 'images/input'"):
        script.main([a, "--tag", "images/input", "--out", str(tmp_path / "x.png")])
    with pytest.raises(SystemExit):
        script.main([a, "--labels", "A", "B", "--out", str(tmp_path / "x.png")])
    with pytest.raises(SystemExit):
        script.main([a, "--step", "99", "--out", str(tmp_path / "x.png")])
    assert not (tmp_path / "x.png").exists()
