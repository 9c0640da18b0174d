"""``renderer=nmr`` for softrecon-fit-mesh and softrecon-fit-pose: a few steps with the NMR
renderer (docs/METHOD.md section 9) run and move the mesh / the pose."""

import json

import pytest
import torch
from hydra import compose, initialize_config_dir
from test_fit_scripts import CONFIG_DIR, CUBE_OBJ, TINY_MESH, TINY_POSE

from softrecon.fitting.config import register_configs
from softrecon.fitting.run_pose import run_fit_pose
from softrecon.fitting.run_shape import run_fit_mesh


@pytest.fixture
def nmr_config():
    register_configs()
    threads = torch.get_num_threads()

    def make(name, *overrides):
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            return compose(name, overrides=["renderer=nmr", *overrides])

    yield make
    torch.set_num_threads(threads)


def test_fit_mesh_with_renderer_nmr_moves_the_mesh(tmp_path, nmr_config):
    cube = tmp_path / "cube.obj"
    cube.write_text(CUBE_OBJ)
    cfg = nmr_config("fit_mesh", f"target={cube}", *TINY_MESH, "gif_every=0")
    (tmp_path / "run").mkdir()
    metrics = json.loads(open(run_fit_mesh(cfg, str(tmp_path / "run"))).read())
    assert metrics["config"]["renderer"]["_target_"] == "softrecon.renderer.NmrSettings"
    assert metrics["heldout_silhouette_iou"] != metrics["initial"]["heldout_silhouette_iou"]


def test_fit_pose_with_renderer_nmr_moves_the_pose(tmp_path, nmr_config):
    overrides = [o for o in TINY_POSE if not o.startswith("num_starts")]
    cfg = nmr_config("fit_pose", *overrides, "num_starts=1", "gif_every=0")
    (tmp_path / "run").mkdir()
    metrics = json.loads(open(run_fit_pose(cfg, str(tmp_path / "run"))).read())
    start = metrics["starts"][0]
    assert start["rotation_error_deg"] != pytest.approx(start["initial_rotation_error_deg"], abs=1e-6)
