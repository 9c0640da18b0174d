"""Nothing read from a checkpoint names code to run (docs/PROMISES.md).

Each crafted checkpoint loads with ``weights_only=True`` (only strings and numbers are
changed); evaluation must refuse it, naming the file, before calling anything it names.
"""

import os

import pytest

from softrecon.config import compose_config
from softrecon.evaluation import evaluate
from softrecon.training import save_checkpoint

# The stored model config of a small, valid model (what Trainer.state_dict() stores).
VALID_MODEL = {
    "_target_": "softrecon.models.ReconstructionModel",
    "_convert_": "all",
    "image_size": 16,
    "in_channels": 4,
    "template_level": 1,
    "template_scale": 0.5,
    "centroid_scale": 0.1,
    "encoder_channels": [4],
    "encoder_fc": [8],
    "decoder_fc": [8],
}


def _crafted_models(victim: str):
    return {
        "makedirs": {"_target_": "os.makedirs", "name": victim, "exist_ok": True},
        "copyfile": {"_target_": "shutil.copyfile", "src": __file__, "dst": victim},
        "nested": dict(VALID_MODEL, encoder_fc={"_target_": "os.makedirs", "name": victim}),
        "unknown-key": dict(VALID_MODEL, _partial_=True),
        "interpolation": dict(VALID_MODEL, template_level="${oc.env:HOME}"),
        "wrong-type": dict(VALID_MODEL, template_level="three"),
        "not-a-dict": "os.makedirs",
    }


@pytest.mark.parametrize("case", list(_crafted_models("")))
def test_a_crafted_checkpoint_cannot_choose_the_code_eval_runs(tmp_path, case):
    victim = str(tmp_path / "victim")
    model_config = _crafted_models(victim)[case]
    folder = tmp_path / "run" / "checkpoints"
    crafted = save_checkpoint(str(folder), 1, {"model": {}, "config": {"model": model_config}}, keep=1)
    overrides = [
        f"ckpt_path={crafted}",
        f"data.root={tmp_path / 'no_data'}",
        "data.synthetic=false",
        f"paths.run_dir={tmp_path / 'out'}",
        "progress=false",
        "device=cpu",
    ]
    with pytest.raises(ValueError, match="step_000000001.pt") as error:
        evaluate(compose_config("eval", overrides))
    assert "model" in str(error.value)
    assert not os.path.exists(victim)


def _eval_config(checkpoint, tmp_path):
    return compose_config(
        "eval",
        [
            f"ckpt_path={checkpoint}",
            f"data.root={tmp_path / 'no_data'}",
            "data.synthetic=false",
            f"paths.run_dir={tmp_path / 'out'}",
            "progress=false",
            "device=cpu",
        ],
    )


def test_checkpoints_without_config_or_with_other_weights_name_the_file(tmp_path):
    """No KeyError 'config', no page of torch size mismatches."""
    no_config = save_checkpoint(str(tmp_path / "a"), 1, {"model": {}}, keep=1)
    with pytest.raises(ValueError, match=r"step_000000001.pt.*no stored model config"):
        evaluate(_eval_config(no_config, tmp_path))
    other = dict(VALID_MODEL, encoder_fc=[16])  # the weights below are of an encoder_fc=[8] model
    from softrecon.models import build_model

    weights = build_model(VALID_MODEL).state_dict()
    mismatched = save_checkpoint(str(tmp_path / "b"), 2, {"model": weights, "config": {"model": other}}, keep=1)
    with pytest.raises(ValueError, match=r"step_000000002.pt.*do not fit.*of another shape") as error:
        evaluate(_eval_config(mismatched, tmp_path))
    assert len(str(error.value)) < 1000
