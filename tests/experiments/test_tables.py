"""Tests of softrecon.experiments (catalogue, budgets, planning, drift, collect, render): the table definitions compose as Hydra
configs, the time estimate, the collector on fake runs (scripts/reproduce.py's own test
is tests/scripts/test_reproduce_script.py)."""

import dataclasses
import json
import os

import pytest
from hydra import compose, initialize_config_dir

import softrecon.config  # noqa: F401  (registers the schemas)
from softrecon.experiments import budgets, catalogue, collect, drift, planning, render, run_folder
from softrecon.experiments.run_folder import RunFolder


@pytest.mark.parametrize("name, reference", [("ablation", "baseline"), ("gendr", "cdf_logistic")])
def test_group_tables_have_one_row_per_file_reference_first(name, reference):
    table = catalogue.get_table(name)
    files = sorted(f[:-5] for f in os.listdir(os.path.join(catalogue.CONFIG_DIR, name)) if f.endswith(".yaml"))
    assert sorted(row.name for row in table.rows) == files
    assert table.rows[0].name == reference
    assert all(row.description for row in table.rows)


def test_every_silhouette_row_composes_at_both_budgets():
    """Each row's overrides make a valid training config (schema-checked), and change
    what the row says it changes."""
    with initialize_config_dir(config_dir=catalogue.CONFIG_DIR, version_base="1.3"):
        for table_name in ("ablation", "gendr", "main"):
            for row in catalogue.get_table(table_name).rows:
                if row.kind != "silhouette":
                    continue
                for budget in budgets.BUDGETS.values():
                    cfg = compose("train", overrides=planning.train_overrides(row, budget, "synthetic", seed=3))
                    assert cfg.trainer.seed == 3 and cfg.trainer.iterations == budget.iterations
        cfg = compose(
            "train",
            overrides=planning.train_overrides(
                catalogue.Row("r", "silhouette", ("+ablation=barycentric",), ""),
                budgets.BUDGETS["paper"],
                "synthetic",
                0,
            ),
        )
        assert (
            cfg.renderer.dist_func == "barycentric"
            and cfg.data.root.endswith("synthetic")
            and cfg.data.batch_size == 64
        )
        cfg = compose("train", overrides=["+gendr=cdf_cauchy"])
        assert cfg.renderer.dist_cdf == "cauchy"


def test_bad_names():
    with pytest.raises(ValueError, match="table"):
        catalogue.get_table("appendix")
    with pytest.raises(ValueError, match="data"):
        planning.train_overrides(catalogue.get_table("ablation").rows[0], budgets.BUDGETS["quick"], "imagenet", 0)


def test_estimate(tmp_path):
    """The estimate counts only what is left (training, and each split to evaluate) at each
    model kind's measured cost, spread over the jobs but never below the longest run."""
    table = catalogue.get_table("main")
    silhouette, color = table.rows[:2]
    quick = budgets.BUDGETS["quick"]
    runs = [(silhouette, 0), (color, 0), (silhouette, 1)]
    _fake_row(tmp_path, "silhouette", (0.5, 0.7))  # seed 0 trained and evaluated on val only
    pending = planning.pending_work(str(tmp_path), runs, ["val", "test"])
    assert [(p.row.name, p.train, p.num_evals) for p in pending] == [
        ("silhouette", False, 1),
        ("color", True, 2),
        ("silhouette", True, 2),
    ]
    step, evaluation = quick.seconds_per_iteration, quick.eval_seconds
    unmeasured = dataclasses.replace(quick, eval_seconds=dict(evaluation, color=None))
    assert planning.estimate_seconds(pending, unmeasured, jobs=1) is None  # a cost never measured
    costs = [
        evaluation["silhouette"],
        2000 * step["color"] + 2 * evaluation["color"],
        2000 * step["silhouette"] + 2 * evaluation["silhouette"],
    ]
    assert planning.estimate_seconds(pending, quick, jobs=1) == pytest.approx(sum(costs))
    assert planning.estimate_seconds(pending, quick, jobs=3) == pytest.approx(max(costs))
    assert planning.estimate_seconds(pending, quick, jobs=1, iterations=40) < sum(costs)
    assert planning.estimate_seconds([], quick, jobs=1) == 0.0
    assert planning.estimate_seconds(pending, budgets.BUDGETS["paper"], 1) is None
    assert planning.iterations_of(quick, ["trainer.seed=1", "trainer.iterations=40"]) == 40


