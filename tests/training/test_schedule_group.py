"""The schedule group: one reading (``runs.schedule.scheduled``) for training and evaluation,
and checkpoints written with the old keys (``trainer.decay_at`` / ``decay_factor``) still
resume and evaluate with their schedule."""

import os

import pytest
import torch
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.config.legacy import upgrade_stored_config
from softrecon.config.schedule import scheduled
from softrecon.evaluation.evaluate import _color_renderer
from softrecon.rundir.checkpoint import load_checkpoint, save_checkpoint
from softrecon.training import Trainer


def test_scheduled_reads_the_schedule_group_of_a_composed_or_stored_config():
    cfg = compose_config("train", ["optim.lr=2e-4", "renderer.sigma=1e-3", "schedule.decay_at=[5,10]"])
    assert scheduled(cfg, 4) == {"lr": 2e-4, "sigma": 1e-3}
    assert scheduled(cfg, 10) == pytest.approx({"lr": 2e-4 * 0.09, "sigma": 1e-3 * 0.09})
    stored = {"renderer": {"sigma": 1e-3}, "schedule": {"decay_at": [5], "decay_factor": 0.5}}
    assert scheduled(stored, 5) == {"sigma": 5e-4}  # no optim group stored: no lr
    assert scheduled({"renderer": {"sigma": 1e-3}}, 10**6) == {"sigma": 1e-3}  # no schedule: no decay


def test_old_keys_move_to_the_schedule_group_and_the_input_is_left_alone():
    old = {"trainer": {"iterations": 9, "decay_at": [3], "decay_factor": 0.5}, "renderer": {"sigma": 1.0}}
    new = upgrade_stored_config(old)
    assert new["schedule"] == {"decay_at": [3], "decay_factor": 0.5} and new["trainer"] == {"iterations": 9}
    assert "decay_at" in old["trainer"] and "schedule" not in old
    current = {
        "trainer": {"iterations": 9},
        "schedule": {"decay_at": [3], "decay_factor": 0.5},
        "callbacks": {"enabled": ["checkpoint"]},  # every group of today's layout: nothing to upgrade
    }
    assert upgrade_stored_config(current) is current


def _old_layout_checkpoint(tiny_dataset, tmp_path):
    """A 3-iteration run's checkpoint whose stored config has the pre-schedule-group layout."""
    run = tmp_path / "run"
    cfg = tiny_overrides(
        tiny_dataset, str(run), iterations=3, **{"schedule.decay_at": "[1]", "trainer.checkpoint_every": 3}
    )
    Trainer(compose_config("train", cfg)).fit()
    path = os.path.join(run, "checkpoints", "step_000000003.pt")
    state = torch.load(path, weights_only=True)
    schedule = state["config"].pop("schedule")
    state["config"]["trainer"].update(schedule)  # as written before the schedule group
    os.remove(path)
    return save_checkpoint(str(run / "checkpoints"), 3, state, keep=3), run


def test_a_checkpoint_with_the_old_keys_evaluates_and_resumes(tiny_dataset, tmp_path):
    path, run = _old_layout_checkpoint(tiny_dataset, tmp_path)
    state = load_checkpoint(path)
    assert state["config"]["schedule"] == {"decay_at": [1], "decay_factor": 0.3}
    assert "decay_at" not in state["config"]["trainer"]

    class Dataset:
        image_size = 16

    assert _color_renderer(state, Dataset()).settings.sigma == pytest.approx(1e-3 * 0.3)  # decayed at 1
    resumed = Trainer(
        compose_config(
            "train",
            tiny_overrides(tiny_dataset, str(run), iterations=4, **{"schedule.decay_at": "[1]"})
            + [f"ckpt_path={path}"],
        )
    )
    assert resumed.iteration == 3
    resumed.fit()
    assert load_checkpoint(str(run))["iteration"] == 4
