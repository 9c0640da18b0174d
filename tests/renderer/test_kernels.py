"""The compiled CPU kernel against the dense reference (the oracle), the golden renders,
gradcheck, nasty inputs, determinism and multi-threading."""

import itertools
import os

import pytest
import torch
from kernel_helpers import (
    ALL_COMBOS,
    CDFS,
    GRADCHECK_COMBOS,
    TOLERANCE,
    assert_matches,
    kernel,
    nasty_faces,
    random_scene,
    reference,
    relative_error,
    render_with_grads,
    sphere_scene,
)  # fmt: skip

from softrecon.renderer import RasterSettings, _kernels, soft_rasterize

pytestmark = pytest.mark.skipif(not _kernels.kernel_available("cpu"), reason=_kernels.build_error() or "no CPU kernel")


def assert_parity(fv, fc, settings, tolerance):
    assert_matches(
        render_with_grads(kernel, fv, fc, settings), render_with_grads(reference, fv, fc, settings), tolerance
    )


@pytest.mark.parametrize("dist_func, aggr_alpha, aggr_rgb, double_sided", ALL_COMBOS)
def test_cpu_matches_reference_float64(dist_func, aggr_alpha, aggr_rgb, double_sided):
    fv, fc = random_scene(2, 14, torch.Generator().manual_seed(11))
    settings = RasterSettings(
        image_size=(13, 19), sigma=2e-2, gamma=0.2, near=1.0, far=3.0, background=(0.1, 0.5, 0.9),
        dist_func=dist_func, aggr_alpha=aggr_alpha, aggr_rgb=aggr_rgb, double_sided=double_sided,
    )  # fmt: skip
    assert_parity(fv, fc, settings, TOLERANCE[torch.float64])


@pytest.mark.parametrize(
    "dist_func, aggr_alpha, aggr_rgb",
    list(
        itertools.product(
            ["euclidean", "barycentric", "hard"],
            ["prod", "sum", "hard", "max", "einstein", "hamacher"],
            ["softmax", "hard"],
        )
    ),
)
def test_cpu_matches_reference_float32(dist_func, aggr_alpha, aggr_rgb):
    # gamma is kept large: the softmax weights exp(z / gamma) amplify a one-ulp difference
    # of z by 1 / gamma, which in float32 is a property of the function, not of the kernel.
    fv, fc = random_scene(2, 10, torch.Generator().manual_seed(12), dtype=torch.float32)
    settings = RasterSettings(
        image_size=(16, 11), sigma=1e-2, gamma=1.0, near=1.0, far=3.0, background=(0.3,),
        dist_func=dist_func, aggr_alpha=aggr_alpha, aggr_rgb=aggr_rgb, double_sided=True,
    )  # fmt: skip
    assert_parity(fv, fc, settings, TOLERANCE[torch.float32])


@pytest.mark.parametrize("aggr_rgb", ["softmax", pytest.param("hard", marks=pytest.mark.slow)])
def test_cpu_matches_reference_on_paper_sphere(aggr_rgb):
    """The paper's template sphere at 64 x 64 and the paper's sigma and eps."""
    fv, fc = sphere_scene(3, 1, torch.Generator().manual_seed(13))
    settings = RasterSettings(image_size=64, sigma=1e-4, gamma=1e-4, dist_eps=1e-10, aggr_rgb=aggr_rgb)
    assert_parity(fv, fc, settings, TOLERANCE[torch.float64])


def test_cpu_matches_reference_on_paper_sphere_float32_silhouettes():
    """The training load itself: float32 silhouettes of the paper's sphere (the path that
    skips, for well-shaped faces, the edges a pixel is inside of)."""
    fv, _ = sphere_scene(3, 2, torch.Generator().manual_seed(16))
    settings = RasterSettings(image_size=64, sigma=1e-4, dist_eps=1e-10)
    assert_parity(fv.float(), None, settings, TOLERANCE[torch.float32])


