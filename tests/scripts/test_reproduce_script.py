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
        args = dict(a.split("=", 1) for a in command[3:] if "=" in a)
        if command[2] == "softrecon.cli.train":
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
    trains = [c for c in calls if c[2] == "softrecon.cli.train"]
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

    baseline = tables.get_table("ablation").rows[0]
    (table_dir / "baseline-seed5").mkdir()  # a run folder holding another row's record
    (table_dir / "baseline-seed5" / "row.json").write_text((table_dir / "baseline" / "row.json").read_text())
    status = reproduce.run_row(baseline, 5, reproduce.parse_args(argv), str(table_dir), ["val"])
    assert status.startswith("failed:") and "other overrides" in status


def test_reproduce_with_several_seeds(tmp_path, monkeypatch):
    """--seeds trains each row once per seed (seed 0 in the row's own folder, so a
    single-seed table's runs are reused), and the table shows the means over the seeds,
    their spread and the seeds; the CSV keeps every seed's values."""
    reproduce = load_script("reproduce")
    calls = []

    def fake_run(command, log_path):
        calls.append(command)
        args = dict(a.split("=", 1) for a in command[3:] if "=" in a)
        if command[2] == "softrecon.cli.train":
            os.makedirs(os.path.join(args["paths.run_dir"], "checkpoints"), exist_ok=True)
            return 0
        seed = json.loads(open(os.path.join(args["ckpt_path"], "row.json")).read())["seed"]
        os.makedirs(args["paths.run_dir"], exist_ok=True)
        with open(os.path.join(args["paths.run_dir"], "metrics.json"), "w") as handle:
            json.dump({"per_class": {"car": 0.5 + 0.1 * seed}, "mean": 0.5 + 0.1 * seed}, handle)
        return 0

    monkeypatch.setattr(reproduce, "_run", fake_run)
    out = tmp_path / "tables"
    table_dir = out / "ablation" / "synthetic-quick"
    reproduce.main(["--table", "ablation", "--rows", "baseline", "--out", str(out)])
    assert len([c for c in calls if c[2] == "softrecon.cli.train"]) == 1
    calls.clear()
    markdown_path = reproduce.main(["--table", "ablation", "--rows", "baseline", "--out", str(out), "--seeds", "0,1,2"])
    trains = [c for c in calls if c[2] == "softrecon.cli.train"]
    assert sorted(next(a for a in c if a.startswith("trainer.seed=")) for c in trains) == [
        "trainer.seed=1",
        "trainer.seed=2",
    ]  # seed 0 was trained already
    assert (table_dir / "baseline-seed2" / "row.json").exists()
    text = open(markdown_path).read()
    assert "| row | car | mean | sd | seeds | status |" in text
    assert "| baseline | 60.00 | 60.00 | 10.00 | 0 1 2 | done |" in text  # 50, 60, 70: mean 60, sd 10
    lines = (table_dir / "table.csv").read_text().splitlines()
    assert sum(line.startswith("baseline,val,mean,") for line in lines) == 3
    calls.clear()
    text = open(
        reproduce.main(
            ["--table", "ablation", "--rows", "baseline,aggr_sum", "--out", str(out), "--seeds", "0,1,2,3", "--collect"]
        )
    ).read()
    assert calls == []  # --collect trains and evaluates nothing
    assert "| baseline | 60.00 | 60.00 | 10.00 | 0 1 2 | not run (3/4 seeds done) |" in text
    assert "| aggr_sum |  |  |  |  | not run (0/4 seeds done) |" in text
    with pytest.raises(SystemExit):
        reproduce.parse_args(["--table", "main", "--seeds", "0,0"])
    with pytest.raises(SystemExit):
        reproduce.parse_args(["--table", "main", "--seeds", "one"])


def test_reproduce_dry_run_and_bad_rows(capsys):
    reproduce = load_script("reproduce")
    assert reproduce.main(["--table", "gendr", "--budget", "paper", "--dry-run"]) == ""
    out = capsys.readouterr().out
    assert "estimated time: unknown" in out and "+gendr=cdf_cauchy" in out
    with pytest.raises(SystemExit, match="unknown rows"):
        reproduce.main(["--table", "main", "--rows", "shaded", "--dry-run"])


