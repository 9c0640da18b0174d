"""scripts/reconstruct.py: one mesh per picture, the framed input beside it, a summary,
bad pictures named and skipped, OUT printed last; the colour model's textured OBJ."""

import csv
import importlib
import pathlib

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from predict_helpers import box_picture

from softrecon.io import load_mesh
from softrecon.predict import load_model

REPO = pathlib.Path(__file__).resolve().parents[2]


def _script(name):
    """The command behind scripts/<name>.py (its module of softrecon.cli)."""
    return importlib.import_module(f"softrecon.cli.{name}")


@pytest.fixture()
def pictures(tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    iio.imwrite(folder / "a.png", box_picture())
    iio.imwrite(folder / "b.jpg", box_picture(background=(255, 255, 255)))
    iio.imwrite(folder / "c.png", box_picture()[..., 0])  # greyscale: skipped with the reason
    (folder / "notes.txt").write_text("not a picture")
    return folder


def test_a_folder_of_pictures_becomes_meshes(tiny_model_file, pictures, tmp_path, capsys):
    out = tmp_path / "out"
    status = _script("reconstruct").main([tiny_model_file, str(pictures), "-o", str(out), "--batch-size", "1"])
    captured = capsys.readouterr()
    assert status == 1 and captured.out.strip().splitlines()[-1] == str(out)
    assert "c.png" in captured.err and "greyscale" in captured.err
    for stem in ("a", "b"):
        mesh = load_mesh(str(out / f"{stem}.obj"))
        assert mesh.vertices.shape == (1, 42, 3) and mesh.faces.shape == (1, 80, 3)
        framed = iio.imread(out / f"{stem}_input.png")
        assert framed.shape == (16, 16, 4)
    rows = list(csv.DictReader(open(out / "summary.csv")))
    assert [row["name"] for row in rows] == ["a", "b"] and [row["matte"] for row in rows] == ["alpha", "border"]
    assert all(0 <= float(row["silhouette_iou"]) <= 1 and 0 <= int(row["best_view"]) < 24 for row in rows)
    # the command's meshes are the library's
    expected = load_model(tiny_model_file).reconstruct(str(pictures / "a.png")).vertices
    assert torch.allclose(load_mesh(str(out / "a.obj")).vertices, expected, atol=1e-6)


def test_bad_arguments_are_named(tiny_model_file, pictures, tmp_path, capsys):
    main = _script("reconstruct").main
    for arguments, message in (
        ([tiny_model_file, str(tmp_path / "none.png")], "does not exist"),
        ([str(tmp_path / "none.pt"), str(pictures)], "none.pt"),
        ([tiny_model_file, str(pictures), "--batch-size", "0"], "--batch-size"),
        ([tiny_model_file, str(pictures), "--tolerance", "2"], "--tolerance"),
        ([tiny_model_file, str(pictures / "a.png"), str(pictures / "a.png")], "would all write a.obj"),
    ):
        with pytest.raises(SystemExit):
            main([*arguments, "-o", str(tmp_path / "out")])
        assert message in capsys.readouterr().err


def test_the_colour_model_writes_a_textured_obj(tiny_color_run, tmp_path, capsys):
    model_file = _script("export_model").main([tiny_color_run[1], "-o", str(tmp_path / "color.pt")])
    model = load_model(model_file)
    assert model.has_color
    mesh = model.reconstruct(box_picture())
    written = mesh.save_obj(str(tmp_path / "m.obj"))
    assert [pathlib.Path(p).name for p in written] == ["m_texture.png", "m.mtl", "m.obj"]
    assert "map_Kd m_texture.png" in (tmp_path / "m.mtl").read_text()
    loaded = load_mesh(str(tmp_path / "m.obj"), texture_resolution=1)
    assert loaded.color_mode == "texture"
    assert np.allclose(loaded.colors.numpy(), mesh.colors.numpy(), atol=1 / 255 + 1e-6)  # 8-bit round trip
