"""The CUDA kernels and their orchestration against the dense reference and the CPU kernel,
forward and backward, float64 and float32, gradcheck, determinism, hostile inputs, launches
of many blocks, empty meshes and the golden cases.

Every test runs on each CUDA-like back end: 'cuda_emulated' (the same kernel source
compiled as host C++ and run thread by thread on the CPU, in every build: these run in the
default suite) and 'cuda' (the device, where a GPU and a CUDA build exist; skipped
elsewhere).
"""

import pytest
import torch
from kernel_helpers import (
    ALL_COMBOS,
    CDFS,
    GOLDEN_FILES,
    GRADCHECK_COMBOS,
    TOLERANCE,
    assert_matches,
    golden_alpha_and_grad,
    kernel,
    nasty_faces,
    random_scene,
    reference,
    relative_error,
    render_with_grads,
    sphere_scene,
)  # fmt: skip

from softrecon.renderer import RasterSettings, _kernels, soft_rasterize

BACKENDS = [
    pytest.param(
        "cuda_emulated",
        marks=pytest.mark.skipif(not _kernels.emulation_available(), reason=_kernels.build_error() or "not built"),
    ),
    pytest.param(
        "cuda",
        marks=[
            pytest.mark.cuda,
            pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
            pytest.mark.skipif(
                torch.cuda.is_available() and not _kernels.kernel_available("cuda"),
                reason=f"CUDA kernel not built: {_kernels.build_error()}",
            ),
        ],
    ),
]
# Threads per block of the one-dimensional kernels (kThreadsPerBlock in csrc/cuda/).
THREADS_PER_BLOCK = 256
# gradcheck in fast mode (random projections of the Jacobians): every mode stays covered
# at a small cost; test_kernels.py runs the full Jacobians of the shared bodies on the CPU.
GRADCHECK = dict(eps=1e-6, atol=1e-6, rtol=1e-4, fast_mode=True)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def device_of(backend):
    return torch.device("cuda" if backend == "cuda" else "cpu")


def on(backend, *tensors):
    """The tensors on the back end's device (None stays None)."""
    return [None if t is None else t.to(device_of(backend)) for t in tensors]


def renderer(backend):
    """soft_rasterize on ``backend`` (the public entry point, input checks included)."""
    return lambda fv, fc, settings: soft_rasterize(fv, fc, settings, backend=backend)


def render_on(backend, fv, fc, settings, **kwargs):
    """render_with_grads on the back end, results back on the CPU for comparison."""
    got = render_with_grads(renderer(backend), *on(backend, fv, fc), settings, **kwargs)
    for tensor in got:
        assert tensor is None or tensor.device.type == device_of(backend).type
    return [None if t is None else t.cpu() for t in got]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("dist_func, aggr_alpha, aggr_rgb, double_sided", ALL_COMBOS)
