"""scripts/build_dataset.py on tiny meshes written here: shapes, dtypes, the skip report,
resuming, and the camera convention of the rendered views."""

import os

import numpy as np
import pytest
import torch
from script_helpers import load_script

from softrecon.dataset_builders.primitives import box
from softrecon.datasets import MultiViewDataset
from softrecon.io import save_obj
from softrecon.renderer import RasterSettings, soft_rasterize
from softrecon.renderer.cameras import benchmark_camera
from softrecon.voxel import voxelize

SIZE = 16


def _load_script():
    return load_script("build_dataset")


def _asymmetric_mesh():
    """A big box plus a small one at +x, +y, -z; its bounding box is already [-0.5, 0.5]^3."""
    big_v, big_f = box((-0.2, -0.2, 0.1), (0.6, 0.6, 0.8))  # x, y in [-0.5, 0.1], z in [-0.3, 0.5]
    small_v, small_f = box((0.3, 0.3, -0.3), (0.4, 0.4, 0.4))  # x, y in [0.1, 0.5], z in [-0.5, -0.1]
    return np.concatenate([big_v, small_v]), np.concatenate([big_f, small_f + len(big_v)])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("build")
    meshes = folder / "meshes"
    meshes.mkdir()
    save_obj(str(meshes / "asym.obj"), *_asymmetric_mesh())
    tetra = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    save_obj(
        str(meshes / "tetra.obj"),
        tetra,
        np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]),
        colors=np.eye(4)[:, :3],
    )
    (meshes / "broken.obj").write_text("v 0 0 0\nv 1 0 0\nf 1 2 7\n")
    (meshes / "empty.obj").write_text("# nothing here\nv 0 0 0\n")
    (folder / "splits.txt").write_text("train asym\ntrain broken\ntrain empty\nval tetra\n")
    out = folder / "out"
    args = [
        str(meshes),
        str(out),
        "--class-id",
        "things",
        "--split-file",
        str(folder / "splits.txt"),
        "--image-size",
        str(SIZE),
        "--voxel-resolution",
        "16",
        "--no-progress",
    ]
    return _load_script(), args, out


def test_outputs_and_skip_report(built, capsys):
    script, args, out = built
    assert script.main(args) == 0
    report = capsys.readouterr().out
    assert "skipped 2 objects" in report
    assert "broken" in report and "MeshLoadError" in report and "empty" in report and "no faces" in report
    for fmt in ("npz", "hdf5"):
        train = MultiViewDataset(out, ["things"], "train", fmt)
        assert len(train) == 1 and train.image_size == SIZE and train.voxel_resolution == 16
        assert train.get_object_images_uint8(0).dtype == np.uint8
        assert len(MultiViewDataset(out, ["things"], "val", fmt)) == 1
    assert (out / "things_train_ids.txt").read_text() == "asym\n"
    assert script.main(args + ["--strict"]) == script.EXIT_SKIPPED


def test_rerun_resumes_from_the_cache(built, capsys):
    script, args, out = built
    script.main(args)
    capsys.readouterr()
    cached = [os.path.join(d, f) for d, _, files in os.walk(out / ".work") for f in files if f.endswith(".npz")]
    assert len(cached) == 2
    os.remove(next(p for p in cached if p.endswith("tetra.npz")))  # as if killed before tetra was done
    before = (out / "things_train.h5").stat().st_mtime_ns
    script.main(args)
    assert "(1 from the cache)" in capsys.readouterr().out
    assert (out / "things_train.h5").stat().st_mtime_ns >= before


def test_views_follow_benchmark_camera_and_voxels_follow_convention(built):
    script, args, out = built
    script.main(args)
    dataset = MultiViewDataset(out, ["things"], "train")
    vertices, faces = _asymmetric_mesh()
    settings = RasterSettings(image_size=SIZE, dist_func="hard", aggr_alpha="hard", aggr_rgb="hard")
    for view in (0, 7, 18):
        screen = benchmark_camera(torch.tensor([view]), dtype=torch.float64).project(torch.from_numpy(vertices)[None])
        direct = soft_rasterize(screen[:, torch.from_numpy(faces)].float(), None, settings)[0, 0]
        stored = dataset.get_images(0, [view])[0, 3]
        torch.testing.assert_close(stored, direct, rtol=0, atol=0)
    # By hand, view 0: eye (0, 1.366, -2.366); camera axes x = (1, 0, 0), y = (0, 0.866, 0.5),
    # z = (0, -0.5, 0.866). The point (0.45, 0.45, -0.45) inside the small box has camera
    # coordinates (0.45, 0.165, 2.117), so NDC (0.79, 0.29): column 13, row 5 at 16 x 16.
    # Its mirror image (-0.45, 0.45, -0.45) is empty space, and the ray through column 2,
    # row 5 leaves x > -0.5 while still above the big box: that pixel is background.
    alpha = dataset.get_images(0, [0])[0, 3]
    assert alpha[5, 13] == 1 and alpha[5, 2] == 0
    np.testing.assert_array_equal(dataset.get_voxels(0).numpy(), voxelize(vertices, faces, 16))
