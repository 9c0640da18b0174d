"""GenDR's whole family: every coverage CDF (both distance variants, squared and not) and
every T-conorm, on every back end (the C++ CPU kernel and the CUDA kernels, run on the
host by the emulation and on a GPU where one exists) against the dense reference in
float64, gradcheck, the T-conorms against their binary definitions, and GenDR's cut-off
with the error it states."""

import itertools
import math

import pytest
import torch
from kernel_helpers import TOLERANCE, assert_matches, kernel, random_scene, reference, render_with_grads

from softrecon.renderer import AggrAlpha, DistCDF, RasterSettings, _kernels, rasterize_reference, soft_rasterize
from softrecon.renderer.cdfs import CDFS, Logistic
from softrecon.renderer.tconorms import TCONORM_PARAMETERS, TCONORMS, PairCoverage  # noqa: F401

# The modes GenDR adds to SoftRas' logistic / probabilistic sum.
NEW_CDFS = [m for m in DistCDF if m >= DistCDF.UNIFORM]
NEW_TCONORMS = [m for m in AggrAlpha if m >= AggrAlpha.FRANK] + [AggrAlpha.HAMACHER]
# A T-conorm per kind: strict products, the log-odds sums, a nilpotent one.
TCONORM_KINDS = ["prod", "einstein", "hamacher", "yager"]
# A CDF per kind: smooth with full support, bounded support, heavy tails, one-sided.
CDF_KINDS = ["logistic", "uniform", "cauchy", "exponential_rev"]

BACKENDS = [
    pytest.param("cpu", marks=pytest.mark.skipif(not _kernels.kernel_available("cpu"), reason="no CPU kernel")),
    pytest.param(
        "cuda_emulated", marks=pytest.mark.skipif(not _kernels.emulation_available(), reason="no CUDA emulation")
    ),
    pytest.param("cuda", marks=pytest.mark.skipif(not _kernels.kernel_available("cuda"), reason="no GPU")),
]


def scene_settings(**modes) -> RasterSettings:
    squared = modes.get("dist_squared", True)
    return RasterSettings(
        image_size=(13, 19), sigma=2e-2 if squared else 0.1, gamma=0.5, near=1.0, far=3.0,
        background=(0.1, 0.5, 0.9), double_sided=True, **modes,
    )  # fmt: skip


def backend_render(backend):
    def render(fv, fc, settings):
        device = torch.device("cuda" if backend == "cuda" else "cpu")
        return soft_rasterize(fv.to(device), None if fc is None else fc.to(device), settings, backend=backend).cpu()

    return render


def assert_parity(backend, settings, dtype=torch.float64, seed=24, tolerance=None):
    fv, fc = random_scene(2, 14, torch.Generator().manual_seed(seed), dtype=dtype)
    got = render_with_grads(backend_render(backend), fv, fc, settings)
    expected = render_with_grads(reference, fv, fc, settings)
    assert_matches([None if t is None else t.cpu() for t in got], expected, tolerance or TOLERANCE[dtype])


# ---------------------------------------------------------------- every mode, every back end
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("squared", [True, False])
@pytest.mark.parametrize("aggr_alpha", TCONORM_KINDS)
@pytest.mark.parametrize("dist_cdf", NEW_CDFS)
def test_every_new_cdf_matches_the_reference(backend, dist_cdf, aggr_alpha, squared):
    assert_parity(backend, scene_settings(dist_cdf=dist_cdf, aggr_alpha=aggr_alpha, dist_squared=squared))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("squared", [True, False])
