"""End-to-end runs of scripts/fit_mesh.py and scripts/fit_pose.py with tiny settings,
and their errors on bad input (in-process through Hydra's compose API where a
subprocess would only add start-up time)."""

import json
import os
import subprocess
import sys

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException

from softrecon.fitting.config import register_configs
from softrecon.fitting.run_shape import run_fit_mesh
from softrecon.io import MeshLoadError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG_DIR = os.path.join(REPO, "configs")
# The smallest settings that still exercise every stage (held-out views, GIF, voxels).
TINY_MESH = [
    "image_size=16",
    "num_views=4",
    "heldout_every=2",
    "template_level=1",
    "steps=3",
    "views_per_step=2",
    "gif_every=1",
    "gif_views=2",
    "voxel_resolution=8",
    "chamfer_points=200",
    "num_threads=1",
    "progress=false",
]
TINY_POSE = [
    "image_size=16",
    "object_level=1",
    "steps=3",
    "num_starts=2",
    "gif_every=1",
    "num_threads=1",
    "progress=false",
]

CUBE_OBJ = """v -1 -1 -1
v 1 -1 -1
v 1 1 -1
v -1 1 -1
v -1 -1 1
v 1 -1 1
v 1 1 1
v -1 1 1
f 1 3 2
f 1 4 3
f 5 6 7
f 5 7 8
f 1 2 6
f 1 6 5
f 4 8 7
f 4 7 3
f 1 5 8
f 1 8 4
f 2 3 7
f 2 7 6
"""


def _run(script, *overrides):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, os.path.join(REPO, "scripts", script), *overrides],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )


@pytest.fixture
def cube(tmp_path):
    path = tmp_path / "cube.obj"
    path.write_text(CUBE_OBJ)
    return path


def test_fit_mesh_end_to_end(tmp_path, cube):
    run_dir = tmp_path / "run"
    done = _run("fit_mesh.py", f"target={cube}", f"hydra.run.dir={run_dir}", *TINY_MESH)
    assert done.returncode == 0, done.stderr
    metrics_path = done.stdout.strip().splitlines()[-1]
    assert metrics_path == str(run_dir / "metrics.json")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    for key in ("heldout_silhouette_iou", "voxel_iou", "chamfer"):
        assert 0.0 <= metrics[key] and 0.0 <= metrics["initial"][key]
    assert metrics["heldout_views"] == [0, 3] and metrics["fit_views"] == [1, 2]
    assert metrics["wall_time_s"] > 0 and metrics["renderer_backend"]
    assert (run_dir / "fitted.obj").is_file() and (run_dir / "fitting.gif").is_file()
    assert not [p for p in os.listdir(run_dir) if p.endswith(".tmp")]


