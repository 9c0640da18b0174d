"""GenDR's grid read as a grid: the rows' factors from their config files, the matrix of
means, and each distribution's mean over the T-conorms paired with the reference's."""

import pytest

from softrecon.experiments import catalogue, grid, render, statistics
from softrecon.experiments.catalogue import DISTRIBUTION, T_CONORM, Row
from softrecon.experiments.collect import RowResult, combine_seeds

SEEDS = (0, 1, 2)


def cell(distribution, t_conorm, means, objects=None, name=None):
    """A combined grid row: ``means[seed]`` its mean IoU per seed; ``objects(seed)`` its
    per-object IoUs of class 'a' (None: not recorded)."""
    row = Row(
        name or f"grid_{distribution}_{t_conorm}",
        "silhouette",
        (),
        "",
        ((DISTRIBUTION, distribution), (T_CONORM, t_conorm)),
    )
    runs = []
    for seed, mean in zip(SEEDS, means):
        per_object = {"val": {"a": objects(seed)}} if objects else {}
        runs.append(RowResult(row, "done", {"val": {"a": mean, "mean": mean}}, {"seed": seed}, per_object=per_object))
    return combine_seeds(runs)


def uniform_objects(value):
    return lambda seed: {"o1": value + 0.01 * seed, "o2": value - 0.02 + 0.01 * seed}


def test_every_gendr_grid_row_is_one_cell_of_a_complete_grid():
    rows = [row for row in catalogue.get_table("gendr").rows if row.name.startswith(catalogue.GRID_PREFIX)]
    cells = [(dict(row.factors)[DISTRIBUTION], dict(row.factors)[T_CONORM]) for row in rows]
    assert len(set(cells)) == len(cells) == 30
    distributions = {d for d, _ in cells}
    assert {t for _, t in cells} == {"prod", "einstein", "yager"}
    assert len(distributions) == 10 and {"uniform", "logistic", "cauchy_squares"} <= distributions
    assert ("uniform", "yager") in cells
    assert all(not row.factors for row in catalogue.get_table("gendr").rows if not row.name.startswith("grid_"))


def test_grid_factors_refuse_a_grid_file_without_its_renderer_keys(tmp_path):
    path = tmp_path / "grid_x_prod.yaml"
    path.write_text("# @package _global_\nrenderer:\n  dist_cdf: uniform\n")
    with pytest.raises(ValueError, match="grid_x_prod.yaml.*aggr_alpha"):
        catalogue.grid_factors(str(path))


def test_mean_over_t_conorms_pairs_seeds_and_objects_with_the_reference():
    results = [
        cell("logistic", "prod", [0.60, 0.61, 0.62], uniform_objects(0.6)),
        cell("logistic", "yager", [0.58, 0.60, 0.59], uniform_objects(0.6)),
        cell("uniform", "prod", [0.55, 0.57, 0.56], uniform_objects(0.5)),
        cell("uniform", "yager", [0.57, 0.56, 0.58], uniform_objects(0.5)),
        cell("gaussian", "prod", [0.70, 0.70, 0.70], uniform_objects(0.7)),  # no yager: not averaged
    ]
    lines = grid.grid_lines(results, "val")
    text = "\n".join(lines)
    assert "| distribution | prod | yager |" in text
    assert "| gaussian | **70.00** |  |" in text  # the best of its column in bold, the missing cell empty
    assert "| logistic | 61.00 | **59.00** |" in text
    # per seed: uniform's mean over the two T-conorms minus the logistic's
    differences = [(0.55 + 0.57) / 2 - (0.60 + 0.58) / 2, (0.57 + 0.56) / 2 - (0.61 + 0.60) / 2, -0.035]
    expected = statistics.seed_interval(differences)
    averaged = lines[lines.index(next(line for line in lines if line.startswith("### Each distribution"))) :]
    uniform_line = next(line for line in averaged if line.startswith("| uniform |"))
    assert f"| {100 * expected.estimate:+.2f} | [{100 * expected.low:+.2f}, {100 * expected.high:+.2f}] |" in (
        uniform_line
    )
    assert "| [-10.00, -10.00] | *† |" in uniform_line  # every object 0.1 lower: a zero-width interval
    assert "Δ: paired difference to `logistic`" in text
    assert "Not averaged (a run missing under some T-conorm, or on a seed of `logistic`'s 0, 1, 2): gaussian." in text
    ranked = [line.split(" | ")[0] for line in averaged if line.startswith(("| logistic |", "| uniform |"))]
    assert ranked == ["| logistic", "| uniform"]  # best first


