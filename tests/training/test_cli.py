"""train.py and eval.py from the command line: their last lines are the run folder and the JSON path."""

import json
import os
import pathlib
import subprocess
import sys

from tiny_runs import tiny_overrides

ROOT = str(pathlib.Path(__file__).resolve().parents[2])


def _run(script, args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


def test_train_then_eval_from_the_command_line(tiny_dataset, tmp_path):
    overrides = tiny_overrides(tiny_dataset, "null", iterations=2)  # run_dir null: Hydra's folder
    overrides += [f"paths.log_dir={tmp_path / 'outputs'}", "trainer.num_threads=1"]
    run_dir = _run("train.py", overrides, str(tmp_path))
    assert run_dir.startswith(str(tmp_path / "outputs" / "train" / "runs"))
    assert os.path.isfile(os.path.join(run_dir, "checkpoints", "last.pt"))
    assert os.path.isdir(os.path.join(run_dir, ".hydra"))  # the run folder is Hydra's

    json_path = _run(
        "eval.py",
        [
            f"ckpt_path={run_dir}",
            f"data.root={tiny_dataset}",
            "data.synthetic=false",
            "data.eval_split=val",
            "max_objects=1",
            "chamfer=false",
            "progress=false",
            f"paths.log_dir={tmp_path / 'outputs'}",
        ],
        str(tmp_path),
    )
    assert json_path.startswith(str(tmp_path / "outputs" / "eval" / "runs")) and json_path.endswith("metrics.json")
    with open(json_path) as handle:
        results = json.load(handle)
    assert set(results["per_class"]) == {"c0", "c1"}
    assert all(0.0 <= v <= 1.0 for v in results["per_class"].values())
    assert abs(results["mean"] - sum(results["per_class"].values()) / 2) < 1e-12
