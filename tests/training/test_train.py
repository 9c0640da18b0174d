"""Training loop: one step end to end, exact resume, checkpoints, schedule, RNG state."""

import os
import random

import numpy as np
import pytest
import torch
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.runtime.rng import get_rng_state, set_rng_state
from softrecon.training import (
    CheckpointError,
    Trainer,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
    step_decay,
    train,
)


def test_train_runs_logs_and_prints_the_run_dir_last(tiny_dataset, tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    overrides = tiny_overrides(tiny_dataset, run_dir, iterations=2)
    overrides += [
        "logging=default",
        "logging.progress=false",
        "trainer.log_every=1",
        "trainer.image_every=2",
        "trainer.mesh_every=2",
        "logging.mesh_samples=2",
        "trainer.val_every=2",
        "trainer.val_objects=1",
    ]
    returned = train(compose_config("train", overrides))
    assert returned.run_dir == run_dir and returned.iteration == 2 and returned.val_iteration == 2
    assert 0.0 <= returned.val_iou <= 1.0 and returned.last_loss > 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == run_dir
    assert (
        lines[-2].startswith("trained to iteration 2 (2 this start")
        and f"validation voxel IoU {returned.val_iou:.4f}" in lines[-2]
    )
    assert f"run folder {run_dir}: checkpoints/, config.yaml, tensorboard/, meshes/" in lines[-2]
    checkpoints = list_checkpoints(os.path.join(run_dir, "checkpoints"))
    assert [os.path.basename(p) for p in checkpoints] == ["step_000000002.pt"]
    # A plain weights_only load works: only tensors, containers, numbers and strings.
    state = torch.load(checkpoints[-1], weights_only=True)
    assert state["iteration"] == 2 and state["sampler"]["step"] == 2
    assert sorted(os.listdir(os.path.join(run_dir, "meshes"))) == ["step_000000002_0.obj", "step_000000002_1.obj"]
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(os.path.join(run_dir, "tensorboard")))
    assert os.path.isfile(os.path.join(run_dir, "config.yaml"))


def _weights(trainer):
    return {k: v.clone() for k, v in trainer.model.state_dict().items()}


def test_resume_in_the_middle_equals_straight_training(tiny_dataset, tmp_path):
    # 3 + 3 iterations with a restart from the checkpoint at 3 must equal 6 straight ones,
    # bit for bit, with the lr/sigma decay (at 4) falling in the resumed half.
    extra = {"schedule.decay_at": "[4]", "trainer.checkpoint_every": 3, "trainer.seed": 7}
    straight = Trainer(
        compose_config("train", tiny_overrides(tiny_dataset, str(tmp_path / "a"), iterations=6, **extra))
    )
    straight.fit()

    first = Trainer(compose_config("train", tiny_overrides(tiny_dataset, str(tmp_path / "b"), iterations=3, **extra)))
    first.fit()
    # Disturb every global RNG between the runs: the checkpoint must restore them.
    random.random(), np.random.rand(), torch.rand(3)
    resumed_cfg = tiny_overrides(tiny_dataset, str(tmp_path / "b"), iterations=6, **extra) + ["resume=true"]
    resumed = Trainer(compose_config("train", resumed_cfg))
    assert resumed.iteration == 3
    resumed.fit()

    a, b = _weights(straight), _weights(resumed)
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    opt_a, opt_b = straight.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
    for index in opt_a:
        for key in opt_a[index]:
            assert torch.equal(opt_a[index][key], opt_b[index][key]), (index, key)
    assert resumed.optimizer.param_groups[0]["lr"] == pytest.approx(3e-4 * 0.3)
    # A different seed trains differently (so the equality above can fail).
    other = Trainer(
        compose_config(
            "train",
            tiny_overrides(tiny_dataset, str(tmp_path / "c"), iterations=6, **dict(extra, **{"trainer.seed": 8})),
        )
    )
    other.fit()
    assert not all(torch.equal(a[name], v) for name, v in _weights(other).items())


