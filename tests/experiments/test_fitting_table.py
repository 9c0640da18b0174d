"""The fitting table: its cases and overrides, the paired statistics over seeds and starts,
the refusal of a run made with other overrides, and one real (tiny) run of each fit."""

import json
import math
import os

import pytest

from softrecon.cli import reproduce
from softrecon.experiments import fitting_table as ft


def shape_metrics(sil, vox):
    return {"heldout_silhouette_iou": sil, "voxel_iou": vox}


def pose_metrics(seed, successes, errors):
    starts = [
        {"seed": seed + i, "success": s, "rotation_error_deg": e} for i, (s, e) in enumerate(zip(successes, errors))
    ]
    return {"starts": starts, "success_rate": sum(successes) / len(successes), "median_rotation_error_deg": 0.0}


def test_cases_cover_every_target_and_perturbation():
    cases = ft.fitting_cases(ft.BUDGETS["quick"])
    assert [c.kind for c in cases].count("shape") == len(ft.SHAPE_TARGETS)
    assert [c.kind for c in cases].count("pose") == len(ft.POSE_TARGETS) * len(ft.POSE_PERTURBATIONS)
    assert len({c.folder for c in cases}) == len(cases)
    for case in cases:
        target = next(o for o in case.overrides if o.startswith("target="))[len("target=") :]
        assert target == "builtin" or os.path.isfile(target), target


def test_pose_seeds_never_share_a_start_and_renderers_share_them():
    pose = next(c for c in ft.fitting_cases(ft.BUDGETS["quick"]) if c.kind == "pose")
    soft, nmr = ft.run_overrides(pose, "softras", 1), ft.run_overrides(pose, "nmr", 1)
    assert f"seed={ft.START_STRIDE}" in soft and f"seed={ft.START_STRIDE}" in nmr
    assert "renderer=nmr" in nmr and not any(o.startswith("renderer=") for o in soft)
    assert ft.BUDGETS["paper"].pose_starts < ft.START_STRIDE


def test_shape_rows_pair_the_same_seeds():
    case = ft.FitCase("shape", "cow", ())
    result = ft.CaseResult(
        case,
        {
            "softras": {0: shape_metrics(0.90, 0.80), 1: shape_metrics(0.92, 0.82), 2: shape_metrics(0.91, 0.84)},
            "nmr": {0: shape_metrics(0.85, 0.70), 1: shape_metrics(0.87, 0.72), 2: None},
        },
    )
    soft, nmr = ft.shape_rows(result)
    assert soft.silhouette_difference is None and soft.seeds == 3
    assert soft.voxel_iou.estimate == pytest.approx(0.82)
    assert nmr.seeds == 2
    # paired over seeds 0 and 1 only: both differences are exactly -0.05 / -0.10, so the interval is a point
    assert nmr.silhouette_difference.estimate == pytest.approx(-0.05)
    assert nmr.voxel_difference.estimate == pytest.approx(-0.10)
    assert nmr.voxel_difference.high == pytest.approx(-0.10) and nmr.voxel_difference.excludes_zero


def test_pose_rows_wilson_interval_and_paired_starts():
    case = ft.FitCase("pose", "builtin @ 60°", ())
    result = ft.CaseResult(
        case,
        {
            "softras": {0: pose_metrics(0, [True] * 8 + [False] * 2, [1.0] * 8 + [50.0] * 2)},
            "nmr": {0: pose_metrics(0, [True] * 3 + [False] * 7, [2.0] * 3 + [80.0] * 7)},
        },
    )
    soft, nmr = ft.pose_rows(result)
    assert soft.success.estimate == pytest.approx(0.8) and soft.starts == 10
    assert soft.success.low < 0.8 < soft.success.high < 1.0  # Wilson: inside [0, 1], not symmetric
    assert nmr.median_rotation_error == pytest.approx(80.0)
    assert nmr.success_difference.estimate == pytest.approx(-0.5)
    markdown = ft.markdown([result], "t")
    assert "| builtin @ 60° | nmr | 10 | 30.0 |" in markdown and "-50.0" in markdown and ft.READING in markdown
    result.metrics["nmr"] = {0: None}
    assert "| builtin @ 60° | nmr | 0 | not run |" in ft.markdown([result], "t")