def test_row_step_factors():
    """A row known to cost more than its preset (measured) is estimated at that cost; the
    factors name real rows."""
    quick = budgets.BUDGETS["quick"]
    rows = {row.name: row for name in ("main", "ablation", "gendr") for row in catalogue.get_table(name).rows}
    for budget in budgets.BUDGETS.values():
        assert set(budget.row_step_factors) <= set(rows), "a step factor names no row"
    cauchy, logistic = rows["cdf_cauchy"], rows["cdf_logistic"]
    assert quick.seconds_per_step(logistic) == quick.seconds_per_iteration["silhouette"]
    assert quick.seconds_per_step(cauchy) == pytest.approx(
        quick.row_step_factors["cdf_cauchy"] * quick.seconds_per_iteration["silhouette"]
    )
    pending = [planning.PendingRun(cauchy, True, 0), planning.PendingRun(logistic, True, 0)]
    assert planning.estimate_seconds(pending, quick, jobs=2) == pytest.approx(2000 * quick.seconds_per_step(cauchy))


def _fake_row(folder, name, means, commit="abc123", splits=("val",)):
    row_dir = folder / name
    row_dir.mkdir(parents=True)
    (row_dir / run_folder.ROW_RECORD).write_text(
        json.dumps({"overrides": [f"+ablation={name}"], "commit": commit, "seed": 0, "status": "done"})
    )
    for split in splits:
        (row_dir / f"eval_{split}").mkdir()
        per_class = {"airplane": means[0], "car": means[1]}
        (row_dir / f"eval_{split}" / "metrics.json").write_text(
            json.dumps({"per_class": per_class, "mean": sum(means) / 2})
        )
    return row_dir


def test_collector_on_fake_runs(tmp_path):
    table = catalogue.get_table("ablation")
    rows = {row.name: row for row in table.rows}
    _fake_row(tmp_path, "baseline", (0.5, 0.7))
    _fake_row(tmp_path, "barycentric", (0.4, 0.6), splits=())
    results = [
        collect.read_row(str(tmp_path / name), rows[name], ["val"]) for name in ("baseline", "barycentric", "aggr_sum")
    ]
    assert [r.status for r in results] == ["done", "not evaluated", "not run"]
    assert results[0].iou["val"] == {"airplane": 0.5, "car": 0.7, "mean": pytest.approx(0.6)}
    text = render.markdown(table, results, ["val"], "heading")
    assert "| baseline | 50.00 | 70.00 | 60.00 | done |" in text
    assert "| aggr_sum |  |  |  | not run |" in text
    assert "> 62" in text and "SoftRas issue #75" in text  # the published figure and its source
    synthetic = render.markdown(table, results, ["val"], "heading", data="synthetic")
    assert "(published, val split)" not in synthetic and "not comparable with the synthetic data" in synthetic
    assert "`+ablation=baseline`" in text and "abc123" in text
    lines = render.csv_text(results, ["val"]).splitlines()
    assert lines[0] == "row,split,class,iou,status,commit,seed,overrides,config"
    assert "baseline,val,mean,0.6,done,abc123,0,+ablation=baseline," in lines
    assert any(line.startswith("aggr_sum,,,,not run") for line in lines)


def test_combine_seeds(tmp_path):
    """A row of several seeds: means over the seeds evaluated on each split, the sample
    standard deviation of the mean IoU, the seeds listed; a missing seed is named in the
    status and left out of the means."""
    table = catalogue.get_table("ablation")
    row = table.rows[0]
    _fake_row(tmp_path, "baseline", (0.5, 0.7))  # mean 0.6
    seed1 = _fake_row(tmp_path, "baseline-seed1", (0.6, 0.8))  # mean 0.7
    record = json.loads((seed1 / run_folder.ROW_RECORD).read_text())
    (seed1 / run_folder.ROW_RECORD).write_text(json.dumps(dict(record, seed=1)))
    assert RunFolder.name(row.name, 0) == "baseline" and RunFolder.name(row.name, 2) == "baseline-seed2"
    per_seed = [collect.read_row(str(tmp_path / RunFolder.name(row.name, seed)), row, ["val"]) for seed in (0, 1, 2)]
    combined = collect.combine_seeds(per_seed)
    assert combined.iou["val"] == {
        "airplane": pytest.approx(0.55),
        "car": pytest.approx(0.75),
        "mean": pytest.approx(0.65),
    }
    assert combined.spread["val"] == pytest.approx(0.0707107, rel=1e-5)  # stdev(0.6, 0.7)
    assert combined.seeds == [0, 1] and combined.status == "not run (2/3 seeds done)"
    text = render.markdown(table, [combined], ["val"], "heading", data="synthetic")
    assert "| baseline | 55.00 | 75.00 | 65.00 | 7.07 | 0 1 | not run (2/3 seeds done) |" in text
    assert collect.combine_seeds(per_seed[:1]) is per_seed[0]  # one seed: the row as it is


