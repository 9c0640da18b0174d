"""scripts/reproduce.py's orchestration, with the training and evaluation commands
replaced by fakes (no model is trained here)."""

import json
import os
import shutil
import threading

import numpy as np
import pytest
from omegaconf import OmegaConf
from script_helpers import load_script

from softrecon.config import compose_config
from softrecon.experiments import catalogue, drift, run_folder
from softrecon.rundir.folder import CONFIG_FILE

_COMPOSING = threading.Lock()  # the fakes run in reproduce.py's threads; Hydra's composition is not thread-safe


def fake_train(command, run_dir):
    """What train.py leaves in a run folder that the orchestration reads: checkpoints/
    and config.yaml (the config its command composes to)."""
    os.makedirs(os.path.join(run_dir, "checkpoints"), exist_ok=True)
    with _COMPOSING:
        config = compose_config("train", [a for a in command[3:] if not a.startswith("ckpt_path=")])
    OmegaConf.save(config, os.path.join(run_dir, CONFIG_FILE), resolve=True)


def write_tiny_data(root, classes=("car",), value=1):
    """A dataset folder of one object per class and split (4 x 4 images): its content
    changes with ``value``."""
    from softrecon.dataset_builders import write_split

    os.makedirs(root, exist_ok=True)
    for class_id in classes:
        for split in ("train", "val", "test"):
            images = np.full((1, 24, 4, 4, 4), value, np.uint8)
            write_split(str(root), class_id, split, images, np.ones((1, 32, 32, 32), bool), formats=("npz",))
    return str(root)


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
            fake_train(command, args.get("paths.run_dir") or args["ckpt_path"])
            return 0
        eval_dir = args["paths.run_dir"]
        os.makedirs(eval_dir, exist_ok=True)
        with open(os.path.join(eval_dir, "metrics.json"), "w") as handle:
            json.dump({"per_class": {"car": 0.25}, "mean": 0.25}, handle)
        return 0

    monkeypatch.setattr(reproduce, "_run", fake_run)
    out = tmp_path / "tables"
    argv = [
        "--table",
        "ablation",
        "--rows",
        "baseline,no_flatten,sigma_low",
        "--out",
        str(out),
        "--jobs",
        "2",
        "--seeds",
        "0",
    ]
    table_dir = out / "ablation" / "synthetic-quick"
    # sigma_low was interrupted earlier: it has checkpoints but no row record.
    (table_dir / "sigma_low" / "checkpoints").mkdir(parents=True)
    (table_dir / "sigma_low" / "checkpoints" / "step_000000003.pt").write_bytes(b"")
    sigma_low = ["experiment=quick_cpu", "data=synthetic", "+ablation=sigma_low", "trainer.seed=0"]
    fake_train(["python", "train.py", *sigma_low], str(table_dir / "sigma_low"))
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

    baseline = catalogue.get_table("ablation").rows[0]
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
            fake_train(command, args["paths.run_dir"])
            return 0
        seed = json.loads(open(os.path.join(args["ckpt_path"], "row.json")).read())["seed"]
        os.makedirs(args["paths.run_dir"], exist_ok=True)
        with open(os.path.join(args["paths.run_dir"], "metrics.json"), "w") as handle:
            json.dump({"per_class": {"car": 0.5 + 0.1 * seed}, "mean": 0.5 + 0.1 * seed}, handle)
        return 0

    monkeypatch.setattr(reproduce, "_run", fake_run)
    out = tmp_path / "tables"
    table_dir = out / "ablation" / "synthetic-quick"
    reproduce.main(["--table", "ablation", "--rows", "baseline", "--out", str(out), "--seeds", "0"])
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


def _fake_commands(reproduce, monkeypatch):
    """Replace train.py and eval.py by fakes (``fake_train``, a metrics.json of IoU 0.5);
    returns the list of the commands run."""
    calls = []

    def fake_run(command, log_path):
        calls.append(command)
        args = dict(a.split("=", 1) for a in command[3:] if "=" in a)
        if command[2] == "softrecon.cli.train":
            fake_train(command, args.get("paths.run_dir") or args["ckpt_path"])
            return 0
        os.makedirs(args["paths.run_dir"], exist_ok=True)
        with open(os.path.join(args["paths.run_dir"], "metrics.json"), "w") as handle:
            json.dump({"per_class": {"car": 0.5}, "mean": 0.5}, handle)
        return 0

    monkeypatch.setattr(reproduce, "_run", fake_run)
    return calls


