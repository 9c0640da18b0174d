"""RasterSettings: validation, string/enum coercion, derived values."""

import math

import pytest

from softrecon.renderer import AggrAlpha, AggrRGB, DistFunc, RasterSettings


def test_defaults_and_derived_values():
    s = RasterSettings()
    assert s.image_size == (64, 64)
    assert (s.height, s.width) == (64, 64)
    assert s.dist_func is DistFunc.EUCLIDEAN and s.aggr_alpha is AggrAlpha.PROD and s.aggr_rgb is AggrRGB.SOFTMAX
    assert s.cutoff_squared == pytest.approx(1e-4 * math.log(1e10 - 1))
    assert s.cutoff_radius == pytest.approx(math.sqrt(s.cutoff_squared))


def test_strings_and_enums_are_both_accepted():
    a = RasterSettings(dist_func="Barycentric", aggr_alpha="sum", aggr_rgb="HARD")
    b = RasterSettings(dist_func=DistFunc.BARYCENTRIC, aggr_alpha=AggrAlpha.SUM, aggr_rgb=AggrRGB.HARD)
    assert a == b
    assert a.dist_func is DistFunc.BARYCENTRIC


def test_non_square_and_replace():
    s = RasterSettings(image_size=(32, 48))
    assert (s.height, s.width) == (32, 48)
    t = s.replace(sigma=3e-5)
    assert t.sigma == 3e-5 and t.image_size == (32, 48)
    with pytest.raises(ValueError, match="sigma"):
        s.replace(sigma=0)


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("dist_func", "manhattan", "dist_func.*'euclidean', 'barycentric', 'hard'"),
        ("aggr_alpha", "max", "aggr_alpha.*'prod', 'sum', 'hard'"),
        ("aggr_rgb", 3, "aggr_rgb.*'softmax', 'hard'"),
        ("sigma", -1.0, "sigma"),
        ("sigma", float("nan"), "sigma"),
        ("gamma", 0.0, "gamma"),
        ("dist_eps", 0.7, "dist_eps"),
        ("image_size", (0, 4), "image_size"),
        ("image_size", (4, 4, 4), "image_size"),
        ("image_size", "big", "image_size"),
        ("near", 200.0, "near"),
        ("background", (0.0, float("inf"), 0.0), "background"),
        ("double_sided", "yes", "double_sided"),
    ],
)
def test_bad_values_name_the_field(field, value, match):
    with pytest.raises(ValueError, match=match):
        RasterSettings(**{field: value})


def test_frozen():
    s = RasterSettings()
    with pytest.raises(Exception):
        s.sigma = 1.0  # type: ignore[misc]