def test_checkpoints_keep_the_last_k_and_errors_name_the_file(tmp_path):
    folder = str(tmp_path / "checkpoints")
    for iteration in (1, 2, 3, 4):
        save_checkpoint(folder, iteration, {"model": {"w": torch.ones(2) * iteration}}, keep=2)
    assert [os.path.basename(p) for p in list_checkpoints(folder)] == ["step_000000003.pt", "step_000000004.pt"]
    assert sorted(os.listdir(folder)) == ["last.pt", "step_000000003.pt", "step_000000004.pt"]  # no temporaries
    assert load_checkpoint(os.path.join(folder, "last.pt"))["iteration"] == 4
    state = load_checkpoint(str(tmp_path))  # a run folder: its latest checkpoint
    assert state["iteration"] == 4 and torch.equal(state["model"]["w"], torch.full((2,), 4.0))
    missing = str(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match="nope.pt"):
        load_checkpoint(missing)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="garbage.pt"):
        load_checkpoint(str(garbage))


def test_step_decay_matches_the_paper_schedule():
    assert step_decay(1e-4, 149999, [150000], 0.3) == 1e-4
    assert step_decay(1e-4, 150000, [150000], 0.3) == pytest.approx(3e-5)
    assert step_decay(1.0, 10, [2, 5, 20], 0.5) == 0.25
    with pytest.raises(ValueError, match="base"):
        step_decay(0.0, 1, [], 0.3)
    with pytest.raises(ValueError, match="iteration"):
        step_decay(1.0, -1, [], 0.3)


def test_rng_state_round_trips_through_a_weights_only_checkpoint(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    np.random.randn()  # leaves a cached Gaussian in NumPy's state
    path = save_checkpoint(str(tmp_path), 1, {"model": {}, "rng": get_rng_state()}, keep=1)
    expected = (random.random(), np.random.randn(), torch.rand(2))
    set_rng_state(torch.load(path, weights_only=True)["rng"])
    assert (random.random(), np.random.randn()) == expected[:2]
    assert torch.equal(torch.rand(2), expected[2])


def test_bad_trainer_settings_fail_with_a_named_key(tiny_dataset, tmp_path):
    with pytest.raises(ValueError, match="checkpoint_every"):
        Trainer(compose_config("train", tiny_overrides(tiny_dataset, str(tmp_path), **{"trainer.checkpoint_every": 0})))
    with pytest.raises(ValueError, match="batch_size"):
        Trainer(compose_config("train", tiny_overrides(tiny_dataset, str(tmp_path), **{"data.batch_size": 0})))


def test_a_run_shorter_than_its_intervals_still_validates_and_shows_its_end(tiny_dataset, tmp_path, capsys):
    # Intervals far beyond the run's 3 iterations: validation, images and meshes still
    # come at the last iteration; TensorBoard also gets the meshes, the config as text
    # and the hyperparameters with the final metrics.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir = str(tmp_path / "run")
    overrides = tiny_overrides(tiny_dataset, run_dir, iterations=3)
    overrides += [
        "logging=default",
        "logging.progress=false",
        "logging.mesh_samples=1",
        "trainer.val_every=1000",
        "trainer.image_every=1000",
        "trainer.mesh_every=1000",
        "trainer.val_objects=1",
    ]
    summary = train(compose_config("train", overrides))
    assert summary.val_iteration == 3 and summary.val_iou is not None
    assert os.listdir(os.path.join(run_dir, "meshes")) == ["step_000000003_0.obj"]
    events = EventAccumulator(os.path.join(run_dir, "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    tags = events.Tags()
    assert "val/iou_mean" in tags["scalars"] and [e.step for e in events.Scalars("val/iou_mean")] == [3]
    assert {"images/input", "images/silhouettes_rendered_vs_target"} <= set(tags["images"])
    assert {"meshes/prediction_VERTEX", "meshes/prediction_FACE", "config/text_summary"} <= set(tags["tensors"])
    config_text = events.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "iterations: 3" in config_text
    plugins = events.PluginTagToContent("hparams")
    assert "_hparams_/experiment" in plugins and "_hparams_/session_start_info" in plugins
    assert b"val/iou_mean" in plugins["_hparams_/experiment"] and b"optim.lr" in plugins["_hparams_/experiment"]