def test_reproduce_data_dir_reaches_training_and_evaluation(tmp_path, monkeypatch, capsys):
    """--data-dir is paths.data_dir of both commands, not part of the row's identity; the
    run records the data folder and its fingerprint, so the same data copied elsewhere
    is reused, while another folder or the folder rebuilt is refused (--collect marks it)."""
    reproduce = load_script("reproduce")
    calls = _fake_commands(reproduce, monkeypatch)
    datasets = tmp_path / "datasets"
    write_tiny_data(datasets / "realcad")
    out = tmp_path / "tables"
    argv = ["--table", "main", "--rows", "silhouette", "--data", "realcad", "--out", str(out), "--seeds", "0"]
    reproduce.main(argv + ["--data-dir", str(datasets)])
    assert len(calls) == 2 and all(f"paths.data_dir={datasets}" in c for c in calls)
    row_dir = out / "main" / "realcad-quick" / "silhouette"
    record = json.loads((row_dir / "row.json").read_text())
    assert not any(o.startswith("paths.data_dir") for o in record["overrides"])
    assert record["data"]["root"] == str(datasets / "realcad") and len(record["data"]["fingerprint"]) == 64
    assert json.loads((row_dir / "eval_val" / run_folder.EVAL_DATA_RECORD).read_text()) == record["data"]

    shutil.copytree(datasets, tmp_path / "copy")  # the same data, elsewhere: reused
    calls.clear()
    text = open(reproduce.main(argv + ["--data-dir", str(tmp_path / "copy")])).read()
    assert calls == [] and "| silhouette | 50.00 | 50.00 | done |" in text
    assert f"(folder {tmp_path / 'copy' / 'realcad'})" in text  # the heading names the folder read

    capsys.readouterr()
    for data_dir, reason in ((tmp_path / "elsewhere", "the data folder differs"), (None, "the data folder differs")):
        with pytest.raises(SystemExit, match="1 run folder"):
            reproduce.main(argv + ([] if data_dir is None else ["--data-dir", str(data_dir)]))
        err = capsys.readouterr().err
        assert f"silhouette: {reproduce.OTHER_DATA}: {reason}" in err
    write_tiny_data(tmp_path / "copy" / "realcad", value=2)  # rebuilt in place: other content
    with pytest.raises(SystemExit, match="1 run folder"):
        reproduce.main(argv + ["--data-dir", str(tmp_path / "copy")])
    assert "the content of the data differs" in capsys.readouterr().err
    text = open(reproduce.main(argv + ["--data-dir", str(tmp_path / "copy"), "--collect"])).read()
    assert f"| done, but {reproduce.OTHER_DATA} |" in text and calls == []

    # An evaluation made on other data than the run's (a rebuilt split) is made again,
    # the old one kept aside; --collect leaves it out of the table.
    (row_dir / "eval_val" / run_folder.EVAL_DATA_RECORD).write_text(json.dumps({"root": "/x", "fingerprint": "0" * 64}))
    text = open(reproduce.main(argv + ["--data-dir", str(datasets), "--collect"])).read()
    assert "| silhouette |  | val evaluated on other data |" in text  # no value left: no class column
    reproduce.main(argv + ["--data-dir", str(datasets)])
    assert [c[2] for c in calls] == ["softrecon.cli.eval"]
    assert [n for n in os.listdir(row_dir) if n.startswith("eval_val_superseded_")]
    assert json.loads((row_dir / "eval_val" / run_folder.EVAL_DATA_RECORD).read_text()) == record["data"]


def test_reproduce_overrides_of_the_data_reach_evaluation_too(tmp_path, monkeypatch):
    """--override data.class_ids=[...] scores the row on the classes it was trained on
    (it used to reach train.py only); settings of training alone stay with train.py. A
    row whose evaluation would read other data than its training stops before anything."""
    reproduce = load_script("reproduce")
    calls = _fake_commands(reproduce, monkeypatch)
    out = tmp_path / "tables"
    argv = ["--table", "main", "--rows", "silhouette", "--out", str(out), "--data-dir", str(tmp_path / "datasets")]
    argv += ["--seeds", "0"]
    reproduce.main(argv + ["--override", "data.class_ids=[car,cup]", "--override", "trainer.iterations=5"])
    train, evaluation = calls
    assert "data.class_ids=[car,cup]" in train and "trainer.iterations=5" in train
    assert "data.class_ids=[car,cup]" in evaluation and "trainer.iterations=5" not in evaluation

    original = reproduce._row_overrides
    monkeypatch.setattr(reproduce, "_row_overrides", lambda *a: original(*a) + ["data.fmt=hdf5"])  # as a row file could
    calls.clear()
    with pytest.raises(SystemExit, match=r"eval.py would score it on other data.*data.fmt: 'hdf5' vs 'auto'"):
        reproduce.main(argv + ["--rows", "color"])
    assert calls == []


def test_reproduce_refuses_a_run_folder_without_its_config(tmp_path, monkeypatch, capsys):
    """A run folder whose config.yaml is gone cannot be checked against its row: refused
    (finished or interrupted), not reused or resumed; --collect marks it."""
    reproduce = load_script("reproduce")
    calls = _fake_commands(reproduce, monkeypatch)
    out = tmp_path / "tables"
    argv = ["--table", "ablation", "--rows", "baseline,sigma_low", "--out", str(out), "--seeds", "0"]
    reproduce.main(argv + ["--rows", "baseline"])
    table_dir = out / "ablation" / "synthetic-quick"
    os.remove(table_dir / "baseline" / CONFIG_FILE)
    (table_dir / "sigma_low" / "checkpoints").mkdir(parents=True)  # interrupted, its config.yaml deleted
    calls.clear()
    with pytest.raises(SystemExit, match="2 run folder"):
        reproduce.main(argv)
    err = capsys.readouterr().err
    assert f"baseline: {reproduce.NO_CONFIG}: it holds row.json and checkpoints" in err
    assert f"sigma_low: {reproduce.NO_CONFIG}: it holds checkpoints" in err
    assert calls == []
    assert (
        f"| baseline | 50.00 | 50.00 | done, but {reproduce.NO_CONFIG} |"
        in open(reproduce.main(argv + ["--collect"])).read()
    )


