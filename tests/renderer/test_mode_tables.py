"""The tables of modes (distances.py, cdfs.py, tconorms.py): every enum value has its
piece, and each piece agrees with the facts the rest of the renderer relies on."""

import pytest
import torch

from softrecon.renderer import AggrAlpha, DistCDF, DistFunc, RasterSettings, rasterize_reference
from softrecon.renderer.cdfs import CDFS
from softrecon.renderer.distances import DISTANCES
from softrecon.renderer.tconorms import TCONORMS


@pytest.mark.parametrize("table, enum_cls", [(CDFS, DistCDF), (DISTANCES, DistFunc), (TCONORMS, AggrAlpha)])
def test_every_mode_has_its_piece(table, enum_cls):
    assert set(table) == set(enum_cls)


@pytest.mark.parametrize("dist_cdf", [m for m in DistCDF if m < DistCDF.UNIFORM])
def test_cdf_pieces_agree(dist_cdf):
    """F(0) is at_zero; D and log(1 - D) are consistent, the quantile inverts D, and the
    log-odds is log(D / (1 - D)), across the range the kernels evaluate (float64). GenDR's
    further CDFs: test_gendr_family.py (their quantiles near a bounded support's end are
    as exact as the rounding of x allows, no more)."""
    cdf = CDFS[dist_cdf]()
    x = torch.linspace(-30.0, 30.0, 601, dtype=torch.float64)
    coverage, log_miss = cdf.coverage_and_log_miss(x)
    assert cdf.coverage_and_log_miss(torch.zeros(1, dtype=torch.float64))[0].item() == pytest.approx(cdf.at_zero)
    moderate = (coverage > 1e-6) & (coverage < 1 - 1e-6)
    torch.testing.assert_close(log_miss[moderate], torch.log1p(-coverage[moderate]), rtol=1e-9, atol=1e-12)
    log_odds = cdf.log_odds(x, coverage, log_miss)
    torch.testing.assert_close(
        log_odds[moderate], (coverage.log() - torch.log1p(-coverage))[moderate], rtol=1e-8, atol=1e-10
    )
    assert torch.all(coverage[1:] >= coverage[:-1])  # a CDF
    for probability in (1e-10, 1e-3, 0.5 * cdf.at_zero):
        back = cdf.coverage_and_log_miss(torch.tensor([cdf.quantile(probability)], dtype=torch.float64))[0]
        assert back.item() == pytest.approx(probability, rel=1e-9)


@pytest.mark.parametrize("aggr_alpha", list(AggrAlpha))
def test_tconorm_of_one_face_is_its_coverage(aggr_alpha):
    """Every T-conorm of a single face gives that face's coverage ('sum' divides by F,
    'hard' thresholds it): the identity element of a T-conorm is 0."""
    settings = RasterSettings(image_size=16, sigma=2e-2, aggr_alpha=aggr_alpha, near=1.0, far=3.0)
    face = torch.tensor([[[[-0.6, -0.5, 2.0], [0.7, -0.4, 2.0], [0.0, 0.6, 2.0]]]], dtype=torch.float64)
    alpha = rasterize_reference(face, None, settings)[0, -1]
    coverage = rasterize_reference(face, None, settings.replace(aggr_alpha="prod"))[0, -1]
    expected = {AggrAlpha.HARD: (coverage > 0.5).double()}.get(aggr_alpha, coverage)
    torch.testing.assert_close(alpha, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dist_cdf", [DistCDF.LOGISTIC, DistCDF.GUMBEL_MAX])
@pytest.mark.parametrize("dist_func", list(DistFunc))
def test_a_pixel_on_an_edge_has_coverage_f_of_zero(dist_func, dist_cdf):
    """x = 0 exactly on an edge for both soft distances, so D = F(0) (the CDF's at_zero);
    'hard' counts the closed triangle as inside."""
    settings = RasterSettings(image_size=8, sigma=1e-2, dist_func=dist_func, dist_cdf=dist_cdf)
    # Row 3 of an 8 x 8 image has its pixel centres at y = 0.125: on this face's bottom edge.
    face = torch.tensor([[[[-1.0, 0.125, 2.0], [1.0, 0.125, 2.0], [0.0, 1.0, 2.0]]]], dtype=torch.float64)
    on_edge = rasterize_reference(face, None, settings)[0, -1, 3, 4].item()
    expected = 1.0 if dist_func == DistFunc.HARD else CDFS[dist_cdf].at_zero
    assert on_edge == pytest.approx(expected, rel=1e-12)
