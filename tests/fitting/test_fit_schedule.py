import math

import pytest

from softrecon.fitting.schedule import geometric_anneal


def test_endpoints_and_geometric_midpoint():
    assert geometric_anneal(3e-4, 3e-5, 0, 11) == pytest.approx(3e-4)
    assert geometric_anneal(3e-4, 3e-5, 10, 11) == pytest.approx(3e-5)
    # Halfway in steps is the geometric mean of the endpoints.
    assert geometric_anneal(3e-4, 3e-5, 5, 11) == pytest.approx(math.sqrt(3e-4 * 3e-5))


def test_monotone_and_clamped_after_the_end():
    values = [geometric_anneal(1e-2, 1e-5, step, 20) for step in range(25)]
    assert all(a > b for a, b in zip(values[:19], values[1:20]))
    assert values[19:] == [pytest.approx(1e-5)] * 6


def test_single_step_gives_the_end_value():
    assert geometric_anneal(1.0, 0.5, 0, 1) == 0.5


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"start": 0.0, "end": 1.0, "step": 0, "num_steps": 2}, "start"),
        ({"start": 1.0, "end": float("nan"), "step": 0, "num_steps": 2}, "end"),
        ({"start": 1.0, "end": 1.0, "step": 0, "num_steps": 0}, "num_steps"),
        ({"start": 1.0, "end": 1.0, "step": -1, "num_steps": 2}, "step"),
    ],
)
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        geometric_anneal(**kwargs)
