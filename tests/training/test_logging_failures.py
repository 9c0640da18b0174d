"""Logging never stops training: a TensorBoard folder that cannot be written (full disk,
quota, I/O error) or meshes that cannot be saved are warned about once, and training
goes on to its last checkpoint."""

import errno
import os
import warnings

import pytest
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.training import Trainer, list_checkpoints


def _config(dataset, run_dir):
    extra = {
        "logging.tensorboard": "true",
        "logging.mesh_samples": 1,
        "trainer.log_every": 1,
        "trainer.image_every": 1,
        "trainer.mesh_every": 1,
        "trainer.checkpoint_every": 1,
        "trainer.keep_checkpoints": 5,
    }
    return compose_config("train", tiny_overrides(dataset, str(run_dir), iterations=4, **extra))


def _fit(cfg):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Trainer(cfg).fit()
    return [str(w.message) for w in caught if "training goes on" in str(w.message)]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # TensorBoard's dying thread
def test_a_full_tensorboard_folder_and_failing_mesh_writes_do_not_stop_training(tiny_dataset, tmp_path, monkeypatch):
    from tensorboard.summary.writer.record_writer import RecordWriter

    import softrecon.rundir.logger as logger

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    # TensorBoard writes its events in a thread of its own, which dies on the error and
    # hands it to the next call in the training process; the meshes fail in it directly.
    monkeypatch.setattr(RecordWriter, "write", full_disk)
    monkeypatch.setattr(logger, "save_obj", full_disk)
    run = tmp_path / "run"
    messages = _fit(_config(tiny_dataset, run))
    assert len(list_checkpoints(str(run / "checkpoints"))) == 4  # every checkpoint, to the last iteration
    assert len(messages) == 2, messages  # one warning per channel, not one per iteration
    assert any("tensorboard" in m and "No space left on device" in m for m in messages)
    assert any("meshes" in m and "No space left on device" in m for m in messages)


def test_a_tensorboard_folder_that_cannot_be_made_does_not_stop_training(tiny_dataset, tmp_path):
    run = tmp_path / "run"
    os.makedirs(run)
    (run / "tensorboard").write_text("not a folder")  # like a read-only or broken mount
    messages = _fit(_config(tiny_dataset, run))
    assert len(list_checkpoints(str(run / "checkpoints"))) == 4
    assert len(messages) == 1 and "tensorboard" in messages[0]