def test_cpu_matches_reference_with_wide_blur_and_alpha_only():
    """A blur wider than many tiles: binning must keep every face that can contribute."""
    fv, _ = random_scene(1, 6, torch.Generator().manual_seed(14), extent=0.3)
    settings = RasterSettings(image_size=(40, 24), sigma=5e-2, dist_eps=1e-12)
    assert settings.cutoff_radius > 1.0  # far larger than a tile
    assert_parity(fv, None, settings, TOLERANCE[torch.float64])


@pytest.mark.parametrize("dist_func, aggr_alpha, aggr_rgb", GRADCHECK_COMBOS)
def test_cpu_gradcheck(dist_func, aggr_alpha, aggr_rgb):
    fv, fc = random_scene(1, 4, torch.Generator().manual_seed(15), special_faces=False)
    fv.requires_grad_(True)
    fc.requires_grad_(True)
    settings = RasterSettings(
        image_size=(9, 12), sigma=2e-2, gamma=0.3, dist_eps=1e-6, near=1.0, far=3.0, background=(0.1, 0.2, 0.3),
        dist_func=dist_func, aggr_alpha=aggr_alpha, aggr_rgb=aggr_rgb, double_sided=True,
    )  # fmt: skip
    render = lambda v, c: kernel(v, c, settings)  # noqa: E731
    check = dict(eps=1e-6, atol=1e-6, rtol=1e-4)
    if aggr_rgb == "softmax":
        assert torch.autograd.gradcheck(render, (fv, fc), **check)
    else:  # hard colour: colour gradients, and geometry only through alpha
        assert torch.autograd.gradcheck(lambda v: render(v, fc.detach())[:, -1], (fv,), **check)
        assert torch.autograd.gradcheck(lambda c: render(fv.detach(), c), (fc,), **check)
        (grad,) = torch.autograd.grad(render(fv, fc)[:, :-1].sum(), fv)
        assert torch.equal(grad, torch.zeros_like(grad))


@pytest.mark.parametrize(
    "dist_func, aggr_alpha", [("hard", "prod"), ("hard", "sum"), ("euclidean", "hard"), ("hard", "hard")]
)
def test_cpu_hard_modes_zero_finite_alpha_gradient(dist_func, aggr_alpha):
    fv, _ = random_scene(2, 8, torch.Generator().manual_seed(16))
    fv.requires_grad_(True)
    settings = RasterSettings(image_size=12, sigma=1e-2, near=1.0, far=3.0, dist_func=dist_func, aggr_alpha=aggr_alpha)
    alpha = kernel(fv, None, settings)
    assert alpha.max() > 0
    (grad,) = torch.autograd.grad(alpha.sum(), fv)
    assert torch.isfinite(grad).all() and grad.abs().max() == 0


@pytest.mark.parametrize("sigma", [1e-2, 1e-4, 1e-7])
def test_cpu_no_nan_on_nasty_inputs(sigma):
    fv = nasty_faces()
    colors = torch.rand(2, fv.shape[1], 3, 3, generator=torch.Generator().manual_seed(17), dtype=torch.float64)
    for (dist_func, aggr_alpha, aggr_rgb), fc in itertools.product(GRADCHECK_COMBOS, (colors, None)):
        # fc None: alpha only, where the backward uses the forward's pair cache
        settings = RasterSettings(
            image_size=8, sigma=sigma, dist_func=dist_func, aggr_alpha=aggr_alpha, aggr_rgb=aggr_rgb
        )
        image, grad_v, grad_c = render_with_grads(kernel, fv, fc, settings)
        assert torch.isfinite(image).all() and torch.isfinite(grad_v).all()
        assert grad_c is None or torch.isfinite(grad_c).all()
        assert image[1, -1].abs().max() == 0  # the all-padding mesh renders nothing
        ref = render_with_grads(reference, fv, fc, settings)
        assert relative_error(image, ref[0]) < 1e-9 and relative_error(grad_v, ref[1]) < 1e-9


