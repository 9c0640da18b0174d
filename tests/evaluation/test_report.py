"""Result tables: published figures only beside the 13 ShapeNet classes; CSV rows."""

import csv
import io

from softrecon.evaluation import report


def _results(class_ids):
    names = {f"class{k}": c for k, c in enumerate(class_ids)}
    per_class = {name: 0.5 + 0.01 * k for k, name in enumerate(names)}
    return {
        "per_class": per_class,
        "mean": sum(per_class.values()) / len(per_class),
        "class_ids": names,
        "num_samples": {name: 24 for name in names},
        "checkpoint_iteration": 250000,
    }


def test_shapenet_classes_get_the_published_means():
    table = report.markdown_table(_results(report.SHAPENET_CLASS_IDS))
    for figure in ("> 62", "64.64", "60.15", "**ours** (250000 iterations)"):
        assert figure in table
    assert "| class0 | 02691156 | 24 | 50.00 |" in table


def test_other_classes_get_no_published_figures_and_csv_has_a_mean_row():
    results = _results(["a", "b"])
    assert "60.15" not in report.markdown_table(results)
    rows = list(csv.reader(io.StringIO(report.csv_text(results))))
    assert rows[0] == ["class", "class_id", "samples", "iou"]
    assert rows[-1][0] == "mean" and float(rows[-1][3]) == results["mean"]
    assert len(rows) == 1 + 2 + 1
