"""The tables' intervals: the seed t interval, the stratified object bootstrap, the paired
differences and their marks, and the Markdown block."""

import math

import numpy as np
import pytest

from softrecon.experiments import statistics
from softrecon.experiments.statistics import RunStats


def test_seed_interval_is_students_t():
    interval = statistics.seed_interval([0.40, 0.42, 0.44])
    half = 4.302652729911275 * 0.02 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert interval.estimate == pytest.approx(0.42)
    assert (interval.low, interval.high) == pytest.approx((0.42 - half, 0.42 + half))
    one = statistics.seed_interval([0.5])
    assert one.estimate == 0.5 and math.isnan(one.low)


def per_object(values_by_class):
    return {name: {str(i): v for i, v in enumerate(values)} for name, values in values_by_class.items()}


def test_object_bootstrap_is_stratified_and_centred():
    rng = np.random.default_rng(1)
    objects = per_object({"a": rng.uniform(0.2, 0.4, 200), "b": rng.uniform(0.6, 0.8, 50)})
    interval = statistics.object_interval(objects)
    class_mean = (np.mean(list(objects["a"].values())) + np.mean(list(objects["b"].values()))) / 2
    assert interval.estimate == pytest.approx(class_mean)
    assert interval.low < class_mean < interval.high
    # the class mean's standard error: sqrt(var_a / 200 + var_b / 50) / 2 (uniform over 0.2: var 0.2^2 / 12)
    se = math.sqrt((0.04 / 12) / 200 + (0.04 / 12) / 50) / 2
    assert interval.high - interval.low == pytest.approx(2 * 1.96 * se, rel=0.15)
    assert statistics.object_interval(objects) == interval  # a fixed generator seed: reproducible


def test_paired_difference_cancels_what_both_rows_find_hard():
    """A row 1 point better on every object: the paired interval is tight about +0.01 and
    excludes zero, though the objects' spread is 20 points."""
    rng = np.random.default_rng(2)
    hard = rng.uniform(0.1, 0.9, 300)
    baseline = [RunStats(seed, float(hard.mean()), per_object({"a": hard})) for seed in (0, 1, 2)]
    better = [
        RunStats(seed, float(hard.mean()) + 0.01 + 0.001 * seed, per_object({"a": hard + 0.01})) for seed in (0, 1, 2)
    ]
    stats = statistics.row_stats(better, baseline)
    assert stats.difference_over_objects.estimate == pytest.approx(0.01)
    assert stats.difference_over_objects.high - stats.difference_over_objects.low < 1e-9
    assert stats.over_objects.high - stats.over_objects.low > 0.02  # unpaired: wide
    assert stats.difference_over_seeds.excludes_zero
    assert stats.marks == "*†"


def test_noise_is_not_marked():
    rng = np.random.default_rng(3)
    hard = rng.uniform(0.1, 0.9, 100)
    baseline = [
        RunStats(s, 0.50 + d, per_object({"a": hard + rng.normal(0, 0.05, 100)}))
        for s, d in enumerate((0.0, 0.01, -0.01))
    ]
    row = [
        RunStats(s, 0.50 + d, per_object({"a": hard + rng.normal(0, 0.05, 100)}))
        for s, d in enumerate((0.005, -0.01, 0.0))
    ]
    stats = statistics.row_stats(row, baseline)
    assert not stats.difference_over_seeds.excludes_zero
    assert stats.marks in ("", "†")  # the objects' interval alone may not decide it


def test_rows_without_per_object_iou_still_get_seed_intervals():
    runs = [RunStats(s, m, None) for s, m in enumerate((0.4, 0.41, 0.43))]
    stats = statistics.row_stats(runs, runs)
    assert math.isfinite(stats.over_seeds.low) and math.isnan(stats.over_objects.low)
    assert stats.difference_over_seeds.estimate == 0.0


def test_markdown_block_has_one_line_per_row_and_the_reading():
    runs = [RunStats(s, m, per_object({"a": [m, m + 0.1]})) for s, m in enumerate((0.4, 0.41, 0.43))]
    lines = statistics.markdown_lines(
        ["baseline", "other"], [statistics.row_stats(runs), statistics.row_stats(runs, runs)], "baseline"
    )
    assert statistics.READING in lines[0]
    assert lines[-2].startswith("| baseline | 41.33 |") and lines[-1].startswith("| other | 41.33 |")
    assert "+0.00" in lines[-1]
