"""``renderer=nmr``: training with the NMR renderer (docs/METHOD.md section 9) runs and
changes the weights."""

import torch
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.renderer import NmrSettings
from softrecon.training import Trainer


def test_training_with_renderer_nmr_changes_the_weights(tiny_dataset, tmp_path):
    cfg = compose_config("train", tiny_overrides(tiny_dataset, str(tmp_path / "run"), iterations=2) + ["renderer=nmr"])
    trainer = Trainer(cfg)
    assert isinstance(trainer.loop.task.objective.renderer.settings, NmrSettings)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.fit()
    after = trainer.model.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before if before[k].is_floating_point())
