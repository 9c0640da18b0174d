"""Keys no schema declares are refused at composition, appended ones (``+key=value``)
included, with the declared names closest to them; every config group has a schema."""

import dataclasses
import os
import pathlib
import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from softrecon.config import CONFIG_DIR, EvalConfig, TrainConfig, UnknownConfigKeyError, compose_config
from softrecon.fitting.config import register_configs as register_fitting_configs

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Groups whose files are merged at the top of the config (# @package _global_): the
# top-level schema (TrainConfig) is theirs.
GLOBAL_GROUPS = {"experiment", "ablation", "gendr"}
HYDRA_GROUP = "hydra"  # Hydra's own schema


def _options(group):
    return sorted(name[:-5] for name in os.listdir(os.path.join(CONFIG_DIR, group)) if name.endswith(".yaml"))


def _groups():
    return sorted(name for name in os.listdir(CONFIG_DIR) if os.path.isdir(os.path.join(CONFIG_DIR, name)))


def _config_of(preset):
    """The config a preset is for: 'eval' for the evaluation presets, else 'train'."""
    return "eval" if preset.startswith("eval") else "train"


def _schema_groups(cfg):
    """The keys of ``cfg`` that are config groups with a dataclass schema."""
    return [
        key for key in cfg if OmegaConf.get_type(cfg, key) and dataclasses.is_dataclass(OmegaConf.get_type(cfg, key))
    ]


def _typo(cfg, group):
    """A near-miss of the first key of ``group`` (or of the top level when ``group`` is None):
    the key without its last letter, or with an 's' added."""
    node = cfg if group is None else cfg[group]
    key = next(k for k in node if not str(k).startswith("_"))
    wrong = key[:-1] if len(key) > 3 else key + "s"
    return (f"{group}.{wrong}" if group else wrong), (f"{group}.{key}" if group else key)


def test_every_group_folder_has_a_schema():
    fields = {f.name: f.type for schema in (TrainConfig, EvalConfig) for f in dataclasses.fields(schema)}
    for group in _groups():
        if group in GLOBAL_GROUPS or group == HYDRA_GROUP:
            continue
        assert group in fields, (
            f"configs/{group}/ has no field in TrainConfig or EvalConfig (softrecon/config/schema.py)"
        )
        assert fields[group].endswith("Config"), f"configs/{group}/ is typed {fields[group]}, not a schema dataclass"


# The options of the global groups (ablation and GenDR rows, presets) set only declared
# keys: compose_config refuses any other, and tests/experiments compose every row.


@pytest.mark.parametrize("preset", _options("experiment"))
def test_every_preset_refuses_an_appended_typo_in_every_group(preset):
    # One composition per preset with a typo in every group at once (and one at the
    # top): the refusal names each of them with its closest declared key.
    name = _config_of(preset)
    base = [f"experiment={preset}"] + (["ckpt_path=x"] if name == "eval" else [])
    cfg = compose_config(name, base)
    groups = _schema_groups(cfg)
    assert len(groups) >= (9 if name == "train" else 2)
    typos = [_typo(cfg, group) for group in groups + [None]]
    with pytest.raises(UnknownConfigKeyError) as raised:
        compose_config(name, base + [f"+{wrong}=5" for wrong, _ in typos])
    message = str(raised.value)
    for wrong, right in typos:
        assert f"{wrong}:" in message and f"did you mean {right}" in message, message
    assert isinstance(raised.value, ValueError)


def test_a_deeper_appended_key_and_the_fitting_configs_are_refused():
    register_fitting_configs()
    with pytest.raises(UnknownConfigKeyError, match=r"data\.foo: DataConfig has no such key"):
        compose_config("train", ["+data.foo.bar=1"])
    for name, wrong, right in (("fit_mesh", "stepz", "steps"), ("fit_pose", "renderer.sigmaa", "renderer.sigma")):
        with pytest.raises(UnknownConfigKeyError, match=f"did you mean {right}"):
            compose_config(name, [f"+{wrong}=1"])


def test_the_command_refuses_before_making_a_run_folder(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), "+trainer.iteration=5", f"paths.root_dir={tmp_path}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=120,
    )
    assert out.returncode == 2, out.stderr[-2000:]
    assert "trainer.iteration: TrainerConfig has no such key; did you mean trainer.iterations?" in out.stderr
    assert os.listdir(tmp_path) == []  # no run folder, no dataset built