@pytest.mark.parametrize("dist_cdf", CDF_KINDS)
@pytest.mark.parametrize("aggr_alpha", NEW_TCONORMS)
def test_every_new_tconorm_matches_the_reference(backend, aggr_alpha, dist_cdf, squared):
    assert_parity(backend, scene_settings(dist_cdf=dist_cdf, aggr_alpha=aggr_alpha, dist_squared=squared))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "aggr_alpha, tconorm_p",
    [("hamacher", 0.5), ("hamacher", 1.0), ("hamacher", 2.0), ("frank", 0.3), ("frank", 20.0), ("yager", 0.5),
     ("yager", 5.0), ("aczel_alsina", 0.5), ("dombi", 0.5), ("dombi", 1.0), ("schweizer_sklar", -0.3)],
)  # fmt: skip
def test_tconorm_parameters_match_the_reference(backend, aggr_alpha, tconorm_p):
    assert_parity(backend, scene_settings(aggr_alpha=aggr_alpha, tconorm_p=tconorm_p, dist_cdf="gaussian"))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "dist_cdf, dist_shape, dist_shift",
    [("gamma", 0.5, 0.5), ("gamma", 4.0, 2.0), ("gamma_rev", 0.7, 0.0), ("gamma_rev", 3.0, 0.5), ("levy", 2.0, 3.0),
     ("exponential", 2.0, 0.2), ("levy_rev", 2.0, 0.3)],
)  # fmt: skip
def test_distribution_parameters_match_the_reference(backend, dist_cdf, dist_shape, dist_shift):
    settings = scene_settings(dist_cdf=dist_cdf, dist_shape=dist_shape, dist_shift=dist_shift, aggr_alpha="prod")
    assert_parity(backend, settings)


@pytest.mark.parametrize("dist_func", ["barycentric", "hard"])
@pytest.mark.parametrize("aggr_alpha", ["prod", "frank", "dombi", "schweizer_sklar"])
def test_other_distances_match_the_reference(dist_func, aggr_alpha):
    for squared, dist_cdf in itertools.product([True, False], ["uniform", "gamma_rev"]):
        settings = scene_settings(dist_func=dist_func, aggr_alpha=aggr_alpha, dist_cdf=dist_cdf, dist_squared=squared)
        assert_parity("cpu", settings)


@pytest.mark.parametrize("dist_cdf", NEW_CDFS)
def test_float32_matches_the_reference(dist_cdf):
    settings = scene_settings(dist_cdf=dist_cdf, aggr_alpha="prod")
    # The reversed one-sided CDFs at shift 0 have their kink (the density jumps from 1 to
    # 0 for exponential_rev) on the edge itself: there a one-ulp change of x moves the
    # gradient by O(1), so float32 is held to 5e-5 (1.1e-5 measured) instead of 1e-5.
    tolerance = 5e-5 if dist_cdf in (DistCDF.EXPONENTIAL_REV, DistCDF.GAMMA_REV, DistCDF.LEVY_REV) else None
    assert_parity("cpu", settings, dtype=torch.float32, tolerance=tolerance)


@pytest.mark.parametrize("aggr_alpha", NEW_TCONORMS)
def test_float32_tconorms_match_the_reference(aggr_alpha):
    assert_parity("cpu", scene_settings(aggr_alpha=aggr_alpha, dist_cdf="logistic"), dtype=torch.float32)


# ---------------------------------------------------------------- gradcheck
def gradcheck(render, settings):
    fv, fc = random_scene(1, 4, torch.Generator().manual_seed(15), special_faces=False)
    fv.requires_grad_(True)
    fc.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v, c: render(v, c, settings), (fv, fc), eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("squared", [True, False])
@pytest.mark.parametrize("dist_cdf", NEW_CDFS)
def test_gradcheck_every_new_cdf(dist_cdf, squared):
    gradcheck(
        kernel, scene_settings(dist_cdf=dist_cdf, dist_eps=1e-6, dist_squared=squared).replace(image_size=(9, 12))
    )


@pytest.mark.parametrize("aggr_alpha", NEW_TCONORMS)
@pytest.mark.parametrize("dist_cdf", ["logistic", "cubic_hermite"])
def test_gradcheck_every_new_tconorm(aggr_alpha, dist_cdf):
    gradcheck(
        kernel, scene_settings(aggr_alpha=aggr_alpha, dist_cdf=dist_cdf, dist_eps=1e-6).replace(image_size=(9, 12))
    )


@pytest.mark.parametrize("aggr_alpha", ["frank", "schweizer_sklar"])
def test_gradcheck_reference(aggr_alpha):
    settings = scene_settings(aggr_alpha=aggr_alpha, dist_cdf="gudermannian", dist_eps=1e-6, dist_squared=False)
    gradcheck(rasterize_reference, settings.replace(image_size=(7, 8)))