def test_fit_pose_end_to_end(tmp_path):
    run_dir = tmp_path / "run"
    done = _run("fit_pose.py", f"hydra.run.dir={run_dir}", *TINY_POSE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(run_dir / "metrics.json")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert len(metrics["starts"]) == 2 and [s["seed"] for s in metrics["starts"]] == [0, 1]
    assert metrics["starts"][0]["initial_rotation_error_deg"] == pytest.approx(30.0, abs=1e-3)
    assert 0.0 <= metrics["success_rate"] <= 1.0 and metrics["median_rotation_error_deg"] >= 0.0
    assert 0.0 < metrics["occluded_object_fraction"] < 1.0
    assert (run_dir / "pose_fitting.gif").is_file()


def test_missing_mesh_exits_2_naming_the_file(tmp_path):
    run_dir = tmp_path / "run"
    done = _run("fit_mesh.py", f"target={tmp_path / 'nowhere.obj'}", f"hydra.run.dir={run_dir}", *TINY_MESH)
    assert done.returncode == 2
    assert "nowhere.obj" in done.stderr
    assert not (run_dir / "metrics.json").exists()


def test_missing_target_is_named(tmp_path):
    done = _run("fit_mesh.py", f"hydra.run.dir={tmp_path}")
    assert done.returncode == 2
    assert "target" in done.stderr and "Traceback" not in done.stderr


def test_unknown_option_is_refused_by_name(tmp_path, cube):
    done = _run("fit_mesh.py", f"target={cube}", f"hydra.run.dir={tmp_path}", "stpes=3")
    assert done.returncode != 0
    assert "stpes" in done.stderr


@pytest.mark.parametrize("script", ["fit_mesh.py", "fit_pose.py"])
def test_help_explains_the_command(script):
    done = _run(script, "--help")
    assert done.returncode == 0, done.stderr
    for text in ("softrecon-fit", "renderer:", "dist_cdf", "Examples", "metrics.json"):
        assert text in done.stdout, text


@pytest.fixture
def compose_mesh_config():
    """Compose fit_mesh configs in-process; restores torch's thread count afterwards
    (the runs set it from num_threads)."""
    register_configs()
    threads = torch.get_num_threads()

    def make(*overrides):
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            return compose("fit_mesh", overrides=[*TINY_MESH, *overrides])

    yield make
    torch.set_num_threads(threads)


@pytest.mark.parametrize(
    "content, name",
    [
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\n", "nofaces.obj"),
        ("v 0 0 nan\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "nan.obj"),
    ],
)
def test_bad_meshes_are_named_and_nothing_is_written(tmp_path, compose_mesh_config, content, name):
    path = tmp_path / name
    path.write_text(content)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with pytest.raises(MeshLoadError, match=name):
        run_fit_mesh(compose_mesh_config(f"target={path}"), str(run_dir))
    assert list(run_dir.iterdir()) == []


def test_bad_option_values_are_named(tmp_path, compose_mesh_config, cube):
    with pytest.raises(ValueError, match="heldout_every"):
        run_fit_mesh(compose_mesh_config(f"target={cube}", "heldout_every=1"), str(tmp_path))
    with pytest.raises(ValueError, match="num_threads"):
        run_fit_mesh(compose_mesh_config(f"target={cube}", "num_threads=-1"), str(tmp_path))
    with pytest.raises(ValueError, match="cube.obj has none"):
        run_fit_mesh(compose_mesh_config(f"target={cube}", "fit_colors=true"), str(tmp_path))


def test_fit_mesh_with_colors_in_process(tmp_path, compose_mesh_config):
    lines = CUBE_OBJ.splitlines()
    colors = [
        "0.9 0.1 0.1",
        "0.1 0.9 0.1",
        "0.1 0.1 0.9",
        "0.9 0.9 0.1",
        "0.1 0.9 0.9",
        "0.9 0.1 0.9",
        "0.5 0.5 0.5",
        "1 1 1",
    ]
    colored = [f"{line} {colors[i]}" for i, line in enumerate(lines[:8])] + lines[8:]
    path = tmp_path / "coloured_cube.obj"
    path.write_text("\n".join(colored) + "\n")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    metrics_path = run_fit_mesh(compose_mesh_config(f"target={path}", "fit_colors=true"), str(run_dir))
    metrics = json.loads(open(metrics_path).read())
    assert 0.0 <= metrics["heldout_rgb_mse"] and 0.0 <= metrics["initial"]["heldout_rgb_mse"]
    assert len((run_dir / "fitted.obj").read_text().splitlines()[1].split()) == 7  # "v x y z r g b"


def _image_targets(tmp_path, mesh_path, layout="npy"):
    """The tiny run's targets of ``mesh_path`` written as images + cameras (and the
    normalized mesh as a reference), exactly what target=<mesh> renders."""
    from softrecon.fitting.outputs import load_normalized_mesh
    from softrecon.fitting.shape import hard_silhouettes
    from softrecon.fitting.targets import save_image_targets
    from softrecon.fitting.views import orbit_views
    from softrecon.io import save_obj

    vertices, faces, _ = load_normalized_mesh(mesh_path)
    views = orbit_views(4, [30.0, -30.0])
    masks = hard_silhouettes(vertices, faces, views, 16).float()
    rgba = torch.cat([masks[:, None].expand(-1, 3, -1, -1) * 0.5, masks[:, None]], dim=1)
    folder = tmp_path / f"targets_{layout}"
    folder.mkdir()
    images, cameras = save_image_targets(str(folder), rgba, views, layout)
    reference = tmp_path / "reference.obj"
    save_obj(reference, vertices, faces)
    return images, cameras, reference


@pytest.mark.parametrize("layout", ["npy", "png"])
def test_fit_mesh_from_images_equals_fit_from_mesh(tmp_path, compose_mesh_config, cube, layout):
    """images=... cameras=... (SoftRas' demo_deform inputs) holding the masks that
    target=<mesh> renders give the same fit and the same metrics."""
    images, cameras, reference = _image_targets(tmp_path, cube, layout)
    runs = {}
    for name, overrides in (
        ("mesh", [f"target={cube}"]),
        ("images", [f"images={images}", f"cameras={cameras}", f"reference={reference}"]),
    ):
        run_dir = tmp_path / name
        run_dir.mkdir()
        runs[name] = json.loads(open(run_fit_mesh(compose_mesh_config(*overrides), str(run_dir))).read())
        runs[name]["obj"] = (run_dir / "fitted.obj").read_text()
    for key in ("heldout_silhouette_iou", "voxel_iou", "chamfer", "final_loss"):
        assert runs["images"][key] == pytest.approx(runs["mesh"][key], abs=1e-6), key
    assert runs["images"]["obj"] == runs["mesh"]["obj"]
    assert runs["images"]["images"].endswith(os.path.basename(images))


def test_fit_mesh_from_images_without_reference_and_with_colors(tmp_path, compose_mesh_config, cube):
    images, cameras, _ = _image_targets(tmp_path, cube)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    metrics = json.loads(
        open(
            run_fit_mesh(compose_mesh_config(f"images={images}", f"cameras={cameras}", "fit_colors=true"), str(run_dir))
        ).read()
    )
    assert "voxel_iou" not in metrics and 0 <= metrics["heldout_silhouette_iou"] <= 1
    assert metrics["heldout_rgb_mse"] <= metrics["initial"]["heldout_rgb_mse"] + 1e-6


def test_coarse_to_fine_stages(tmp_path, compose_mesh_config, cube):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    metrics = json.loads(
        open(
            run_fit_mesh(compose_mesh_config(f"target={cube}", "subdivisions=2", "refine_steps=2"), str(run_dir))
        ).read()
    )
    assert [s["faces"] for s in metrics["stages"]] == [80, 320, 1280]  # template_level=1: 80 faces
    assert [s["steps"] for s in metrics["stages"]] == [3, 2, 2]
    assert metrics["voxel_iou"] == metrics["stages"][-1]["voxel_iou"]
    assert sum(line.startswith("f ") for line in (run_dir / "fitted.obj").read_text().splitlines()) == 1280
    assert metrics["files"]["stage_meshes"] == ["fitted_stage0.obj", "fitted_stage1.obj"]
    assert sum(line.startswith("f ") for line in (run_dir / "fitted_stage1.obj").read_text().splitlines()) == 320
    with pytest.raises(ValueError, match="max_faces"):
        run_fit_mesh(compose_mesh_config(f"target={cube}", "subdivisions=3", "max_faces=1000"), str(run_dir))


def test_template_option_starts_from_a_mesh(tmp_path, compose_mesh_config, cube):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    metrics = json.loads(
        open(run_fit_mesh(compose_mesh_config(f"target={cube}", f"template={cube}"), str(run_dir))).read()
    )
    assert (
        metrics["stages"][0]["faces"] == 12 and metrics["initial"]["voxel_iou"] > 0.5
    )  # the cube itself, unnormalized


def test_image_target_errors_are_named(tmp_path, compose_mesh_config, cube):
    import numpy as np

    images, cameras, _ = _image_targets(tmp_path, cube)
    with pytest.raises(ValueError, match="either target"):
        run_fit_mesh(compose_mesh_config(f"target={cube}", f"images={images}", f"cameras={cameras}"), str(tmp_path))
    with pytest.raises(ValueError, match="go together"):
        run_fit_mesh(compose_mesh_config(f"images={images}"), str(tmp_path))
    short = tmp_path / "three.npy"
    np.save(short, np.load(cameras)[:3])
    with pytest.raises(ValueError, match="4 images but .*three.npy has 3 cameras"):
        run_fit_mesh(compose_mesh_config(f"images={images}", f"cameras={short}"), str(tmp_path))
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((4, 3, 16, 16), dtype=np.uint8))
    with pytest.raises(ValueError, match="bad.npy.*\\(N, 4, H, W\\)"):
        run_fit_mesh(compose_mesh_config(f"images={bad}", f"cameras={cameras}"), str(tmp_path))
    overhead = tmp_path / "overhead.npy"
    np.save(overhead, np.array([[2.7, 90.0, 0.0]] * 4))
    with pytest.raises(ValueError, match="overhead.npy.*elevation"):
        run_fit_mesh(compose_mesh_config(f"images={images}", f"cameras={overhead}"), str(tmp_path))
    with pytest.raises(ValueError, match="nowhere.json"):
        run_fit_mesh(compose_mesh_config(f"images={images}", f"cameras={tmp_path / 'nowhere.json'}"), str(tmp_path))


def test_make_fit_targets_then_fit_from_them(tmp_path, compose_mesh_config, cube):
    from script_helpers import load_script

    make = load_script("make_fit_targets")
    out = tmp_path / "targets"
    make.main([str(cube), str(out), "--num-views", "4", "--image-size", "16"])
    assert sorted(os.listdir(out)) == ["cameras.npy", "images.npy", "reference.obj"]
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    overrides = [f"images={out / 'images.npy'}", f"cameras={out / 'cameras.npy'}", f"reference={out / 'reference.obj'}"]
    from_images = json.loads(open(run_fit_mesh(compose_mesh_config(*overrides), str(run_dir))).read())
    from_mesh = json.loads(open(run_fit_mesh(compose_mesh_config(f"target={cube}"), str(run_dir))).read())
    assert from_images["voxel_iou"] == pytest.approx(from_mesh["voxel_iou"], abs=1e-9)
    with pytest.raises(SystemExit) as stop:
        make.main([str(tmp_path / "nowhere.obj"), str(out)])
    assert stop.value.code == 2


def test_the_renderer_group_sets_the_fits_rasterizer(compose_mesh_config):
    cfg = compose_mesh_config("target=x.obj", "renderer.dist_cdf=gaussian", "renderer.sigma=1e-3")
    assert (cfg.renderer.dist_cdf, cfg.renderer.sigma, cfg.renderer.image_size) == ("gaussian", 1e-3, 16)
    # The flat keys of the renderer settings are gone: refused, not silently ignored.
    for old in ("dist_cdf=gaussian", "sigma_start=1e-3"):
        with pytest.raises(ConfigCompositionException):
            compose_mesh_config("target=x.obj", old)
