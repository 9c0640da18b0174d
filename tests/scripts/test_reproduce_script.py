"""scripts/reproduce.py's orchestration, with the training and evaluation commands
replaced by fakes (no model is trained here)."""

import json
import os

import pytest
from script_helpers import load_script

from softrecon.experiments import tables


def test_reproduce_orchestration_with_fake_commands(tmp_path, monkeypatch):
    """Rows train once, a second call only collects, an interrupted row resumes from its
    checkpoints, a row trained with other overrides is refused, a failing row is
    reported in the table without stopping the others."""
    reproduce = load_script("reproduce")
    calls = []

    def fake_run(command, log_path):
        calls.append(command)
        args = dict(a.split("=", 1) for a in command[2:] if "=" in a)
        if command[1].endswith("train.py"):
            if "+ablation=no_flatten" in command:
                return 1  # this row's training fails
            run_dir = args.get("paths.run_dir") or args["ckpt_path"]
            os.makedirs(os.path.join(run_dir, "checkpoints"), exist_ok=True)
            return 0
        eval_dir = args["paths.run_dir"]
        os.makedirs(eval_dir, exist_ok=True)
        with open(os.path.join(eval_dir, "metrics.json"), "w") as handle:
            json.dump({"per_class": {"car": 0.25}, "mean": 0.25}, handle)
        return 0

    monkeypatch.setattr(reproduce, "_run", fake_run)
    out = tmp_path / "tables"
    argv = ["--table", "ablation", "--rows", "baseline,no_flatten,sigma_low", "--out", str(out), "--jobs", "2"]
    table_dir = out / "ablation" / "synthetic-quick"
    # sigma_low was interrupted earlier: it has checkpoints but no row record.
    (table_dir / "sigma_low" / "checkpoints").mkdir(parents=True)
    (table_dir / "sigma_low" / "checkpoints" / "step_000000003.pt").write_bytes(b"")
    markdown_path = reproduce.main(argv)
    text = open(markdown_path).read()
    assert "| baseline | 25.00 | 25.00 | done |" in text
    assert "| no_flatten |  |  | failed: training" in text
    assert "| no_flatten | `experiment=quick_cpu data=synthetic +ablation=no_flatten trainer.seed=0` |" in text
    trains = [c for c in calls if c[1].endswith("train.py")]
    assert len(trains) == 3
    sigma_low = next(c for c in trains if "+ablation=sigma_low" in c)
    assert f"ckpt_path={table_dir / 'sigma_low'}" in sigma_low  # resumed, not restarted
    record = json.loads((table_dir / "baseline" / "row.json").read_text())
    assert (
        record["overrides"][:3] == ["experiment=quick_cpu", "data=synthetic", "+ablation=baseline"]
        and record["seed"] == 0
    )
    assert (table_dir / "table.csv").exists()

    calls.clear()
    reproduce.main(argv)
    assert [c for c in calls if "+ablation=baseline" in c] == []  # trained and evaluated: nothing rerun
    assert any("+ablation=no_flatten" in c for c in calls)  # the failed row is tried again

    status = reproduce.run_row(
        tables.get_table("ablation").rows[0], reproduce.parse_args(argv + ["--seed", "5"]), str(table_dir), ["val"]
    )
    assert status.startswith("failed:") and "other overrides" in status


def test_reproduce_dry_run_and_bad_rows(capsys):
    reproduce = load_script("reproduce")
    assert reproduce.main(["--table", "gendr", "--budget", "paper", "--dry-run"]) == ""
    out = capsys.readouterr().out
    assert "estimated time: unknown" in out and "+gendr=cdf_cauchy" in out
    with pytest.raises(SystemExit, match="unknown rows"):
        reproduce.main(["--table", "main", "--rows", "shaded", "--dry-run"])
