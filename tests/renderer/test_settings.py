"""RasterSettings: validation, string/enum coercion, derived values."""

import math

import pytest
import torch

from softrecon.renderer import AggrAlpha, AggrRGB, DistCDF, DistFunc, RasterSettings


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
        ("aggr_alpha", "or", "aggr_alpha.*'prod', 'sum', 'hard', 'max', 'einstein', 'hamacher'"),
        ("dist_cdf", "student", "dist_cdf.*'logistic', 'gaussian', 'laplace', 'cauchy', 'gumbel_max'"),
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


@pytest.mark.parametrize("dist_cdf", list(DistCDF))
@pytest.mark.parametrize("dist_eps", [1e-3, 1e-10])
def test_cutoff_is_where_the_cdf_reaches_dist_eps(dist_cdf, dist_eps):
    """D = F(-cutoff_squared / sigma) is dist_eps for every CDF: the exact tiling drops
    no face with D >= dist_eps."""
    s = RasterSettings(sigma=1e-4, dist_eps=dist_eps, dist_cdf=dist_cdf)
    coverage, log_miss = s.cdf.coverage_and_log_miss(torch.tensor([-s.cutoff_squared / s.sigma], dtype=torch.float64))
    # abs: near a bounded support's end (uniform at 1e-10) one ulp of x moves D by ~1e-16
    assert coverage.item() == pytest.approx(dist_eps, rel=1e-9, abs=2e-16)
    assert log_miss.item() == pytest.approx(math.log1p(-dist_eps), rel=1e-9)


@pytest.mark.parametrize(
    "dist_cdf, boundary", [("gumbel_max", math.exp(-1.0)), ("gumbel_min", -math.expm1(-1.0)), ("gaussian", 0.5)]
)
def test_dist_eps_must_be_below_the_boundary_coverage(dist_cdf, boundary):
    """The exact tiling assumes the cut-off lies outside the triangles: eps < F(0)."""
    RasterSettings(dist_cdf=dist_cdf, dist_eps=min(boundary, 0.5) * 0.99)  # dist_eps < 0.5 always
    if boundary < 0.5:
        with pytest.raises(ValueError, match="dist_eps must be below F"):
            RasterSettings(dist_cdf=dist_cdf, dist_eps=boundary * 1.01)