def test_cpu_empty_meshes_through_soft_rasterize():
    fv = torch.zeros(2, 0, 3, 3, dtype=torch.float64, requires_grad=True)
    image = soft_rasterize(fv, None, RasterSettings(image_size=(3, 5)), backend="cpu")
    assert image.shape == (2, 1, 3, 5) and image.abs().max() == 0
    image.sum().backward()
    assert fv.grad.shape == fv.shape


def test_cpu_only_requested_gradients():
    fv, fc = random_scene(1, 6, torch.Generator().manual_seed(18))
    fv.requires_grad_(True)
    image = kernel(fv, fc, RasterSettings(image_size=8, sigma=1e-2, near=1.0, far=3.0))
    image.sum().backward()
    assert fv.grad is not None and fc.grad is None


def test_cpu_backward_is_deterministic_across_runs_and_threads():
    fv, fc = sphere_scene(2, 2, torch.Generator().manual_seed(19))
    settings = RasterSettings(image_size=(72, 64), sigma=3e-4, gamma=1e-3)  # big enough for 2 threads
    previous = torch.get_num_threads()
    try:
        results = []
        for threads in (2, 2, 1):
            torch.set_num_threads(threads)
            results.append(render_with_grads(kernel, fv, fc, settings))
    finally:
        torch.set_num_threads(previous)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert torch.equal(a, b)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU core")
def test_cpu_kernel_runs_on_several_threads():
    """OpenMP is really on: the extension was compiled with it and two threads shaded tiles
    (counted by the kernel, not timed)."""
    fv, _ = sphere_scene(3, 16, torch.Generator().manual_seed(20))
    previous = torch.get_num_threads()
    torch.set_num_threads(2)  # other tests may have left torch on one thread
    try:
        stats = _kernels.kernel_statistics(fv, RasterSettings(image_size=64))
    finally:
        torch.set_num_threads(previous)
    assert stats["compiled_with_openmp"], "softrecon._C was built without -fopenmp"
    assert stats["openmp_max_threads"] >= 2
    assert stats["threads_used"] >= 2, stats


def test_cpu_binning_visits_only_nearby_faces():
    """On the paper's sphere the kernel evaluates under 2% of the dense (pixel, face)
    pairs (that no face that matters is dropped is what the parity tests show)."""
    fv, _ = sphere_scene(3, 1, torch.Generator().manual_seed(21))
    stats = _kernels.kernel_statistics(fv, RasterSettings(image_size=64, sigma=1e-4))
    dense_pairs = 64 * 64 * fv.shape[1]
    assert 0 < stats["pairs_evaluated"] <= stats["pairs_listed"] < dense_pairs
    assert stats["pairs_evaluated"] < dense_pairs / 50


@pytest.mark.parametrize("texture_res", [0, 3])
@pytest.mark.parametrize("aggr_rgb", ["softmax", "hard"])
def test_cpu_pixel_major_body_matches(aggr_rgb, texture_res):
    """shade_pixel (the CUDA forward's per-thread body), run on the CPU, gives exactly the
    faces-outer CPU loop's image and saved values: both add faces in ascending order."""
    fv, fc = random_scene(2, 14, torch.Generator().manual_seed(22))
    if texture_res:
        fc = torch.rand(2, 14, texture_res**2, 3, dtype=fv.dtype, generator=torch.Generator().manual_seed(23))
    settings = RasterSettings(image_size=(13, 19), sigma=2e-2, gamma=0.2, near=1.0, far=3.0, aggr_rgb=aggr_rgb)
    background = torch.tensor(settings.background, dtype=fv.dtype)
    outputs = []
    for pixel_major in (False, True):
        params = _kernels._params(settings)
        outputs.append(_kernels.extension_forward(params, fv, fc, background, pixel_major=pixel_major))
    for field in ("image", "aux", "winner"):
        assert torch.equal(getattr(outputs[0], field), getattr(outputs[1], field)), field