def test_matches_reference_and_cpu(backend, dist_func, aggr_alpha, aggr_rgb, double_sided, dtype):
    fv, fc = random_scene(2, 14, torch.Generator().manual_seed(31), dtype=dtype)
    settings = RasterSettings(
        image_size=(21, 35), sigma=2e-2, gamma=1.0 if dtype == torch.float32 else 0.2, near=1.0, far=3.0,
        background=(0.1, 0.5, 0.9), dist_func=dist_func, aggr_alpha=aggr_alpha, aggr_rgb=aggr_rgb,
        double_sided=double_sided,
    )  # fmt: skip
    got = render_on(backend, fv, fc, settings)
    assert_matches(got, render_with_grads(reference, fv, fc, settings), TOLERANCE[dtype])
    assert_matches(got, render_with_grads(kernel, fv, fc, settings), TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_matches_cpu_on_spheres(backend, dtype):
    """Three of the paper's spheres at 64 x 64: 3 x 1280 faces, many tiles and blocks."""
    fv, fc = sphere_scene(3, 3, torch.Generator().manual_seed(32), dtype=dtype)
    settings = RasterSettings(image_size=64, sigma=1e-4, gamma=1e-4 if dtype == torch.float64 else 1e-1)
    assert_matches(render_on(backend, fv, fc, settings), render_with_grads(kernel, fv, fc, settings), TOLERANCE[dtype])


@pytest.mark.parametrize("dist_func, aggr_alpha, aggr_rgb", GRADCHECK_COMBOS)
def test_gradcheck(backend, dist_func, aggr_alpha, aggr_rgb):
    fv, fc = on(backend, *random_scene(1, 4, torch.Generator().manual_seed(33), special_faces=False))
    fv.requires_grad_(True)
    fc.requires_grad_(True)
    settings = RasterSettings(
        image_size=(9, 12), sigma=2e-2, gamma=0.3, dist_eps=1e-6, near=1.0, far=3.0, background=(0.1, 0.2, 0.3),
        dist_func=dist_func, aggr_alpha=aggr_alpha, aggr_rgb=aggr_rgb, double_sided=True,
    )  # fmt: skip
    render = renderer(backend)
    if aggr_rgb == "softmax":
        assert torch.autograd.gradcheck(lambda v, c: render(v, c, settings), (fv, fc), **GRADCHECK)
    else:  # hard colour: colour gradients, and geometry only through alpha
        assert torch.autograd.gradcheck(lambda v: render(v, fc.detach(), settings)[:, -1], (fv,), **GRADCHECK)
        assert torch.autograd.gradcheck(lambda c: render(fv.detach(), c, settings), (fc,), **GRADCHECK)


@pytest.mark.parametrize("dist_cdf", CDFS[1:])
def test_gradcheck_for_every_cdf_and_surface_textures(backend, dist_cdf):
    fv, _ = random_scene(1, 4, torch.Generator().manual_seed(15), special_faces=False)
    textures = torch.rand(1, 4, 4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(21))
    fv, textures = on(backend, fv, textures)
    fv.requires_grad_(True)
    textures.requires_grad_(True)
    settings = RasterSettings(
        image_size=(9, 12), sigma=2e-2, gamma=0.3, dist_eps=1e-6, near=1.0, far=3.0, double_sided=True,
        dist_cdf=dist_cdf, background=(0.2,),
    )  # fmt: skip
    render = renderer(backend)
    assert torch.autograd.gradcheck(lambda v, t: render(v, t, settings), (fv, textures), **GRADCHECK)


def test_is_deterministic(backend):
    """Bit-identical images and gradients run to run (no atomics; ordered reductions)."""
    fv, fc = sphere_scene(3, 2, torch.Generator().manual_seed(34))
    settings = RasterSettings(image_size=(70, 50), sigma=3e-4, gamma=1e-3)
    first = render_on(backend, fv, fc, settings)
    second = render_on(backend, fv, fc, settings)
    for a, b in zip(first, second):
        assert torch.equal(a, b)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("resolution", [1, 4])
@pytest.mark.parametrize("aggr_rgb", ["softmax", "hard"])
def test_matches_reference_and_cpu_with_surface_textures(backend, aggr_rgb, resolution, dtype):
    fv, _ = random_scene(2, 14, torch.Generator().manual_seed(35), dtype=dtype)
    textures = torch.rand(2, 14, resolution**2, 3, generator=torch.Generator().manual_seed(36)).to(dtype)
    settings = RasterSettings(
        image_size=(21, 35), sigma=2e-2, gamma=1.0, near=1.0, far=3.0, aggr_rgb=aggr_rgb, double_sided=True
    )
    got = render_on(backend, fv, textures, settings)
    assert_matches(got, render_with_grads(reference, fv, textures, settings), TOLERANCE[dtype])
    assert_matches(got, render_with_grads(kernel, fv, textures, settings), TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("dist_cdf", CDFS)
@pytest.mark.parametrize("aggr_alpha", ["prod", "max", "einstein", "hamacher"])
def test_matches_reference_and_cpu_for_every_cdf_and_t_conorm(backend, aggr_alpha, dist_cdf, dtype):
    fv, fc = random_scene(2, 14, torch.Generator().manual_seed(37), dtype=dtype)
    settings = RasterSettings(
        image_size=(21, 35), sigma=2e-2, gamma=1.0, near=1.0, far=3.0, dist_cdf=dist_cdf, aggr_alpha=aggr_alpha,
        double_sided=True,
    )  # fmt: skip
    got = render_on(backend, fv, fc, settings)
    assert_matches(got, render_with_grads(reference, fv, fc, settings), TOLERANCE[dtype])
    assert_matches(got, render_with_grads(kernel, fv, fc, settings), TOLERANCE[dtype])


@pytest.mark.parametrize("dist_cdf", CDFS[1:])
def test_matches_cpu_deep_inside_faces(backend, dist_cdf):
    """sigma 1e-5: 1 - D underflows inside faces (the hazard's closed forms). Against the
    CPU kernel, which test_kernels.py checks against the reference on this load (the
    dense reference takes seconds here)."""
    fv, _ = sphere_scene(3, 1, torch.Generator().manual_seed(25))
    settings = RasterSettings(image_size=48, sigma=1e-5, dist_eps=1e-10, dist_cdf=dist_cdf)
    got = render_on(backend, fv, None, settings)
    assert_matches(got, render_with_grads(kernel, fv, None, settings), TOLERANCE[torch.float64])


@pytest.mark.parametrize("sigma", [1e-2, 1e-4, 1e-7])
def test_no_nan_on_nasty_inputs(backend, sigma):
    """Degenerate, sliver, on-pixel-centre, z = near, out-of-range and padding faces."""
    fv = nasty_faces()
    colors = torch.rand(2, fv.shape[1], 3, 3, generator=torch.Generator().manual_seed(17), dtype=torch.float64)
    for dist_func, aggr_alpha, aggr_rgb in GRADCHECK_COMBOS:
        for fc in (colors, None):
            settings = RasterSettings(
                image_size=8, sigma=sigma, dist_func=dist_func, aggr_alpha=aggr_alpha, aggr_rgb=aggr_rgb
            )
            got = render_on(backend, fv, fc, settings)
            assert got[0][1, -1].abs().max() == 0  # the all-padding mesh renders nothing
            assert_matches(got, render_with_grads(reference, fv, fc, settings), TOLERANCE[torch.float64])


def _entry_count(backend, fv, settings):
    """Entries (face, tile) of the CUDA binning for these faces."""
    params = _kernels._params(settings)
    fv = on(backend, fv)[0]
    state = _kernels.extension_forward(
        params, fv, fv.new_empty(0), fv.new_zeros(1), emulate_cuda=backend == "cuda_emulated"
    )
    return state.entry_tiles.shape[0]


@pytest.mark.parametrize("num_faces", [THREADS_PER_BLOCK, THREADS_PER_BLOCK + 1, 3 * THREADS_PER_BLOCK + 5])
def test_launches_of_several_blocks(backend, num_faces):
    """Face and entry counts at and beyond one block of threads (setup, fill, backward and
    reduction each launch several blocks; the forward one block per (image, tile))."""
    fv, fc = random_scene(2, num_faces, torch.Generator().manual_seed(38), extent=0.9)
    fv[..., :2] *= 0.4 * (
        0.1 + torch.rand(2, num_faces, 1, 1, generator=torch.Generator().manual_seed(39), dtype=fv.dtype)
    )
    fv[..., :2] += 0.9 * (
        2 * torch.rand(2, num_faces, 1, 2, generator=torch.Generator().manual_seed(40), dtype=fv.dtype) - 1
    )
    settings = RasterSettings(image_size=(40, 36), sigma=1e-3, gamma=0.2, near=1.0, far=3.0)
    assert _entry_count(backend, fv, settings) > 2 * THREADS_PER_BLOCK
    got = render_on(backend, fv, fc, settings)
    assert_matches(got, render_with_grads(kernel, fv, fc, settings), TOLERANCE[torch.float64])


def test_empty_meshes_and_empty_bins(backend):
    """N = 0, F = 0 (through the kernel itself and through soft_rasterize) and faces that
    cover no tile (zero entries): background and zero gradients, no launch error."""
    settings = RasterSettings(image_size=(5, 7), background=(0.25, 0.5, 0.75), near=1.0, far=3.0)
    render = lambda fv, fc, s: _kernels.rasterize_kernel(fv, fc, s, emulate_cuda=backend == "cuda_emulated")  # noqa: E731
    for n, f in [(0, 3), (2, 0), (0, 0)]:
        fv, fc = on(backend, torch.zeros(n, f, 3, 3, dtype=torch.float64), torch.rand(n, f, 3, 3, dtype=torch.float64))
        image, grad_v, grad_c = render_with_grads(render, fv, fc, settings)
        assert image.shape == (n, 4, 5, 7) and grad_v.shape == fv.shape and grad_c.shape == fc.shape
        if n:
            assert torch.equal(
                image[:, :3].cpu(),
                torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64).view(1, 3, 1, 1).expand(n, 3, 5, 7),
            )
            assert image[:, 3].abs().max() == 0
        image = soft_rasterize(fv, None, settings, backend=backend)
        assert image.shape == (n, 1, 5, 7) and (n == 0 or image.abs().max() == 0)
    off_screen = torch.tensor([[[[5.0, 5.0, 2.0], [6.0, 5.0, 2.0], [5.0, 6.0, 2.0]]]], dtype=torch.float64)
    assert _entry_count(backend, off_screen, settings) == 0
    image, grad_v, _ = render_with_grads(renderer(backend), *on(backend, off_screen), None, settings)
    assert image.abs().max() == 0 and grad_v.abs().max() == 0


def test_non_finite_input_is_a_value_error_on_the_kernel_path(backend):
    """The CUDA path checks NaN / inf on the device and reads the result back with its
    entry count (no sync of its own): a ValueError naming the argument, even when called
    below soft_rasterize's own checks."""
    fv, fc = random_scene(1, 4, torch.Generator().manual_seed(41))
    settings = RasterSettings(image_size=8, near=1.0, far=3.0)
    emulate = backend == "cuda_emulated"
    bad_v, bad_c = fv.clone(), fc.clone()
    bad_v[0, 1, 2, 0] = float("nan")
    bad_c[0, 3, 1, 2] = float("inf")
    with pytest.raises(ValueError, match="face_vertices contains NaN or inf"):
        _kernels.rasterize_kernel(*on(backend, bad_v, fc), settings, emulate_cuda=emulate)
    with pytest.raises(ValueError, match="face_colors contains NaN or inf"):
        _kernels.rasterize_kernel(*on(backend, fv, bad_c), settings, emulate_cuda=emulate)
    with pytest.raises(ValueError, match="face_vertices contains NaN or inf"):
        soft_rasterize(*on(backend, bad_v, None), settings, backend=backend)


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: p.stem)
def test_matches_reference_on_golden_cases(backend, path):
    """The golden silhouettes (64 x 64, sigma 1e-3 to 3e-5): forward and backward within
    1e-9 of the reference in float64."""
    alpha, grad = golden_alpha_and_grad(path, backend)
    ref_alpha, ref_grad = golden_alpha_and_grad(path, "reference")
    assert relative_error(alpha, ref_alpha) < 1e-9
    assert relative_error(grad, ref_grad) < 1e-9


