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

from softrecon.fitting.config import register_configs
from softrecon.fitting.run_shape import run_fit_mesh
from softrecon.io import MeshLoadError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG_DIR = os.path.join(REPO, "configs")
# The smallest settings that still exercise every stage (held-out views, GIF, voxels).
TINY_MESH = [
    "image_size=16", "num_views=4", "heldout_every=2", "template_level=1", "steps=3", "views_per_step=2",
    "gif_every=1", "gif_views=2", "voxel_resolution=8", "chamfer_points=200", "num_threads=1", "progress=false",
]
TINY_POSE = ["image_size=16", "object_level=1", "steps=3", "num_starts=2", "gif_every=1", "num_threads=1", "progress=false"]

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
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
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


def test_fit_mesh_with_colours_in_process(tmp_path, compose_mesh_config):
    lines = CUBE_OBJ.splitlines()
    colours = ["0.9 0.1 0.1", "0.1 0.9 0.1", "0.1 0.1 0.9", "0.9 0.9 0.1", "0.1 0.9 0.9", "0.9 0.1 0.9", "0.5 0.5 0.5", "1 1 1"]
    coloured = [f"{line} {colours[i]}" for i, line in enumerate(lines[:8])] + lines[8:]
    path = tmp_path / "coloured_cube.obj"
    path.write_text("\n".join(coloured) + "\n")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    metrics_path = run_fit_mesh(compose_mesh_config(f"target={path}", "fit_colors=true"), str(run_dir))
    metrics = json.loads(open(metrics_path).read())
    assert 0.0 <= metrics["heldout_rgb_mse"] and 0.0 <= metrics["initial"]["heldout_rgb_mse"]
    assert len((run_dir / "fitted.obj").read_text().splitlines()[1].split()) == 7  # "v x y z r g b"
