"""A run folder saved before the callbacks group (config.yaml and checkpoints without
``callbacks``) resumes: ``upgrade_stored_config`` gives its stored config the group."""

import os

import torch
from omegaconf import OmegaConf
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.training import Trainer


def test_a_run_folder_saved_without_the_callbacks_group_resumes(tiny_dataset, tmp_path):
    """A run whose config.yaml and checkpoints lack ``callbacks`` (as the older code
    saved them) resumes to the same weights as a straight run."""
    root = tiny_dataset
    straight = Trainer(compose_config("train", tiny_overrides(root, str(tmp_path / "a"), iterations=4)))
    straight.fit()
    run_dir = str(tmp_path / "b")
    Trainer(compose_config("train", tiny_overrides(root, run_dir, iterations=2))).fit()
    for name in os.listdir(os.path.join(run_dir, "checkpoints")):
        path = os.path.join(run_dir, "checkpoints", name)
        if not name.startswith("step_"):
            continue  # last.pt: a link to the newest
        state = torch.load(path, weights_only=True)
        del state["config"]["callbacks"]
        torch.save(state, path)
    saved = OmegaConf.load(os.path.join(run_dir, "config.yaml"))
    del saved["callbacks"]
    OmegaConf.save(saved, os.path.join(run_dir, "config.yaml"))
    resumed = Trainer(compose_config("train", tiny_overrides(root, run_dir, iterations=4) + ["resume=true"]))
    assert resumed.iteration == 2
    resumed.fit()
    for name, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[name]), name