# ---------------------------------------------------------------- surface textures
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("resolution", [1, 2, 5])
@pytest.mark.parametrize("aggr_rgb", ["softmax", "hard"])
def test_cpu_matches_reference_with_surface_textures(aggr_rgb, resolution, dtype):
    """(N, F, R * R, C) textures: same texels, same colour and vertex gradients."""
    fv, _ = random_scene(2, 14, torch.Generator().manual_seed(17), dtype=dtype)
    textures = torch.rand(2, 14, resolution * resolution, 3, generator=torch.Generator().manual_seed(18)).to(dtype)
    settings = RasterSettings(
        image_size=(13, 19), sigma=2e-2, gamma=1.0, near=1.0, far=3.0, background=(0.1, 0.5, 0.9),
        aggr_rgb=aggr_rgb, double_sided=True,
    )  # fmt: skip
    assert_parity(fv, textures, settings, TOLERANCE[dtype])


def test_cpu_texture_of_resolution_one_is_a_flat_face_color():
    fv, _ = random_scene(2, 14, torch.Generator().manual_seed(19))
    flat = torch.rand(2, 14, 1, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(20))
    settings = RasterSettings(image_size=(13, 19), sigma=2e-2, gamma=0.5, near=1.0, far=3.0, background=(0.2,))
    as_texture = render_with_grads(kernel, fv, flat, settings)
    as_vertices = render_with_grads(kernel, fv, flat.expand(-1, -1, 3, -1).contiguous(), settings)
    assert torch.allclose(as_texture[0], as_vertices[0], rtol=0, atol=1e-14)
    assert torch.allclose(as_texture[1], as_vertices[1], rtol=0, atol=1e-12)
    assert torch.allclose(as_texture[2][:, :, 0], as_vertices[2].sum(2), rtol=0, atol=1e-14)


