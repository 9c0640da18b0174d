"""The sigma schedule is passed to each step, not written into the renderer."""

import pytest
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.training import Trainer


def test_each_step_gets_its_scheduled_sigma_and_the_renderer_is_not_mutated(tiny_dataset, tmp_path):
    trainer = Trainer(
        compose_config(
            "train", tiny_overrides(tiny_dataset, str(tmp_path / "run"), iterations=3, **{"schedule.decay_at": "[1]"})
        )
    )
    base = trainer.task.objective.renderer.settings
    seen = []
    objective_forward = trainer.task.objective.forward

    def spy(*args, **kwargs):
        seen.append(args[6].sigma)  # the settings argument of MultiViewObjective.forward
        return objective_forward(*args, **kwargs)

    trainer.task.objective.forward = spy
    outputs = [trainer.loop.step() for _ in range(3)]
    trainer.loop.batches.close()
    assert seen == pytest.approx([1e-3, 1e-3 * 0.3, 1e-3 * 0.3])
    # The step's output carries the values it used (what the callbacks report).
    assert [output.schedule["sigma"] for output in outputs] == seen
    assert [output.schedule["lr"] for output in outputs] == pytest.approx(
        [3e-4, 3e-4 * 0.3, 3e-4 * 0.3]
    )  # quick_cpu's optim.lr
    assert trainer.task.objective.renderer.settings is base and base.sigma == 1e-3
