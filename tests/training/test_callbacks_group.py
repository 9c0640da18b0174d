"""The callbacks config group: the loop runs the callbacks it names, in its order; an
unknown name, a repeated one or a checkpoint that is not last fails at start-up."""

import os

import pytest
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.rundir.logger import RunLogger
from softrecon.training import Trainer, train
from softrecon.training.callbacks import (
    CALLBACKS,
    Checkpointing,
    ImageLog,
    MeshLog,
    ProgressBar,
    RunRecord,
    ScalarLog,
    Validation,
    build_callbacks,
    check_callbacks,
)


def test_the_default_group_names_the_callbacks_in_the_order_they_act(tmp_path):
    cfg = compose_config("train", [f"paths.run_dir={tmp_path}"])
    logger = RunLogger(str(tmp_path), False, False)
    kinds = [type(callback) for callback in build_callbacks(cfg, logger, is_main=False)]
    assert kinds == [ProgressBar, ScalarLog, ImageLog, MeshLog, Validation, RunRecord, Checkpointing]
    assert set(cfg.callbacks.enabled) == set(CALLBACKS)


@pytest.mark.parametrize(
    "names, message",
    [
        (["scalar", "checkpoint"], "unknown callback 'scalar'; did you mean scalars"),
        (["scalars", "scalars"], "more than once"),
        (["checkpoint", "scalars"], "must come last"),
    ],
)
def test_a_wrong_list_is_refused(names, message):
    with pytest.raises(ValueError, match=message):
        check_callbacks(names)


def test_an_unknown_callback_fails_before_any_data_is_read(tmp_path):
    overrides = tiny_overrides(str(tmp_path / "no_data"), str(tmp_path / "run"), **{"callbacks.enabled": "[meshs]"})
    with pytest.raises(ValueError, match="did you mean meshes"):
        Trainer(compose_config("train", overrides))
    assert not os.path.exists(tmp_path / "run")


def test_checkpoints_only_writes_checkpoints_and_nothing_else(tiny_dataset, tmp_path):
    run_dir = str(tmp_path / "run")
    overrides = tiny_overrides(
        tiny_dataset, run_dir, iterations=2, **{"callbacks": "checkpoints_only", "trainer.mesh_every": 1}
    )
    summary = train(compose_config("train", overrides + ["logging.mesh_samples=1"]))
    assert summary.iteration == 2 and summary.val_iou is None
    assert os.listdir(os.path.join(run_dir, "checkpoints"))
    assert not os.path.exists(os.path.join(run_dir, "meshes"))