def test_paired_success_difference_stays_inside_minus_one_to_one():
    """Newcombe's paired score interval, against values worked out separately (the
    Wilson limits from their closed form, then his method 10)."""
    # the cow at 30 degrees: the baseline succeeds from all 30 starts, the row from 2
    row = {k: k < 2 for k in range(30)}
    interval = ft.paired_proportion_interval(row, {k: True for k in range(30)})
    assert interval.estimate == pytest.approx(-28 / 30)
    assert interval.low == pytest.approx(-0.9815229762087296, abs=1e-9)
    assert interval.high == pytest.approx(-0.7479487473729152, abs=1e-9)
    assert -1 <= interval.low < interval.estimate < interval.high and interval.excludes_zero
    # correlated pairs (phi != 0): both succeed 12, row only 9, baseline only 2, neither 21
    row = {k: k < 21 for k in range(44)}
    baseline = {k: k < 12 or 21 <= k < 23 for k in range(44)}
    interval = ft.paired_proportion_interval(row, baseline)
    assert interval.estimate == pytest.approx(7 / 44)
    assert interval.low == pytest.approx(0.018210226243591948, abs=1e-9)
    assert interval.high == pytest.approx(0.28915665958827236, abs=1e-9)
    # identical outcomes: no difference, an interval around zero; no shared start: none
    same = {k: k % 3 == 0 for k in range(9)}
    interval = ft.paired_proportion_interval(same, same)
    assert interval.estimate == 0 and interval.low < 0 < interval.high
    assert ft.paired_proportion_interval({0: True}, {1: True}) is None


def test_interval_excluding_zero_is_marked():
    assert ft._delta(ft.stats.Interval(-0.1, -0.2, -0.05)).endswith("*")
    assert not ft._delta(ft.stats.Interval(-0.1, -0.2, 0.05)).endswith("*")
    assert ft._delta(None) == "" and math.isnan(ft.proportion_interval(0, 0).estimate)


def test_a_run_with_other_overrides_is_refused(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / ft.METRICS_FILE).write_text("{}")
    (folder / ft.REQUEST_FILE).write_text(json.dumps({"overrides": ["steps=5"]}))
    assert ft.read_run(str(folder), ["steps=5"]) == {}
    with pytest.raises(ft.RequestMismatch, match="steps=6"):
        ft.read_run(str(folder), ["steps=6"])
    assert ft.read_run(str(tmp_path / "missing"), ["steps=5"]) is None


def test_requests_record_shipped_meshes_wherever_the_package_lies():
    case = next(c for c in ft.fitting_cases(ft.BUDGETS["quick"]) if c.name == "cow")
    recorded = ft.portable(ft.run_overrides(case, "softras", 0))
    assert f"target={ft.ASSETS_MARK}/cow/cow.obj" in recorded


@pytest.mark.parametrize(
    "option", [["--launcher", "slurm"], ["--override", "x=1"], ["--rows", "nope"], ["--baseline", "nmr"]]
)
def test_options_that_do_not_apply_are_refused(option, tmp_path):
    with pytest.raises(SystemExit):
        reproduce.main(["--table", "fitting", "--out", str(tmp_path), "--dry-run", *option])


def test_tiny_table_runs_both_fits_and_writes_the_table(tmp_path, monkeypatch):
    """A real table at a tiny budget (SoftRas only): each fit runs as the command does."""
    monkeypatch.setitem(ft.BUDGETS, "quick", ft.FittingBudget(shape_steps=2, pose_steps=2, pose_starts=2))
    monkeypatch.setattr(ft, "SHAPE_TARGETS", {"airplane": "airplane.ply"})
    monkeypatch.setattr(ft, "POSE_TARGETS", {"builtin": None})
    monkeypatch.setattr(ft, "POSE_PERTURBATIONS", (30.0,))
    path = reproduce.main(["--table", "fitting", "--out", str(tmp_path), "--seeds", "0", "--rows", "softras"])
    text = open(path, encoding="utf-8").read()
    assert "| airplane | softras | 1 |" in text and "| builtin @ 30° | softras | 2 |" in text
    csv_lines = open(os.path.join(os.path.dirname(path), "table.csv"), encoding="utf-8").read().splitlines()
    assert len(csv_lines) == 3
    # collected again without running: the same table
    assert (
        reproduce.main(["--table", "fitting", "--out", str(tmp_path), "--seeds", "0", "--rows", "softras", "--collect"])
        == path
    )
    assert open(path, encoding="utf-8").read() == text