def test_reproduce_data_dir_reaches_training_and_evaluation(tmp_path, monkeypatch):
    """--data-dir is paths.data_dir of both commands, and not part of the row's identity."""
    reproduce = load_script("reproduce")
    calls = []

    def fake_run(command, log_path):
        calls.append(command)
        args = dict(a.split("=", 1) for a in command[3:] if "=" in a)
        run_dir = args["paths.run_dir"]
        os.makedirs(run_dir, exist_ok=True)
        if command[2] == "softrecon.cli.eval":
            with open(os.path.join(run_dir, "metrics.json"), "w") as handle:
                json.dump({"per_class": {"car": 0.5}, "mean": 0.5}, handle)
        return 0

    monkeypatch.setattr(reproduce, "_run", fake_run)
    out = tmp_path / "tables"
    argv = ["--table", "main", "--rows", "silhouette", "--data", "realcad", "--out", str(out)]
    reproduce.main(argv + ["--data-dir", str(tmp_path / "datasets")])
    assert len(calls) == 2 and all(f"paths.data_dir={tmp_path / 'datasets'}" in c for c in calls)
    record = json.loads((out / "main" / "realcad-quick" / "silhouette" / "row.json").read_text())
    assert not any(o.startswith("paths.data_dir") for o in record["overrides"])
    calls.clear()
    assert "| silhouette | 50.00 | 50.00 | done |" in open(reproduce.main(argv)).read()  # same row, data elsewhere
    assert calls == []


def test_reproduce_refuses_a_run_trained_with_another_config(tmp_path, monkeypatch, capsys):
    """A run folder whose saved config differs from what its row composes to now (the
    row's file or its preset changed since) is not reused or resumed silently: the
    script stops before training anything and names the setting; --collect tabulates
    it, marked. Where the run lies (paths, data.root) and a config in an older layout
    are not differences."""
    from omegaconf import OmegaConf

    from softrecon.config import compose_config
    from softrecon.rundir.folder import CONFIG_FILE

    reproduce = load_script("reproduce")
    monkeypatch.setattr(reproduce, "_run", lambda command, log_path: pytest.fail(f"ran {command}"))
    out = tmp_path / "tables"
    argv = ["--table", "ablation", "--rows", "baseline,sigma_low", "--out", str(out)]
    table_dir = out / "ablation" / "synthetic-quick"
    for name in ("baseline", "sigma_low"):
        overrides = ["experiment=quick_cpu", "data=synthetic", f"+ablation={name}", "trainer.seed=0"]
        config = OmegaConf.to_container(compose_config("train", overrides), resolve=True)
        config["paths"]["run_dir"] = "/elsewhere"  # where a run lies is not what it is
        config["data"]["root"] = "/moved/synthetic"
        config["trainer"]["decay_at"] = config["schedule"].pop("decay_at")  # an older layout of the same value
        if name == "sigma_low":
            config["renderer"]["sigma"] = 1e-6  # the row's file changed since it was trained
        run_dir = table_dir / name
        (run_dir / "eval_val").mkdir(parents=True)
        OmegaConf.save(OmegaConf.create(config), run_dir / CONFIG_FILE)
        (run_dir / tables.ROW_RECORD).write_text(json.dumps({"overrides": overrides, "seed": 0, "status": "done"}))
        (run_dir / "eval_val" / "metrics.json").write_text(json.dumps({"per_class": {"car": 0.5}, "mean": 0.5}))

    with pytest.raises(SystemExit, match="1 run folder"):
        reproduce.main(argv)
    err = capsys.readouterr().err
    assert "sigma_low: trained with another config" in err and "renderer.sigma: 1e-06 -> " in err
    assert "baseline:" not in err

    text = open(reproduce.main(argv + ["--collect"])).read()
    assert "| baseline | 50.00 | 50.00 | done |" in text
    assert f"| sigma_low | 50.00 | 50.00 | done, but {reproduce.DRIFTED} |" in text
