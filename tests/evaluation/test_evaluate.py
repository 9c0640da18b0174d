"""evaluate(cfg): voxel IoU per class and mean, report files, last printed line."""

import json
import os

import numpy as np
import pytest
import torch

from softrecon.config import compose_config
from softrecon.dataset_builders import write_split
from softrecon.datasets import NUM_VIEWS
from softrecon.evaluation import evaluate
from softrecon.geometry import icosphere
from softrecon.training import CheckpointError, Trainer, load_checkpoint, save_checkpoint
from softrecon.voxel import voxelize

SIZE = 16
TEMPLATE_LEVEL = 1
# With both heads of the decoder zeroed, every prediction is the template (unit
# icosphere) x 0.5 (template scale) x 0.5 (final halving).
PREDICTED_SCALE = 0.25


def _constant_model_checkpoint(data_root, folder, *extra) -> str:
    """A checkpoint whose model outputs the same sphere whatever the image."""
    overrides = [
        f"data.root={data_root}",
        "data.synthetic=false",
        f"data.image_size={SIZE}",
        "data.batch_size=2",
        f"model.template_level={TEMPLATE_LEVEL}",
        "model.encoder_channels=[4]",
        "model.encoder_fc=[8]",
        "model.decoder_fc=[8]",
        "trainer.iterations=0",
        "trainer.device=cpu",
        "logging=quiet",
        f"paths.run_dir={folder}",
        *extra,
    ]
    trainer = Trainer(compose_config("train", overrides))
    for head in (trainer.model.decoder.centroid_head, trainer.model.decoder.displacement_head):
        torch.nn.init.zeros_(head.weight)
        torch.nn.init.zeros_(head.bias)
    return save_checkpoint(os.path.join(folder, "checkpoints"), 0, trainer.state_dict(), keep=1)


@pytest.fixture(scope="module")
def sphere_setup(tmp_path_factory):
    """Dataset: class 'full' has the predicted sphere's own voxels as ground truth, class
    'half' only its lower half (y < 0), so the expected IoUs are 1 and |half| / |full|."""
    root = tmp_path_factory.mktemp("data")
    vertices, faces = icosphere(TEMPLATE_LEVEL, dtype=torch.float64)
    full = voxelize(vertices * PREDICTED_SCALE, faces, resolution=32)
    half = full.copy()
    half[16:] = False  # first axis is i_y; i_y >= 16 is y >= 0
    rng = np.random.default_rng(0)
    for class_id, voxels in (("full", full), ("half", half)):
        for split in ("train", "val"):
            images = rng.integers(0, 256, (2, NUM_VIEWS, 4, SIZE, SIZE), dtype=np.uint8)
            write_split(str(root), class_id, split, images, np.stack([voxels, voxels]), formats=("npz",))
    checkpoint = _constant_model_checkpoint(str(root), str(tmp_path_factory.mktemp("run")))
    return str(root), checkpoint, float(half.sum()) / float(full.sum())


def _eval_overrides(root, checkpoint, out_dir, *extra):
    return [
        f"ckpt_path={checkpoint}",
        f"data.root={root}",
        "data.synthetic=false",
        "data.eval_split=val",
        f"paths.run_dir={out_dir}",
        "progress=false",
        "device=cpu",
        *extra,
    ]


def test_evaluate_scores_every_view_and_averages_per_class(sphere_setup, tmp_path, capsys):
    root, checkpoint, half_iou = sphere_setup
    assert 0.3 < half_iou < 0.7  # the test shape is what it claims to be
    json_path = evaluate(compose_config("eval", _eval_overrides(root, checkpoint, str(tmp_path))))
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1] == json_path == os.path.join(str(tmp_path), "metrics.json")
    with open(json_path) as handle:
        results = json.load(handle)
    assert results["per_class"]["full"] == pytest.approx(1.0)
    assert results["per_class"]["half"] == pytest.approx(half_iou)
    assert results["mean"] == pytest.approx((1.0 + half_iou) / 2)
    assert results["num_samples"] == {"full": 2 * NUM_VIEWS, "half": 2 * NUM_VIEWS}
    assert results["checkpoint_iteration"] == 0
    assert results["mean_fscore"] > 0 and results["mean_chamfer"] >= 0
    for name in ("metrics.md", "metrics.csv", "samples.csv"):
        assert os.path.isfile(os.path.join(str(tmp_path), name))
    with open(os.path.join(str(tmp_path), "samples.csv")) as handle:
        assert len(handle.read().strip().splitlines()) == 1 + 4 * NUM_VIEWS
    assert "| full | full | 48 | 100.00 |" in "\n".join(printed)
    assert "60.15" not in "\n".join(printed)  # published figures only for the 13 ShapeNet classes


def test_evaluate_max_objects_and_missing_checkpoint(sphere_setup, tmp_path):
    root, checkpoint, _ = sphere_setup
    json_path = evaluate(
        compose_config("eval", _eval_overrides(root, checkpoint, str(tmp_path), "max_objects=1", "chamfer=false"))
    )
    with open(json_path) as handle:
        results = json.load(handle)
    assert results["num_samples"] == {"full": NUM_VIEWS, "half": NUM_VIEWS}
    assert "mean_chamfer" not in results
    missing = str(tmp_path / "no_such_checkpoint.pt")
    with pytest.raises(CheckpointError, match="no_such_checkpoint.pt"):
        evaluate(compose_config("eval", _eval_overrides(root, missing, str(tmp_path))))
    with pytest.raises(ValueError, match="ckpt_path"):
        evaluate(compose_config("eval"))


def test_checkpoint_of_the_constant_model_loads_weights_only(sphere_setup):
    _, checkpoint, _ = sphere_setup
    state = load_checkpoint(checkpoint)
    assert state["config"]["model"]["template_level"] == TEMPLATE_LEVEL
    assert torch.count_nonzero(state["model"]["decoder.displacement_head.weight"]) == 0
