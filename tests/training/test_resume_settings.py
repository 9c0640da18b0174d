"""A resume continues one run: with other training settings it is refused, naming them,
before anything is written; its length, folders and intervals may change."""

import os

import pytest
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.rundir.config_diff import config_differences
from softrecon.training import Trainer


def _config(dataset, run_dir, **extra):
    iterations = extra.pop("iterations", 2)
    return compose_config("train", tiny_overrides(dataset, str(run_dir), iterations=iterations, **extra))


def test_a_resume_with_other_settings_is_refused_naming_each(tiny_dataset, tmp_path):
    run = tmp_path / "run"
    Trainer(_config(tiny_dataset, run)).fit()
    saved = (run / "config.yaml").read_text()
    checkpoints = sorted(os.listdir(run / "checkpoints"))
    with pytest.raises(
        ValueError, match=r"other settings.*loss.laplacian: .* -> 0.0; optim.lr: 0.0003 -> 0.5"
    ) as error:
        Trainer(_config(tiny_dataset, run, resume="true", iterations=4, **{"optim.lr": 0.5, "loss.laplacian": 0}))
    assert "step_000000002.pt" in str(error.value)
    assert (run / "config.yaml").read_text() == saved  # the run's record still tells the truth
    assert sorted(os.listdir(run / "checkpoints")) == checkpoints
    # ckpt_path=<run> (what the command used) is checked the same way.
    with pytest.raises(ValueError, match=r"optim.lr: 0.0003 -> 0.5"):
        Trainer(
            compose_config(
                "train",
                tiny_overrides(tiny_dataset, "null", iterations=4, ckpt_path=str(run), **{"optim.lr": 0.5}),
            )
        )
    # Longer, with other intervals, and on the device named again: the same run continues.
    resumed = Trainer(
        _config(
            tiny_dataset, run, resume="true", iterations=4, **{"trainer.log_every": 1, "trainer.checkpoint_every": 1}
        )
    )
    assert resumed.iteration == 2
    resumed.fit()


def test_config_differences_compare_stored_values_as_data():
    stored = {"optim": {"lr": "${oc.env:HOME}"}, "paths": {"run_dir": "/a"}, "old_key": 1}
    now = {"optim": {"lr": 1e-4}, "paths": {"run_dir": "/b"}, "new_key": 2}
    assert config_differences(stored, now) == ["optim.lr: '${oc.env:HOME}' -> 0.0001"]
    assert config_differences(stored, now, ignore=("optim",)) == ["paths.run_dir: '/a' -> '/b'"]
