"""Exported model files: plain contents (weights_only), everything needed, same meshes
as the run they came from, bad files named."""

import os

import numpy as np
import pytest
import torch
from predict_helpers import box_picture

import softrecon
from softrecon.predict import ModelFileError, load_model
from softrecon.predict.model_file import FORMAT_VERSION, MODEL_FORMAT


def test_the_file_loads_with_weights_only_and_holds_what_it_promises(tiny_run, tiny_model_file, capsys):
    payload = torch.load(tiny_model_file, weights_only=True)
    assert payload["format"] == MODEL_FORMAT and payload["format_version"] == FORMAT_VERSION
    assert payload["model"]["config"]["template_level"] == 1
    assert all(isinstance(v, torch.Tensor) for v in payload["model"]["weights"].values())
    assert payload["input"]["framed_size"] == 16 and payload["input"]["model_size"] == 16
    assert [c for c, _ in payload["classes"]] == ["c0", "c1"]
    assert payload["provenance"]["softrecon_version"] == softrecon.__version__
    assert payload["provenance"]["iteration"] == 2
    for key in ("training_commit", "export_commit"):
        assert isinstance(payload["provenance"][key], str) and payload["provenance"][key]
    framing = payload["framing"]
    assert "training views" in framing["source"] and 0 < framing["fill"] <= 1
    # The tiny boxes span [lo, hi) with lo in 3..6 and hi in 10..13 of 16 pixels.
    assert 4 / 16 <= framing["fill"] <= 10 / 16
    assert 0.3 < framing["center"][0] < 0.7 and framing["center"][0] == framing["center"][1]


def test_a_model_file_a_checkpoint_and_a_run_folder_give_the_same_mesh(tiny_run, tiny_model_file, tmp_path):
    picture = box_picture()
    meshes = [load_model(path).reconstruct(picture) for path in (tiny_model_file, tiny_run[1])]
    assert isinstance(meshes[0], softrecon.structures.Mesh)
    assert torch.equal(meshes[0].vertices, meshes[1].vertices)
    # the model file needs neither the run folder nor the data
    moved = tmp_path / "elsewhere.pt"
    os.replace(tiny_model_file, moved)
    try:
        assert torch.equal(load_model(str(moved)).reconstruct(picture).vertices, meshes[0].vertices)
    finally:
        os.replace(moved, tiny_model_file)


def test_softrecon_exports_load_model_lazily():
    import subprocess
    import sys

    code = "import sys, softrecon; print('torch' in sys.modules, callable(softrecon.load_model))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


def test_bad_model_paths_are_named(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(str(tmp_path / "missing.pt"))
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="junk.pt"):
        load_model(str(junk))
    other = tmp_path / "other.pt"
    torch.save({"format": MODEL_FORMAT, "format_version": FORMAT_VERSION + 1}, other)
    with pytest.raises(ModelFileError, match="update softrecon"):
        load_model(str(other))
    torch.save({"weights": np.zeros(2).tolist()}, other)
    with pytest.raises(ModelFileError, match="other.pt"):
        load_model(str(other))


def test_without_the_training_data_the_framing_is_the_benchmark_cameras(tiny_run, tmp_path):
    from softrecon.predict import protocol_framing
    from softrecon.predict.export import main

    with pytest.warns(UserWarning, match="framing is the benchmark camera"):
        path = main([tiny_run[1], "-o", str(tmp_path / "m.pt"), "--data-root", str(tmp_path / "nowhere")])
    framing = torch.load(path, weights_only=True)["framing"]
    assert framing["fill"] == pytest.approx(protocol_framing().fill) and framing["center"] == [0.5, 0.5]
    assert protocol_framing().fill == pytest.approx(1 / (2 * 2.732 * np.tan(np.radians(15))))