def test_reproduce_refuses_a_run_trained_with_another_config(tmp_path, monkeypatch, capsys):
    """A run folder whose saved config differs from what its row composes to now (the
    row's file or its preset changed since) is not reused or resumed silently: the
    script stops before training anything and names the setting; --collect tabulates
    it, marked. Where the run lies (paths, data.root) and a config in an older layout
    are not differences."""
    reproduce = load_script("reproduce")
    monkeypatch.setattr(reproduce, "_run", lambda command, log_path: pytest.fail(f"ran {command}"))
    out = tmp_path / "tables"
    data = write_tiny_data(tmp_path / "datasets" / "generated" / "synthetic")
    argv = [
        "--table",
        "ablation",
        "--rows",
        "baseline,sigma_low",
        "--out",
        str(out),
        "--data-dir",
        str(tmp_path / "datasets"),
        "--seeds",
        "0",
    ]
    table_dir = out / "ablation" / "synthetic-quick"
    moved = {"root": "/moved/synthetic", "fingerprint": drift.data_identity({"root": data}, "/")["fingerprint"]}
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
        record = {"overrides": overrides, "seed": 0, "status": "done", "data": moved}  # the same data, moved since
        (run_dir / run_folder.ROW_RECORD).write_text(json.dumps(record))
        (run_dir / "eval_val" / "metrics.json").write_text(json.dumps({"per_class": {"car": 0.5}, "mean": 0.5}))

    with pytest.raises(SystemExit, match="1 run folder"):
        reproduce.main(argv)
    err = capsys.readouterr().err
    assert "sigma_low: trained with another config" in err and "renderer.sigma: 1e-06 -> " in err
    assert "baseline:" not in err

    text = open(reproduce.main(argv + ["--collect"])).read()
    assert "| baseline | 50.00 | 50.00 | done |" in text
    assert f"| sigma_low | 50.00 | 50.00 | done, but {reproduce.DRIFTED} |" in text


def test_seeds_default_to_three_at_the_quick_budget():
    """The intervals over seeds need several: three where a run is cheap, one otherwise."""
    reproduce = load_script("reproduce")
    assert reproduce.parse_args(["--table", "ablation"]).seeds == [0, 1, 2]
    assert reproduce.parse_args(["--table", "ablation", "--budget", "paper"]).seeds == [0]
    assert reproduce.parse_args(["--table", "ablation", "--seeds", "4"]).seeds == [4]


def test_reproduce_baseline_picks_the_row_the_others_are_paired_with(tmp_path, monkeypatch):
    """--baseline puts its row first and pairs the others with it (the same runs, another
    table with --collect); a baseline outside the chosen rows is refused, naming the option."""
    reproduce = load_script("reproduce")

    def fake_run(command, log_path):
        args = dict(a.split("=", 1) for a in command[3:] if "=" in a)
        if command[2] == "softrecon.cli.train":
            fake_train(command, args["paths.run_dir"])
            return 0
        record = json.loads(open(os.path.join(args["ckpt_path"], "row.json")).read())
        iou = (0.6 if "+ablation=aggr_sum" in record["overrides"] else 0.5) + 0.01 * record["seed"]
        os.makedirs(args["paths.run_dir"], exist_ok=True)
        with open(os.path.join(args["paths.run_dir"], "metrics.json"), "w") as handle:
            json.dump({"per_class": {"car": iou}, "mean": iou}, handle)
        return 0

    monkeypatch.setattr(reproduce, "_run", fake_run)
    argv = ["--table", "ablation", "--rows", "baseline,aggr_sum", "--out", str(tmp_path), "--seeds", "0,1"]
    text = open(reproduce.main(argv)).read()
    assert "paired difference to `baseline`" in text
    assert "| aggr_sum | 60.50 | [54.15, 66.85] |  | +10.00 | [+10.00, +10.00] |  | * |" in text
    text = open(reproduce.main([*argv, "--collect", "--baseline", "aggr_sum"])).read()
    assert "paired difference to `aggr_sum`" in text
    intervals = text[text.index("| row | mean |") :]
    assert intervals.index("| aggr_sum |") < intervals.index("| baseline |")  # the baseline first
    assert "| baseline | 50.50 | [44.15, 56.85] |  | -10.00 | [-10.00, -10.00] |  | * |" in text
    with pytest.raises(SystemExit, match="--baseline: 'sigma_low' is not among the chosen rows"):
        reproduce.main([*argv, "--collect", "--baseline", "sigma_low"])