def test_averaged_runs_average_means_and_objects_per_seed():
    a = cell("uniform", "prod", [0.5, 0.6, 0.7], uniform_objects(0.5))
    b = cell("uniform", "yager", [0.7, 0.6, 0.5], uniform_objects(0.7))
    runs = grid.averaged_runs([a, b], "val", [0, 2])
    assert [run.seed for run in runs] == [0, 2]
    assert [run.mean for run in runs] == pytest.approx([0.6, 0.6])
    assert runs[1].per_object["a"]["o1"] == pytest.approx(0.62)


def test_the_baseline_cell_is_the_reference_and_rows_outside_the_grid_are_ignored():
    outside = combine_seeds(
        [
            RowResult(Row("cdf_logistic", "silhouette", (), ""), "done", {"val": {"mean": 0.6}}, {"seed": s})
            for s in SEEDS
        ]
    )
    uniform = [cell("uniform", t, [0.5, 0.5, 0.5]) for t in ("prod", "yager")]
    logistic = [cell("logistic", t, [0.6, 0.61, 0.6]) for t in ("prod", "yager")]
    as_baseline = grid.grid_lines([uniform[0], outside, uniform[1], *logistic], "val")
    assert "Δ: paired difference to `uniform`" in "\n".join(as_baseline)
    assert "Δ: paired difference to `logistic`" in "\n".join(grid.grid_lines([outside, *uniform, *logistic], "val"))
    assert grid.grid_lines([outside, uniform[0]], "val") == []  # one cell: no grid


def test_without_a_complete_reference_nothing_is_paired():
    outside = combine_seeds(
        [
            RowResult(Row("cdf_logistic", "silhouette", (), ""), "done", {"val": {"mean": 0.6}}, {"seed": s})
            for s in SEEDS
        ]
    )
    uniform = [cell("uniform", t, [0.5] * 3) for t in ("prod", "yager")]
    lines = grid.grid_lines([outside, *uniform, cell("logistic", "prod", [0.6] * 3)], "val")
    assert "reference distribution `logistic` lacks a run" in "\n".join(lines)
    assert not any(line.startswith("| row |") for line in lines)


def test_a_distribution_short_of_a_seed_is_not_averaged_over_fewer():
    """Mid-queue: uniform's yager has seeds 0 and 1 only; its mean over the T-conorms would be
    over other seeds than the logistic's, so it is left out and named."""
    logistic = [cell("logistic", t, [0.6, 0.61, 0.6]) for t in ("prod", "yager")]
    short = cell("uniform", "yager", [0.5, 0.5])  # zip with SEEDS: seeds 0, 1
    lines = grid.grid_lines([*logistic, cell("uniform", "prod", [0.5] * 3), short], "val")
    assert "| uniform | 50.00 | 50.00 |" in lines  # the matrix shows its means over the seeds it has
    assert lines[-1].endswith("0, 1, 2): uniform.")
    assert not any(line.startswith("| uniform | 50.00 | [") for line in lines)


def test_the_table_markdown_carries_the_grid_after_its_intervals():
    results = [cell(d, t, [0.5, 0.55, 0.6]) for d in ("logistic", "uniform") for t in ("prod", "yager")]
    table = catalogue.Table("gendr", "GenDR", tuple(result.row for result in results), ())
    text = render.markdown(table, results, ["val"], "heading", "synthetic")
    assert text.index("Mean IoU with 95% intervals") < text.index("### The grid") < text.index("## Rows")
    plain = catalogue.Table("t", "t", (Row("a", "silhouette", (), ""),), ())
    plain_result = RowResult(plain.rows[0], "done", {"val": {"mean": 0.5}}, {"seed": 0})
    assert "### The grid" not in render.markdown(plain, [plain_result], ["val"], "heading", "synthetic")
