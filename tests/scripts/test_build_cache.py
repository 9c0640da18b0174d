"""build_dataset.py: the object cache follows the mesh content and every option that
changes an object; objects that would come out empty are skipped with the reason
(docs/PROMISES.md)."""

import numpy as np
from script_helpers import load_script

from softrecon.dataset_builders.primitives import box
from softrecon.datasets import MultiViewDataset
from softrecon.io import save_obj

SIZE = 16


def _args(meshes, out, *extra):
    return [
        str(meshes),
        str(out),
        "--class-id",
        "things",
        "--split-fractions",
        "1",
        "0",
        "0",
        "--image-size",
        str(SIZE),
        "--voxel-resolution",
        "8",
        "--formats",
        "npz",
        "--no-progress",
        *extra,
    ]


def _images(out):
    return MultiViewDataset(str(out), ["things"], "train", "npz").get_object_images_uint8(0)


def test_replacing_a_mesh_or_changing_normalize_rebuilds_it(tmp_path, capsys):
    script = load_script("build_dataset")
    meshes, out, fresh = tmp_path / "meshes", tmp_path / "out", tmp_path / "fresh"
    meshes.mkdir()
    save_obj(str(meshes / "model.obj"), *box((0.0, 0.0, 0.0), (0.2, 0.2, 0.2)))  # a small cube...
    assert script.main(_args(meshes, out, "--no-normalize")) == 0
    small = _images(out)
    save_obj(str(meshes / "model.obj"), *box((0.1, 0.0, 0.0), (0.6, 0.2, 0.3)))  # ...replaced by another box
    capsys.readouterr()
    assert script.main(_args(meshes, out, "--no-normalize")) == 0
    assert "(0 from the cache)" in capsys.readouterr().out
    assert script.main(_args(meshes, fresh, "--no-normalize")) == 0
    assert not np.array_equal(_images(out), small)
    assert np.array_equal(_images(out), _images(fresh))  # as a build from scratch
    capsys.readouterr()
    assert script.main(_args(meshes, out)) == 0  # normalized this time: another object
    assert "(0 from the cache)" in capsys.readouterr().out
    assert script.main(_args(meshes, out)) == 0
    assert "(1 from the cache)" in capsys.readouterr().out


def test_an_object_outside_the_unit_box_or_rendering_empty_is_skipped_with_the_reason(tmp_path, capsys):
    script = load_script("build_dataset")
    meshes, out = tmp_path / "meshes", tmp_path / "out"
    meshes.mkdir()
    save_obj(str(meshes / "far.obj"), *box((5.0, 5.0, 5.0), (0.2, 0.2, 0.2)))  # outside the unit box
    save_obj(str(meshes / "fine.obj"), *box((0.0, 0.0, 0.0), (0.4, 0.4, 0.4)))
    assert script.main(_args(meshes, out, "--no-normalize")) == 0
    report = capsys.readouterr().out
    assert "skipped 1 objects" in report and "far" in report and "unit box" in report
    assert (out / "things_train_ids.txt").read_text() == "fine\n"
    assert script.main(_args(meshes, out, "--no-normalize", "--strict")) == script.EXIT_SKIPPED


def test_build_object_refuses_an_object_that_renders_empty():
    import pytest

    from softrecon.dataset_builders.pipeline import BuildOptions, EmptyObjectError, ObjectRecord, build_object

    vertices, faces = box((5.0, 5.0, 5.0), (0.2, 0.2, 0.2))
    with pytest.raises(EmptyObjectError, match="no pixel in any of the 24 views"):
        build_object(ObjectRecord(vertices, faces), BuildOptions(image_size=SIZE, voxel_resolution=8))