@pytest.mark.parametrize("dist_cdf", NEW_CDFS)
@pytest.mark.parametrize("sigma", [1e-4, 1e-7])
def test_no_nan_deep_inside_and_far_outside(dist_cdf, sigma):
    """Tiny sigma: x reaches 1e5 inside faces (1 - D underflows or is exactly 0) and the
    cut-off spans the image for the heavy tails."""
    for dtype, aggr_alpha in itertools.product((torch.float32, torch.float64), ("prod", "einstein", "hamacher", "frank", "yager", "schweizer_sklar")):  # fmt: skip
        fv, fc = random_scene(2, 14, torch.Generator().manual_seed(26), dtype=dtype)
        settings = RasterSettings(
            image_size=(16, 16), sigma=sigma, gamma=1e-3, near=1.0, far=3.0, dist_cdf=dist_cdf, aggr_alpha=aggr_alpha
        )
        for tensor in render_with_grads(kernel, fv, fc, settings):
            assert torch.isfinite(tensor).all()


# ---------------------------------------------------------------- the tables' pieces
def folded(aggr_alpha: AggrAlpha, p: float, coverages):
    """GenDR's binary T-conorm S(a, b) folded over the coverages (its definitions, on the
    complements a' = 1 - a as T-norms), in float64 Python."""

    def tnorm(a, b):
        if aggr_alpha == AggrAlpha.HAMACHER:
            return a * b / (p + (1 - p) * (a + b - a * b)) if p > 0 or a + b - a * b > 0 else 0.0
        if aggr_alpha == AggrAlpha.FRANK:
            return math.log1p((p**a - 1) * (p**b - 1) / (p - 1)) / math.log(p)
        if aggr_alpha == AggrAlpha.YAGER:
            return max(0.0, 1 - ((1 - a) ** p + (1 - b) ** p) ** (1 / p))
        if aggr_alpha == AggrAlpha.ACZEL_ALSINA:
            return math.exp(-(((-math.log(a)) ** p + (-math.log(b)) ** p) ** (1 / p)))
        if aggr_alpha == AggrAlpha.DOMBI:
            return 1 / (1 + (((1 - a) / a) ** p + ((1 - b) / b) ** p) ** (1 / p))
        if aggr_alpha == AggrAlpha.SCHWEIZER_SKLAR:
            return (a**p + b**p - 1) ** (1 / p)
        raise AssertionError(aggr_alpha)

    complement = 1.0
    for coverage in coverages:
        complement = tnorm(complement, 1.0 - coverage)
    return 1.0 - complement


@pytest.mark.parametrize("aggr_alpha", NEW_TCONORMS)
def test_generators_give_gendrs_binary_tconorms(aggr_alpha):
    """The reference's generator forms equal GenDR's pairwise definitions, folded."""
    default = TCONORM_PARAMETERS[aggr_alpha][0]
    for p in {default, -0.5, -3.0} if default < 0 else {default, 0.5, 3.0}:
        for coverages in ([0.3], [0.2, 0.7], [0.05, 0.4, 0.6], [1e-4, 2e-3, 0.1, 0.3]):
            x = torch.tensor([[coverages]], dtype=torch.float64).logit()  # logistic: D = sigmoid(x)
            coverage, log_miss = Logistic.coverage_and_log_miss(x)
            pairs = PairCoverage(
                coverage, log_miss, x, x > 0, torch.ones_like(x, dtype=torch.bool), Logistic(), len(coverages), p
            )
            alpha = TCONORMS[aggr_alpha](pairs).item()
            assert alpha == pytest.approx(folded(aggr_alpha, p, coverages), rel=1e-9, abs=1e-13), (p, coverages)


