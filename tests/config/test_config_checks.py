"""Every interval and count is range-checked at start-up, before any data is read
(log_every=0 crashed after one iteration, val_every=-1 validated
every iteration, image_every=-5 was accepted)."""

import pytest

from softrecon.config import compose_config
from softrecon.evaluation import evaluate
from softrecon.training import Trainer

BAD_TRAIN = [
    ("trainer.log_every", 0),
    ("trainer.val_every", -1),
    ("trainer.image_every", -5),
    ("trainer.mesh_every", -1),
    ("trainer.checkpoint_every", 0),
    ("trainer.keep_checkpoints", 0),
    ("trainer.val_objects", 0),
    ("trainer.num_threads", -2),
    ("trainer.iterations", -1),
    ("logging.mesh_samples", -1),
    ("data.batch_size", 0),
    ("data.eval_batch_size", 0),
    ("data.image_size", 0),
    ("schedule.decay_factor", 0),
    ("schedule.decay_at", "[-5]"),
]


@pytest.mark.parametrize("key,value", BAD_TRAIN, ids=[k for k, _ in BAD_TRAIN])
def test_train_refuses_an_interval_or_count_out_of_range(tmp_path, key, value):
    overrides = [
        f"data.root={tmp_path / 'no_data'}",
        "data.synthetic=false",
        "trainer.device=cpu",
        f"paths.run_dir={tmp_path / 'run'}",
        f"{key}={value}",
    ]
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        Trainer(compose_config("train", overrides))  # before the (missing) data is looked at


@pytest.mark.parametrize("key,value", [("data.eval_batch_size", 0), ("max_objects", 0), ("fscore_threshold", 0)])
def test_eval_refuses_a_count_out_of_range(tmp_path, key, value):
    overrides = [f"ckpt_path={tmp_path / 'missing.pt'}", f"data.root={tmp_path}", f"{key}={value}"]
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        evaluate(compose_config("eval", overrides))
