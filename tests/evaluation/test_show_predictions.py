"""scripts/show_predictions.py on the constant-sphere model of test_evaluate: one row of
four tiles per object, the prediction drawn, bad options named."""

import importlib.util
import pathlib

import imageio.v3 as iio
import numpy as np
import pytest
from test_evaluate import sphere_setup  # noqa: F401  (fixture)

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def show():
    return importlib.import_module("softrecon.cli.show_predictions")


def test_one_row_of_four_tiles_per_object_and_the_prediction_is_drawn(show, sphere_setup, tmp_path, capsys):  # noqa: F811
    root, checkpoint, _ = sphere_setup
    output = tmp_path / "pred.png"
    assert show.main([checkpoint, "--data-root", root, "--per-class", "1", "-o", str(output)]) == str(output)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == str(output) and len(lines) == 3  # two classes, one object each
    image = iio.imread(output)
    tile = show.TILE_SIZE
    assert image.shape == (2 * tile, 4 * tile, 3) and image.dtype == np.uint8
    for row in range(2):
        for column in (1, 3):  # the predicted sphere, at the input view and a quarter turn round
            prediction = image[row * tile : (row + 1) * tile, column * tile : (column + 1) * tile]
            drawn = (prediction < 250).any(axis=2)
            assert 0.05 < drawn.mean() < 0.9, (row, column)


@pytest.mark.parametrize(
    "options, message",
    [(["--per-class", "0"], "--per-class"), (["--view", "24"], "--view"), (["-o", "x.jpg"], "--output")],
)
def test_bad_options_are_named(show, sphere_setup, options, message):  # noqa: F811
    _, checkpoint, _ = sphere_setup
    with pytest.raises(SystemExit, match=message):
        show.main([checkpoint, *options])


def test_checkpoint_dataset_reads_the_runs_data_or_another_folder(sphere_setup, tmp_path):  # noqa: F811
    from softrecon.datasets.open import checkpoint_dataset
    from softrecon.rundir.checkpoint import load_checkpoint

    root, checkpoint_path, _ = sphere_setup
    checkpoint = load_checkpoint(checkpoint_path, map_location="cpu")
    dataset = checkpoint_dataset(checkpoint)  # the stored root, the run's val split
    assert dataset.split == "val" and len(dataset) == 4
    assert len(checkpoint_dataset(checkpoint, "train", root)) == 4
    with pytest.raises(FileNotFoundError):
        checkpoint_dataset(checkpoint, data_root=str(tmp_path))  # an empty folder instead


def test_a_checkpoint_never_chooses_where_files_go(show, sphere_setup, tmp_path, monkeypatch):  # noqa: F811
    """A crafted checkpoint whose stored data config names its folder by an environment
    interpolation (or ~) is refused, naming the key, before anything is read or written;
    the stored value is never resolved. The folder the user names is used instead."""
    import torch

    root, checkpoint_path, _ = sphere_setup
    monkeypatch.setenv("SOFTRECON_CRAFTED_DATA", root)  # resolving it would find a real dataset
    state = torch.load(checkpoint_path, weights_only=True)
    output = tmp_path / "pred.png"
    for key, value in (("root", "${oc.env:SOFTRECON_CRAFTED_DATA}"), ("root", "~"), ("class_ids", ["${oc.env:USER}"])):
        crafted = tmp_path / "crafted.pt"
        config = dict(state["config"], data=dict(state["config"]["data"], **{key: value}))
        torch.save(dict(state, config=config), crafted)
        with pytest.raises(ValueError, match=rf"crafted.pt.*stored data.{key} is .*never resolved.*--data-root"):
            show.main([str(crafted), "--per-class", "1", "-o", str(output)])
        assert not output.exists()
    # the folder named by the user is read; the stored root plays no part
    crafted = tmp_path / "crafted.pt"
    config = dict(state["config"], data=dict(state["config"]["data"], root="${oc.env:SOFTRECON_CRAFTED_DATA}"))
    torch.save(dict(state, config=config), crafted)
    assert show.main([str(crafted), "--data-root", root, "--per-class", "1", "-o", str(output)]) == str(output)