def test_the_colour_error_of_a_colour_row_is_collected(tmp_path):
    """A row whose metrics carry mean_color_error (the colour model) gets a colour-error
    column in the Markdown and a color_error line in the CSV; other rows leave it empty."""
    table = catalogue.get_table("main")
    silhouette, color = table.rows[:2]
    _fake_row(tmp_path, "silhouette", (0.5, 0.7))
    color_dir = _fake_row(tmp_path, "color", (0.4, 0.6))
    metrics = json.loads((color_dir / "eval_val" / "metrics.json").read_text())
    (color_dir / "eval_val" / "metrics.json").write_text(json.dumps(dict(metrics, mean_color_error=0.0214)))
    results = [collect.read_row(str(tmp_path / row.name), row, ["val"]) for row in (silhouette, color)]
    text = render.markdown(table, results, ["val"], "heading", data="synthetic")
    assert "| row | airplane | car | mean | colour error | status |" in text
    assert "| silhouette | 50.00 | 70.00 | 60.00 |  | done |" in text
    assert "| color | 40.00 | 60.00 | 50.00 | 0.0214 | done |" in text
    assert "color,val,color_error,0.0214,done" in render.csv_text(results, ["val"])


def test_config_drift():
    """Settings that differ are named with both values; where a run lies, and keys on one
    side only, are not differences."""
    trained = {"renderer": {"sigma": 1e-4, "gamma": 1e-4}, "paths": {"run_dir": "/a"}, "data": {"root": "/x", "n": 2}}
    current = {
        "renderer": {"sigma": 3e-5, "gamma": 1e-4, "new": 1},
        "paths": {"run_dir": "/b"},
        "data": {"root": "/y", "n": 2},
    }
    assert drift.config_drift(trained, current) == ["renderer.sigma: 0.0001 -> 3e-05"]
    assert drift.config_drift(current, current) == []
    assert drift.config_drift({"loss": {"w": [1, 2]}}, {"loss": {"w": [1, 3]}}) == ["loss.w: [1, 2] -> [1, 3]"]


def test_run_state_prints_and_compares_as_its_text():
    state = run_folder.RunState
    assert state.DONE == "done" and f"{state.NOT_RUN}" == "not run" and str(state.FAILED) == "failed"
    assert f"{state.DONE:>6s}" == "  done"
    assert state.FAILED.because("training (see x.log)") == "failed: training (see x.log)"
    assert json.dumps({"status": state.DONE}) == '{"status": "done"}'


def test_run_folder_layout(tmp_path):
    """The layout reproduce.py and the collector share: <row>[-seed<s>]/row.json, eval_<split>/..."""
    folder = RunFolder.of(str(tmp_path), "baseline", 2)
    assert folder.path == str(tmp_path / "baseline-seed2") and RunFolder.of(str(tmp_path), "b", 0).path.endswith("/b")
    assert not folder.trained() and folder.read_record() is None and not folder.has_checkpoints()
    os.makedirs(folder.path)
    folder.write_record({"status": run_folder.RunState.DONE.value, "seed": 2})
    assert folder.trained() and folder.read_record() == {"status": "done", "seed": 2}
    assert folder.metrics_path("val") == str(tmp_path / "baseline-seed2" / "eval_val" / "metrics.json")
    assert folder.eval_data_path("test").endswith("eval_test/data.json") and not folder.evaluated("val")
    assert folder.config_path.endswith("baseline-seed2/config.yaml")


def test_main_table_retrains_nmr_with_the_silhouette_rows_recipe():
    """The NMR row is the silhouette row's preset with only the renderer changed."""
    rows = {row.name: row for row in catalogue.get_table("main").rows}
    nmr = rows["nmr_retrained"]
    assert nmr.kind == rows["silhouette"].kind and nmr.overrides == (*rows["silhouette"].overrides, "renderer=nmr")