def test_emulation_forward_is_the_cpu_pixel_major_forward_bit_for_bit():
    """The emulated CUDA forward runs shade_pixel over the sorted tile lists, as the CPU's
    pixel-major mode does over its counting sort: same faces in the same order, so the
    same bits (image, saved values, winners)."""
    fv, fc = random_scene(2, 300, torch.Generator().manual_seed(42))
    settings = RasterSettings(image_size=(37, 29), sigma=1e-3, gamma=0.2, near=1.0, far=3.0, aggr_rgb="hard")
    background = torch.tensor(settings.background, dtype=fv.dtype)
    outputs = []
    for knob in ("pixel_major", "emulate_cuda"):
        outputs.append(_kernels.extension_forward(_kernels._params(settings), fv, fc, background, **{knob: True}))
    for field in ("image", "aux", "winner", "face_data"):
        assert torch.equal(getattr(outputs[0], field), getattr(outputs[1], field)), field


def _host_syncs(work):
    """The device-to-host synchronisations torch reports while ``work()`` runs."""
    import warnings

    previous = torch.cuda.get_sync_debug_mode()
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            work()
            torch.cuda.synchronize()
    finally:
        torch.cuda.set_sync_debug_mode(previous)
    return [str(w.message) for w in caught if "synchroniz" in str(w.message)]


@pytest.mark.cuda
@pytest.mark.parametrize("colors", [False, True])
def test_one_host_sync_per_render(colors):
    """A training step's render (benchmark cameras from device view indices, soft_rasterize
    forward and backward) syncs with the host once: the forward's entry count. Device only."""
    if not (torch.cuda.is_available() and _kernels.kernel_available("cuda")):
        pytest.skip("no CUDA device or no CUDA build")
    from softrecon.renderer import benchmark_camera

    fv = sphere_scene(3, 2, torch.Generator().manual_seed(43), dtype=torch.float32)[0].cuda().requires_grad_(True)
    fc = torch.rand(2, fv.shape[1], 3, 3, device="cuda") if colors else None
    views = torch.tensor([0, 5], device="cuda")
    settings = RasterSettings(image_size=64, sigma=1e-4)

    def step():
        camera = benchmark_camera(views, device="cuda")
        image = soft_rasterize(fv, fc, settings, backend="cuda")
        image.sum().backward()
        return camera

    step()  # warm-up: lazy initialisations
    syncs = _host_syncs(step)
    assert len(syncs) <= 1, syncs