@pytest.mark.parametrize("dist_cdf", NEW_CDFS)
def test_new_cdf_pieces_agree(dist_cdf):
    """F(0) is at_zero; D, log(1 - D) and the log-odds agree; the CDF rises; the quantile
    inverts D up to the rounding of x itself; the density the kernel uses is dD/dx."""
    cdf = CDFS[dist_cdf]()
    x = torch.linspace(-30.0, 30.0, 6001, dtype=torch.float64, requires_grad=True)
    coverage, log_miss = cdf.coverage_and_log_miss(x)
    assert torch.all(coverage[1:] >= coverage[:-1])
    moderate = (coverage > 1e-6) & (coverage < 1 - 1e-6)
    torch.testing.assert_close(log_miss[moderate], torch.log1p(-coverage[moderate]), rtol=1e-9, atol=1e-12)
    log_odds = cdf.log_odds(x, coverage, log_miss)
    torch.testing.assert_close(
        log_odds[moderate], (coverage.log() - torch.log1p(-coverage))[moderate], rtol=1e-8, atol=1e-9
    )
    assert cdf.coverage_and_log_miss(torch.zeros(1, dtype=torch.float64))[0].item() == pytest.approx(cdf.at_zero)
    (density,) = torch.autograd.grad(coverage.sum(), x)
    assert torch.isfinite(density).all() and (density >= 0).all()
    for probability in (1e-10, 1e-3, 0.5 * cdf.at_zero):
        q = torch.tensor([cdf.quantile(probability)], dtype=torch.float64, requires_grad=True)
        back = cdf.coverage_and_log_miss(q)[0]
        (slope,) = torch.autograd.grad(back.sum(), q)
        rounding = 4e-16 * max(1.0, abs(q.item())) * slope.item()  # what one ulp of x moves D
        assert abs(back.item() - probability) <= 1e-9 * probability + rounding


def test_settings_refuse_parameters_outside_their_domain():
    with pytest.raises(ValueError, match="tconorm_p must be > 0 and != 1 for aggr_alpha='frank'"):
        RasterSettings(aggr_alpha="frank", tconorm_p=1.0)
    with pytest.raises(ValueError, match="tconorm_p must be < 0"):
        RasterSettings(aggr_alpha="schweizer_sklar", tconorm_p=0.5)
    with pytest.raises(ValueError, match="dist_shift"):
        RasterSettings(dist_cdf="exponential", dist_shift=0.0)  # F(0) = 0
    with pytest.raises(ValueError, match="dist_shape"):
        RasterSettings(dist_cdf="gamma", dist_shape=0.0)
    with pytest.raises(ValueError, match="cutoff_logit"):
        RasterSettings(cutoff_logit=-1.0)
    with pytest.raises(ValueError, match="dist_squared"):
        RasterSettings(dist_squared="yes")


# ---------------------------------------------------------------- GenDR's cut-off
@pytest.mark.parametrize("dist_cdf", ["cauchy", "reciprocal", "levy_rev"])
def test_gendr_cutoff_error_is_within_its_statement(dist_cdf):
    """With cutoff_logit, the skipped pairs have D <= dropped_coverage each, so 'prod' alpha
    moves by at most 1 - (1 - dropped)^F; the kernel still matches the reference."""
    exact = RasterSettings(image_size=24, sigma=1e-3, near=1.0, far=3.0, dist_cdf=dist_cdf)
    cut = exact.replace(cutoff_logit=300.0)
    assert cut.cutoff_squared == pytest.approx(300.0 * 1e-3)
    assert cut.cutoff_squared < exact.cutoff_squared
    dropped = cut.dropped_coverage
    assert dropped == pytest.approx(CDFS[DistCDF[dist_cdf.upper()]]().coverage_and_log_miss(torch.tensor([-300.0], dtype=torch.float64))[0].item())  # fmt: skip
    fv, _ = random_scene(1, 14, torch.Generator().manual_seed(31))
    alpha_exact = rasterize_reference(fv, None, exact)[0, -1]
    alpha_cut = kernel(fv, None, cut)[0, -1]
    bound = 1.0 - (1.0 - dropped) ** fv.shape[1]
    assert (alpha_exact - alpha_cut).abs().max().item() <= bound
    assert (alpha_exact - alpha_cut).abs().max().item() > 0  # it does drop something
    assert_parity("cpu", scene_settings(dist_cdf=dist_cdf, cutoff_logit=50.0))
