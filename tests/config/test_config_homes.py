"""Each config value has one home (docs/CONFIG.md): the group YAML holds the values, the
schema only their types; where a library default is the same paper value (``RasterSettings``,
``ReconstructionModel``), the two homes are checked against each other here."""

import dataclasses
import inspect
import os

import pytest
import yaml
from omegaconf import MISSING

from softrecon import protocol
from softrecon.config import CONFIG_DIR, compose_config, schema
from softrecon.fitting import PoseFitOptions, ShapeFitOptions
from softrecon.fitting.config import register_configs as register_fit_configs
from softrecon.models import ReconstructionModel
from softrecon.renderer import RasterSettings

# group folder -> its schema.
GROUP_SCHEMAS = {
    "schedule": schema.ScheduleConfig,
    "trainer": schema.TrainerConfig,
    "data": schema.DataConfig,
    "model": schema.ModelConfig,
    "renderer": schema.RendererConfig,
    "loss": schema.LossConfig,
    "optim": schema.OptimConfig,
    "logging": schema.LoggingConfig,
    "paths": schema.PathsConfig,
}


def _keys_set_by_yaml(group):
    folder = os.path.join(CONFIG_DIR, group)
    keys = set()
    for name in os.listdir(folder):
        if name.endswith(".yaml"):
            with open(os.path.join(folder, name)) as handle:
                keys |= set(yaml.safe_load(handle) or {}) - {"defaults"}
    return keys


def _has_default(schema_field):
    return schema_field.default is not MISSING or schema_field.default_factory is not dataclasses.MISSING


@pytest.mark.parametrize("group", sorted(GROUP_SCHEMAS))
def test_a_schema_field_has_a_default_only_when_no_yaml_sets_it(group):
    set_by_yaml = _keys_set_by_yaml(group)
    for schema_field in dataclasses.fields(GROUP_SCHEMAS[group]):
        if schema_field.name in set_by_yaml:
            assert not _has_default(schema_field), f"{group}.{schema_field.name}: value in the YAML and the schema"
        else:
            assert _has_default(schema_field), f"{group}.{schema_field.name}: no YAML sets it and the schema has none"


def test_the_renderer_group_is_the_rasterizers_default():
    """configs/renderer/silhouette.yaml (the paper's settings) == RasterSettings() defaults."""
    cfg = compose_config("train", ["experiment=paper_silhouette"]).renderer
    default = RasterSettings()
    assert cfg.image_size == default.height == default.width == protocol.IMAGE_SIZE
    for key in ("sigma", "gamma", "dist_eps", "near", "far"):
        assert cfg[key] == getattr(default, key), key
    for key in ("dist_func", "dist_cdf", "aggr_alpha", "aggr_rgb"):
        assert cfg[key] == getattr(default, key).name.lower(), key


def test_the_paper_model_group_is_the_models_default():
    """configs/model/paper.yaml == the defaults of ReconstructionModel's arguments."""
    cfg = compose_config("train", ["experiment=paper_silhouette"]).model
    parameters = inspect.signature(ReconstructionModel.__init__).parameters
    arguments = [name for name in parameters if name != "self"]
    assert sorted(arguments) == sorted(key for key in cfg if not key.startswith("_"))
    for name in arguments:
        value = cfg[name]
        default = parameters[name].default
        assert (list(value) if isinstance(default, (tuple, list)) else value) == (
            list(default) if isinstance(default, (tuple, list)) else default
        ), name


def test_the_shapenet_group_lists_the_protocols_classes():
    cfg = compose_config("train", ["experiment=paper_silhouette"]).data
    assert tuple(cfg.class_ids) == protocol.SHAPENET_CLASS_IDS
    assert cfg.image_size == protocol.IMAGE_SIZE


def _fit_config(name):
    register_fit_configs()
    return compose_config(name)


def test_the_fitting_configs_state_the_fitting_functions_defaults():
    """configs/fit_mesh.yaml and fit_pose.yaml == the defaults of ShapeFitOptions and
    PoseFitOptions (the library's), for every option both have."""
    mesh, shape_defaults = _fit_config("fit_mesh"), ShapeFitOptions()
    assert (mesh.renderer.sigma, mesh.gif_every) == (shape_defaults.sigma_start, shape_defaults.gif_every)
    for key in ("steps", "lr", "sigma_end", "laplacian_weight", "flatten_weight", "seed"):
        assert mesh[key] == getattr(shape_defaults, key), key
    pose, pose_defaults = _fit_config("fit_pose"), PoseFitOptions()
    assert (pose.renderer.sigma, pose.renderer.gamma, pose.gif_every) == (
        pose_defaults.sigma_start,
        pose_defaults.gamma_start,
        pose_defaults.gif_every,
    )
    for key in ("steps", "lr", "sigma_end", "gamma_end", "rgb_weight", "silhouette_weight"):
        assert pose[key] == getattr(pose_defaults, key), key


def test_the_fitting_configs_state_the_protocols_cameras():
    mesh, pose = _fit_config("fit_mesh"), _fit_config("fit_pose")
    assert (mesh.num_views, mesh.elevations[0], mesh.voxel_resolution) == (
        protocol.NUM_VIEWS,
        protocol.ELEVATION,
        protocol.VOXEL_RESOLUTION,
    )
    for cfg in (mesh, pose):
        assert (cfg.camera_distance, cfg.viewing_angle, cfg.image_size) == (
            protocol.CAMERA_DISTANCE,
            protocol.VIEWING_ANGLE,
            protocol.IMAGE_SIZE,
        )
    # The rasterizer settings are the training's renderer group, but for the fit's own blur.
    train = compose_config("train", ["experiment=paper_silhouette"]).renderer
    for cfg in (mesh, pose):
        for key in ("dist_eps", "dist_func", "dist_cdf", "aggr_alpha", "near", "far"):
            assert cfg.renderer[key] == train[key], key