@pytest.mark.parametrize("aggr_rgb", ["softmax", "hard"])
def test_cpu_gradcheck_with_surface_texture(aggr_rgb):
    fv, _ = random_scene(1, 4, torch.Generator().manual_seed(15), special_faces=False)
    textures = torch.rand(1, 4, 9, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(21))
    fv.requires_grad_(True)
    textures.requires_grad_(True)
    settings = RasterSettings(
        image_size=(9, 12), sigma=2e-2, gamma=0.3, dist_eps=1e-6, near=1.0, far=3.0, double_sided=True,
        aggr_rgb=aggr_rgb, background=(0.2,),
    )  # fmt: skip
    assert torch.autograd.gradcheck(lambda v, t: kernel(v, t, settings), (fv, textures), eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("samples", [2, 5, 8])
def test_face_colors_with_neither_three_nor_square_samples_is_a_value_error(samples):
    fv, _ = random_scene(1, 4, torch.Generator().manual_seed(22))
    with pytest.raises(ValueError, match="face_colors"):
        soft_rasterize(fv, torch.rand(1, 4, samples, 3, dtype=torch.float64), RasterSettings(image_size=8))


# ---------------------------------------------------------------- GenDR coverage CDFs
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("dist_cdf", CDFS)
@pytest.mark.parametrize(
    "dist_func, aggr_alpha",
    [
        ("euclidean", "prod"),
        ("euclidean", "sum"),
        ("barycentric", "prod"),
        ("euclidean", "max"),
        ("euclidean", "einstein"),
        ("euclidean", "hamacher"),
    ],  # fmt: skip
)
def test_cpu_matches_reference_for_every_cdf(dist_func, aggr_alpha, dist_cdf, dtype):
    fv, fc = random_scene(2, 14, torch.Generator().manual_seed(24), dtype=dtype)
    settings = RasterSettings(
        image_size=(13, 19), sigma=2e-2, gamma=1.0, near=1.0, far=3.0, background=(0.1, 0.5, 0.9),
        dist_func=dist_func, aggr_alpha=aggr_alpha, dist_cdf=dist_cdf, double_sided=True,
    )  # fmt: skip
    assert_parity(fv, fc, settings, TOLERANCE[dtype])


@pytest.mark.parametrize("dist_cdf", CDFS[1:])
@pytest.mark.parametrize("aggr_alpha", ["prod", "einstein", "hamacher"])
def test_cpu_matches_reference_deep_inside_faces(dist_cdf, aggr_alpha):
    """sigma 1e-5 on the paper's sphere: x = d^2 / sigma reaches ~100 inside faces, where
    1 - D underflows (Gaussian: the continued-fraction hazard): prod's gradient must
    still be T f(x) / (1 - F(x)), and the Einstein sum's artanh D use log F(-x)."""
    fv, _ = sphere_scene(3, 1, torch.Generator().manual_seed(25))
    settings = RasterSettings(image_size=48, sigma=1e-5, dist_eps=1e-10, dist_cdf=dist_cdf, aggr_alpha=aggr_alpha)
    assert_parity(fv, None, settings, TOLERANCE[torch.float64])


@pytest.mark.parametrize("dist_cdf", CDFS[1:])
def test_cpu_gradcheck_for_every_cdf(dist_cdf):
    fv, fc = random_scene(1, 4, torch.Generator().manual_seed(15), special_faces=False)
    fv.requires_grad_(True)
    fc.requires_grad_(True)
    settings = RasterSettings(
        image_size=(9, 12),
        sigma=2e-2,
        gamma=0.3,
        dist_eps=1e-6,
        near=1.0,
        far=3.0,
        double_sided=True,
        dist_cdf=dist_cdf,
    )
    assert torch.autograd.gradcheck(lambda v, c: kernel(v, c, settings), (fv, fc), eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("dist_cdf", CDFS[1:])
@pytest.mark.parametrize("sigma", [1e-4, 1e-7])
def test_cpu_no_nan_for_every_cdf(dist_cdf, sigma):
    for dtype, aggr_alpha in itertools.product((torch.float32, torch.float64), ("prod", "einstein", "max", "hamacher")):
        fv, fc = random_scene(2, 14, torch.Generator().manual_seed(26), dtype=dtype)
        settings = RasterSettings(
            image_size=(16, 16), sigma=sigma, gamma=1e-3, near=1.0, far=3.0, dist_cdf=dist_cdf, aggr_alpha=aggr_alpha
        )
        for tensor in render_with_grads(kernel, fv, fc, settings):
            assert torch.isfinite(tensor).all()


# ---------------------------------------------------------------- the backward's pair cache
def _extension_gradients(fv, settings, cache_pairs, upstream):
    """Forward and backward through softrecon._C with the pair cache on or off."""
    params = _kernels._params(settings)
    state = _kernels.extension_forward(params, fv, fv.new_empty(0), fv.new_zeros(1), cache_pairs=cache_pairs)
    grad_v, _ = _kernels.extension_backward(params, upstream, fv, fv.new_empty(0), state, True, False)
    return state.image, grad_v, state.pair_code


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(
    "aggr_alpha, dist_cdf",
    [("prod", "logistic"), ("sum", "gaussian"), ("max", "laplace"), ("einstein", "logistic"), ("hamacher", "gaussian")],
)
def test_cpu_pair_cache_gives_the_same_bits(aggr_alpha, dist_cdf, dtype):
    """Alpha-only Euclidean renders keep one byte per evaluated pair for the backward
    (which edge is nearest, or none); the gradient must be bit-identical without it. The
    scene has a symmetric triangle whose axis runs through pixel centres, so that some
    pairs tie between two edges and take the recompute path."""
    fv, _ = random_scene(2, 14, torch.Generator().manual_seed(27), dtype=dtype)
    symmetric = torch.tensor([[-0.5, -0.4, 2.0], [0.0, 0.6, 2.0], [0.5, -0.4, 2.0]], dtype=dtype)  # axis x = 0
    fv = torch.cat([fv, symmetric.expand(2, 1, 3, 3)], dim=1).contiguous()
    settings = RasterSettings(
        image_size=(20, 20), sigma=2e-2, near=1.0, far=3.0, aggr_alpha=aggr_alpha, dist_cdf=dist_cdf
    )
    upstream = torch.randn(2, 1, 20, 20, generator=torch.Generator().manual_seed(28)).to(dtype)
    image, grad_cached, codes = _extension_gradients(fv, settings, True, upstream)
    image_plain, grad_plain, no_codes = _extension_gradients(fv, settings, False, upstream)
    code = _kernels._extension().PAIR_CODES
    assert codes.numel() > 0 and no_codes.numel() == 0
    assert (codes == code["RECOMPUTE"]).any(), "no tied pair: the recompute path went untested"
    assert (codes == code["ABSENT"]).any() and (codes >= code["OUTSIDE0"]).any()
    assert torch.equal(image, image_plain)
    assert torch.equal(grad_cached, grad_plain)


def test_cpu_pair_cache_is_kept_only_when_a_gradient_will_be_asked_for():
    fv, fc = random_scene(1, 6, torch.Generator().manual_seed(29))
    settings = RasterSettings(image_size=16, sigma=2e-2, near=1.0, far=3.0)
    for colors, dist_func, expected in [
        (None, "euclidean", True),
        (fc, "euclidean", False),
        (None, "barycentric", False),
    ]:
        params = _kernels._params(settings.replace(dist_func=dist_func))
        state = _kernels.extension_forward(
            params,
            fv,
            fv.new_empty(0) if colors is None else colors,
            fv.new_zeros(3 if colors is not None else 1),
            cache_pairs=True,
        )
        assert (state.pair_code.numel() > 0) == expected, (colors is not None, dist_func)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_cpu_matches_reference_on_random_slivers(dtype):
    """Faces squashed towards slivers of every thinness from 1 to 1e-6: the edge skipping
    must keep the reference's choices wherever its rounding could pick another edge."""
    for seed in range(12):
        gen = torch.Generator().manual_seed(1000 + seed)
        fv, _ = random_scene(1, 12, gen, dtype=dtype)
        for face, thinness in zip(torch.randint(0, 12, (4,), generator=gen).tolist(),
                                  (10 ** (-6 * torch.rand(4, generator=gen, dtype=torch.float64))).tolist()):  # fmt: skip
            a, b = fv[0, face, 0, :2].clone(), fv[0, face, 1, :2].clone()
            fv[0, face, 2, :2] = 0.5 * (a + b) + thinness * torch.stack([a[1] - b[1], b[0] - a[0]])
        settings = RasterSettings(
            image_size=(17, 15), sigma=1e-2 * (0.1 + torch.rand(1, generator=gen).item()), near=1.0, far=3.0
        )
        assert_parity(fv, None, settings, TOLERANCE[dtype])


def test_auto_backend_says_once_when_it_falls_back_to_the_reference(monkeypatch):
    """Without a compiled kernel, backend='auto' runs the (slow) dense reference and says so
    once per device type, naming the reason; with a kernel it says nothing."""
    import warnings

    from softrecon.renderer import _kernels, rasterize

    monkeypatch.setattr(rasterize, "_ANNOUNCED_FALLBACKS", set())
    monkeypatch.setattr(_kernels, "kernel_available", lambda device: False)
    monkeypatch.setattr(_kernels, "build_error", lambda: "softrecon._C could not be imported (test)")
    with pytest.warns(RuntimeWarning, match=r"could not be imported \(test\).*dense pure-PyTorch reference"):
        assert rasterize.resolve_backend(torch.device("cpu")) == "reference"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rasterize.resolve_backend(torch.device("cpu")) == "reference"  # said once already
        assert rasterize.resolve_backend(torch.device("cpu"), "reference") == "reference"
    monkeypatch.setattr(_kernels, "kernel_available", lambda device: True)
    monkeypatch.setattr(rasterize, "_ANNOUNCED_FALLBACKS", set())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rasterize.resolve_backend(torch.device("cpu")) == "cpu"
