"""softrecon-train returns the validation IoU to Hydra: the Optuna sweeper example
(hydra/sweeper=optuna_val_iou) runs trials and reports the best one. Slow (two tiny
trainings in a subprocess); skipped where the optional extra softrecon[sweep] is not
installed."""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest
from tiny_runs import tiny_overrides

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _has_optuna_sweeper() -> bool:
    # find_spec of a dotted name imports its parent: without any Hydra plugin installed,
    # hydra_plugins itself is missing and find_spec raises instead of returning None.
    try:
        return importlib.util.find_spec("hydra_plugins.hydra_optuna_sweeper") is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(
    not _has_optuna_sweeper(),
    reason="hydra-optuna-sweeper not installed (pip install 'softrecon[sweep]')",
)
def test_the_optuna_example_maximizes_the_returned_validation_iou(tiny_dataset, tmp_path):
    overrides = [o for o in tiny_overrides(tiny_dataset, "unused", iterations=2) if not o.startswith("paths.run_dir")]
    overrides += ["trainer.val_every=100", "trainer.val_objects=1", f"paths.log_dir={tmp_path}"]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(
        [sys.executable, "-m", "softrecon.cli.train", "-m", "hydra/sweeper=optuna_val_iou", "hydra.sweeper.n_trials=2"]
        + overrides,
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ious = [
        float(v) for v in re.findall(r"validation voxel IoU ([0-9.]+) \(mean over classes, iteration 2\)", done.stdout)
    ]
    best = re.search(r"Best value: ([0-9.]+)", done.stdout + done.stderr)
    assert len(ious) == 2 and best is not None
    assert abs(float(best.group(1)) - max(ious)) < 1e-4
