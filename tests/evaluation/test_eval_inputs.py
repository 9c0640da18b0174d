"""Silent fallbacks of evaluation and data set-up become errors or recorded warnings
(docs/PROMISES.md): empty split, NaN in metrics.json, a class missing from a split, a
synthetic build into a mistyped data.root."""

import json
import os

import numpy as np
import pytest
from omegaconf import OmegaConf
from test_checkpoint_safety import VALID_MODEL

from softrecon.config import compose_config
from softrecon.dataset_builders import run_data, write_split
from softrecon.datasets import NUM_VIEWS
from softrecon.evaluation import evaluate
from softrecon.evaluation.report import write_json
from softrecon.models import build_model
from softrecon.training import save_checkpoint

SIZE = 16


def _checkpoint(folder) -> str:
    weights = build_model(VALID_MODEL).state_dict()
    return save_checkpoint(str(folder), 1, {"model": weights, "config": {"model": VALID_MODEL}}, keep=1)


def _write(root, class_id, split, count):
    os.makedirs(root, exist_ok=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (count, NUM_VIEWS, 4, SIZE, SIZE), dtype=np.uint8)
    write_split(str(root), class_id, split, images, np.ones((count, 8, 8, 8), bool), formats=("npz",))


def _eval(tmp_path, root, *extra):
    return compose_config(
        "eval",
        [
            f"ckpt_path={_checkpoint(tmp_path / 'run')}",
            f"data.root={root}",
            "data.synthetic=false",
            "data.eval_split=val",
            f"paths.run_dir={tmp_path / 'out'}",
            "progress=false",
            "device=cpu",
            "chamfer=false",
            *extra,
        ],
    )


def test_metrics_json_is_strict_json(tmp_path):
    path = str(tmp_path / "m.json")
    write_json(path, {"mean": float("nan"), "per_class": {"a": float("inf"), "b": 0.5}})
    with open(path) as handle:
        loaded = json.loads(handle.read(), parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert loaded == {"mean": None, "per_class": {"a": None, "b": 0.5}}


def test_an_empty_split_is_an_error(tmp_path):
    root = tmp_path / "data"
    _write(root, "c0", "train", 1)
    _write(root, "c0", "val", 0)
    with pytest.raises(ValueError, match="split 'val'.*no objects"):
        evaluate(_eval(tmp_path, root))
    assert not os.path.exists(tmp_path / "out" / "metrics.json")


def test_a_class_missing_from_the_split_is_named_in_the_log_and_in_metrics_json(tmp_path):
    root = tmp_path / "data"
    for class_id in ("c0", "c1"):
        _write(root, class_id, "train", 1)
    _write(root, "c0", "val", 1)  # c1's val file is missing
    with pytest.warns(UserWarning, match=r"\['c1'\].*none for split 'val'"):
        json_path = evaluate(_eval(tmp_path, root, "max_objects=1"))
    with open(json_path) as handle:
        results = json.load(handle)
    assert list(results["num_samples"]) == ["c0"] and "c1" in results["warnings"][0]


def test_a_synthetic_build_into_a_folder_of_other_files_is_refused(tmp_path, monkeypatch):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("my own data")
    cfg = OmegaConf.create({"root": str(tmp_path / "mine"), "synthetic": True, "class_ids": None, "fmt": "auto"})
    with pytest.raises(ValueError, match=r"data.synthetic=true but data.root=.*mine.*notes.txt"):
        run_data.ensure_run_data(cfg)
    built = []
    monkeypatch.setattr(run_data, "ensure_default_dataset", built.append)
    cfg.root = str(tmp_path / "typo")
    with pytest.warns(UserWarning, match=r"no dataset at .*typo; building the synthetic dataset there"):
        run_data.ensure_run_data(cfg)
    assert built == [str(tmp_path / "typo")]
