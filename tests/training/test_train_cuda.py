"""Training on a CUDA device: what CPU tests cannot see (skipped where no GPU exists;
scripts/gpu_check.sh runs it). Pinned batches, no per-step host sync for the loss check
(the non-finite loss is still caught, with its iteration), phase timing only when
profiling, and CPU and GPU runs of the same steps agreeing."""

import math

import pytest
import torch
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.training import Trainer

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]


def test_cuda_steps_pin_batches_and_match_the_cpu(tiny_dataset, tmp_path):
    losses = {}
    for device in ("cpu", "cuda"):
        trainer = Trainer(
            compose_config(
                "train", tiny_overrides(tiny_dataset, str(tmp_path / device), 3, **{"trainer.device": device})
            )
        )
        try:
            if device == "cuda":
                assert trainer.sampler.pin_memory and trainer.sampler[0]["images_a"].is_pinned()
                assert not trainer.timer.enabled  # no synchronize per phase unless trainer.profile
            losses[device] = [float(trainer.loop.step().loss) for _ in range(3)]
        finally:
            trainer.loop.batches.close()
    assert losses["cuda"] == pytest.approx(losses["cpu"], rel=1e-3, abs=1e-4)


def test_cuda_nonfinite_loss_is_raised_at_the_next_check_with_its_iteration(tiny_dataset, tmp_path):
    trainer = Trainer(
        compose_config(
            "train",
            tiny_overrides(tiny_dataset, str(tmp_path), 4, **{"trainer.device": "cuda", "trainer.profile": "true"}),
        )
    )
    try:
        assert trainer.timer.enabled
        trainer.loop.step()
        trainer.loop.loss_watch.check()  # finite so far
        with torch.no_grad():
            next(trainer.model.parameters()).fill_(math.nan)
        trainer.loop.step()  # iteration 1: NaN, recorded on the device, no raise yet
        trainer.loop.step()
        with pytest.raises(FloatingPointError, match="iteration 1"):
            trainer.loop.loss_watch.check()
    finally:
        trainer.loop.batches.close()
