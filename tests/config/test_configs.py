"""Every config group composes and instantiates; the schemas reject typos; the paper preset is the paper."""

import os
import pathlib
import subprocess
import sys

import pytest
import torch
from hydra.errors import ConfigCompositionException
from hydra.utils import instantiate
from omegaconf import OmegaConf
from omegaconf.errors import MissingMandatoryValue, ValidationError

from softrecon.config import CONFIG_DIR, compose_config
from softrecon.renderer import RasterSettings

SHAPENET_13 = [
    "02691156",
    "02828884",
    "02933112",
    "02958343",
    "03001627",
    "03211117",
    "03636649",
    "03691459",
    "04090263",
    "04256520",
    "04379243",
    "04401088",
    "04530566",
]


def _options(group):
    return sorted(
        name[: -len(".yaml")] for name in os.listdir(os.path.join(CONFIG_DIR, group)) if name.endswith(".yaml")
    )


@pytest.mark.parametrize("experiment", ["quick_cpu", "paper_silhouette", "realcad_cpu"])
def test_train_presets_compose_and_instantiate(experiment):
    cfg = compose_config("train", [f"experiment={experiment}"])
    OmegaConf.resolve(cfg)
    model = instantiate(cfg.model)
    settings = instantiate(cfg.renderer)
    assert isinstance(settings, RasterSettings) and settings.height == cfg.data.image_size
    optimizer = instantiate(cfg.optim)(params=model.parameters())
    assert isinstance(optimizer, torch.optim.Adam) and optimizer.param_groups[0]["lr"] == cfg.optim.lr
    vertices = model.eval()(torch.rand(1, 4, cfg.data.image_size, cfg.data.image_size))
    assert vertices.shape == (1, 642, 3)


@pytest.mark.parametrize(
    "group", ["data", "model", "renderer", "loss", "optim", "schedule", "trainer", "logging", "paths"]
)
def test_every_option_of_every_group_composes(group):
    for option in _options(group):
        cfg = compose_config("train", [f"{group}={option}"])
        OmegaConf.resolve(cfg)  # every interpolation resolves
        if "_target_" in cfg[group] and group != "optim":
            assert instantiate(cfg[group]) is not None


def test_paper_preset_is_the_paper_recipe():
    cfg = compose_config("train", ["experiment=paper_silhouette"])
    assert (cfg.data.batch_size, cfg.data.image_size, cfg.data.synthetic) == (64, 64, False)
    assert list(cfg.data.class_ids) == SHAPENET_13
    assert cfg.trainer.iterations == 250000
    assert (list(cfg.schedule.decay_at), cfg.schedule.decay_factor) == ([150000], 0.3)
    assert (cfg.optim.lr, list(cfg.optim.betas)) == (1e-4, [0.9, 0.999])
    assert (cfg.renderer.sigma, cfg.renderer.dist_eps, cfg.renderer.aggr_alpha) == (1e-4, 1e-10, "prod")
    assert (cfg.loss.iou, cfg.loss.laplacian, cfg.loss.flatten) == (1.0, 5e-3, 5e-4)
    assert (list(cfg.model.encoder_channels), list(cfg.model.encoder_fc), list(cfg.model.decoder_fc)) == (
        [64, 128, 256],
        [1024, 1024, 512],
        [1024, 2048],
    )
    assert (cfg.model.template_level, cfg.model.template_scale, cfg.model.centroid_scale) == (3, 0.5, 0.1)


def test_quick_cpu_is_the_default_preset():
    cfg = compose_config("train")
    assert cfg.data.synthetic and cfg.trainer.iterations < 20000


def test_misspelt_keys_and_wrong_types_fail_at_composition(tmp_path):
    with pytest.raises(ConfigCompositionException):
        compose_config("train", ["trainer.iteration=3"])  # 'iterations'
    with pytest.raises((ConfigCompositionException, ValidationError)):
        compose_config("train", ["trainer.iterations=many"])
    with pytest.raises(ConfigCompositionException):
        compose_config("train", ["schedule.decay_att=[3]"])  # 'decay_at'
    with pytest.raises(ConfigCompositionException):
        compose_config("train", ["trainer.decay_at=[3]"])  # moved to the schedule group
    # A typo inside a YAML file (here a user's experiment preset) fails too.
    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "typo.yaml").write_text("# @package _global_\ntrainer:\n  checkpoint_evry: 10\n")
    with pytest.raises(ConfigCompositionException):
        compose_config("train", [f"hydra.searchpath=[file://{tmp_path}]", "experiment=typo"])


def test_eval_config_requires_a_checkpoint():
    cfg = compose_config("eval")
    with pytest.raises(MissingMandatoryValue):
        _ = cfg.ckpt_path
    cfg = compose_config("eval", ["ckpt_path=some/run", "experiment=eval_shapenet"])
    assert cfg.split == "test" and list(cfg.data.class_ids) == SHAPENET_13


def test_train_help_explains_groups_and_presets():
    root = str(pathlib.Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(
        [sys.executable, os.path.join(root, "train.py"), "--help"], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    for text in ("paper_silhouette", "quick_cpu", "Config groups", "ckpt_path", "torchrun"):
        assert text in out.stdout
