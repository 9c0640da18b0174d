"""The demo page's callback and examples, without a browser or Gradio."""

import zipfile

import numpy as np
import pytest
from predict_helpers import box_picture

from softrecon.predict import ImageInputError, load_model
from softrecon.predict.demo import PREVIEW_SIZE, reconstruct_for_page, write_examples


def test_the_callback_gives_the_framed_input_its_mask_the_mesh_and_the_download(tiny_model_file, tmp_path):
    model = load_model(tiny_model_file)
    framed, mask, mesh_path, download, note = reconstruct_for_page(model, box_picture(), 0.1, str(tmp_path))
    assert framed.shape == (PREVIEW_SIZE, PREVIEW_SIZE, 4) and mask.shape == (PREVIEW_SIZE, PREVIEW_SIZE, 3)
    assert mesh_path == download and download.endswith(".obj") and "silhouette IoU" in note
    assert set(np.unique(mask)) == {0, 255}
    with pytest.raises(ImageInputError, match="no picture"):
        reconstruct_for_page(model, None, 0.1, str(tmp_path))


def test_a_colour_model_downloads_a_zip_with_its_material_and_texture(tiny_color_run, tmp_path):
    model = load_model(tiny_color_run[1])
    _, _, mesh_path, download, _ = reconstruct_for_page(model, box_picture(), 0.1, str(tmp_path))
    assert mesh_path.endswith(".obj") and download.endswith(".zip")
    names = sorted(zipfile.ZipFile(download).namelist())
    assert [name.rsplit(".", 1)[1] for name in names] == ["mtl", "obj", "png"]


def test_examples_come_from_the_test_split_or_warn(tiny_model_file, tiny_run, tmp_path):
    model = load_model(tiny_model_file)
    assert len(write_examples(model, str(tmp_path), data_root=tiny_run[0])) == 4
    with pytest.warns(UserWarning, match="no example pictures"):
        assert write_examples(model, str(tmp_path), data_root=str(tmp_path / "nowhere")) == []
