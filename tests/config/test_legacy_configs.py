"""Configs saved before a group existed: ``upgrade_stored_config`` gives them the group
with what the older code did, so an old run folder resumes, compares equal and is not
flagged as drifted. The fixture is the config.yaml of a run saved by the code before the
callbacks group (the resume of such a folder: tests/training/test_legacy_run_folder.py)."""

import os

from omegaconf import OmegaConf

from softrecon.config import compose_config
from softrecon.config.legacy import ADDED_GROUPS, upgrade_stored_config
from softrecon.rundir.config_diff import PLACE_KEYS, config_differences

OLD_CONFIG = os.path.join(os.path.dirname(__file__), "data", "train_config_before_callbacks.yaml")
OLD_OVERRIDES = [
    "experiment=quick_cpu",
    "trainer.iterations=30",
    "trainer.checkpoint_every=10",
    "trainer.log_every=5",
    "trainer.image_every=10",
    "trainer.mesh_every=15",
    "trainer.val_every=15",
    "logging.progress=false",
]


def _old_config() -> dict:
    return OmegaConf.to_container(OmegaConf.load(OLD_CONFIG))


def test_an_old_config_gets_the_callbacks_the_old_code_ran():
    old = _old_config()
    assert "callbacks" not in old
    upgraded = upgrade_stored_config(old)
    assert "callbacks" not in old  # the input is left as it was
    now = OmegaConf.to_container(compose_config("train", OLD_OVERRIDES), resolve=True)
    assert upgraded["callbacks"] == now["callbacks"] == ADDED_GROUPS["callbacks"]


def test_an_old_config_is_not_drifted_from_the_same_overrides_today():
    upgraded = upgrade_stored_config(_old_config())
    now = OmegaConf.to_container(compose_config("train", OLD_OVERRIDES), resolve=True)
    assert config_differences(upgraded, now, PLACE_KEYS) == []
    assert {key for key in now if key not in upgraded} == set()  # no group is missing after the upgrade


def test_a_config_that_is_not_a_training_config_is_left_alone():
    stored = {"ckpt_path": "x", "data": {"root": "r"}}
    assert upgrade_stored_config(stored) is stored
