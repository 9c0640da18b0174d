"""The CUDA kernel against the dense reference and the CPU kernel, forward and backward,
float64 and float32, and its determinism. Skipped where no GPU (or no CUDA build) exists."""

import itertools

import pytest
import torch

from softrecon.renderer import RasterSettings
from softrecon.renderer import _kernels

from kernel_helpers import kernel, random_scene, reference, relative_error, render_with_grads, sphere_scene

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
    pytest.mark.skipif(
        torch.cuda.is_available() and not _kernels.kernel_available("cuda"),
        reason=f"CUDA kernel not built: {_kernels.build_error()}",
    ),
]

COMBOS = list(
    itertools.product(
        ["euclidean", "barycentric", "hard"], ["prod", "sum", "hard", "max", "einstein", "hamacher"], ["softmax", "hard"], [False, True]
    )
)
# Relative tolerance against the reference / the CPU kernel, per dtype.
TOLERANCE = {torch.float64: 1e-9, torch.float32: 1e-5}


def to_cuda(*tensors):
    return [None if t is None else t.cuda() for t in tensors]


def assert_close(got, expected, tolerance):
    for name, g, e in zip(("image", "grad_vertices", "grad_colours"), got, expected):
        if e is None:
            assert g is None
            continue
        assert g.is_cuda and torch.isfinite(g).all(), name
        assert relative_error(g.cpu(), e.cpu()) <= tolerance, f"{name}: {relative_error(g.cpu(), e.cpu()):.3e}"


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("dist_func, aggr_alpha, aggr_rgb, double_sided", COMBOS)
def test_cuda_matches_reference_and_cpu(dist_func, aggr_alpha, aggr_rgb, double_sided, dtype):
    fv, fc = random_scene(2, 14, torch.Generator().manual_seed(31), dtype=dtype)
    settings = RasterSettings(
        image_size=(21, 35), sigma=2e-2, gamma=1.0 if dtype == torch.float32 else 0.2, near=1.0, far=3.0,
        background=(0.1, 0.5, 0.9), dist_func=dist_func, aggr_alpha=aggr_alpha, aggr_rgb=aggr_rgb,
        double_sided=double_sided,
    )  # fmt: skip
    got = render_with_grads(kernel, *to_cuda(fv, fc), settings)
    assert_close(got, render_with_grads(reference, fv, fc, settings), TOLERANCE[dtype])
    assert_close(got, render_with_grads(kernel, fv, fc, settings), TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_cuda_matches_cpu_on_spheres(dtype):
    fv, fc = sphere_scene(3, 3, torch.Generator().manual_seed(32), dtype=dtype)
    settings = RasterSettings(image_size=64, sigma=1e-4, gamma=1e-4 if dtype == torch.float64 else 1e-1)
    assert_close(render_with_grads(kernel, *to_cuda(fv, fc), settings), render_with_grads(kernel, fv, fc, settings), TOLERANCE[dtype])


def test_cuda_gradcheck():
    fv, fc = random_scene(1, 4, torch.Generator().manual_seed(33), special_faces=False)
    fv, fc = (t.cuda().requires_grad_(True) for t in (fv, fc))
    settings = RasterSettings(image_size=(9, 12), sigma=2e-2, gamma=0.3, dist_eps=1e-6, near=1.0, far=3.0, double_sided=True)
    assert torch.autograd.gradcheck(lambda v, c: kernel(v, c, settings), (fv, fc), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_cuda_is_deterministic():
    fv, fc = to_cuda(*sphere_scene(3, 2, torch.Generator().manual_seed(34)))
    settings = RasterSettings(image_size=(70, 50), sigma=3e-4, gamma=1e-3)
    first = render_with_grads(kernel, fv, fc, settings)
    second = render_with_grads(kernel, fv, fc, settings)
    for a, b in zip(first, second):
        assert torch.equal(a, b)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("aggr_rgb", ["softmax", "hard"])
def test_cuda_matches_cpu_with_surface_textures(aggr_rgb, dtype):
    fv, _ = random_scene(2, 14, torch.Generator().manual_seed(35), dtype=dtype)
    textures = torch.rand(2, 14, 16, 3, generator=torch.Generator().manual_seed(36)).to(dtype)
    settings = RasterSettings(
        image_size=(21, 35), sigma=2e-2, gamma=1.0, near=1.0, far=3.0, aggr_rgb=aggr_rgb, double_sided=True
    )
    got = render_with_grads(kernel, *to_cuda(fv, textures), settings)
    assert_close(got, render_with_grads(kernel, fv, textures, settings), TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("dist_cdf", ["gaussian", "laplace", "cauchy", "gumbel_max", "gumbel_min"])
def test_cuda_matches_cpu_for_every_cdf(dist_cdf, dtype):
    fv, fc = random_scene(2, 14, torch.Generator().manual_seed(37), dtype=dtype)
    settings = RasterSettings(
        image_size=(21, 35), sigma=2e-2, gamma=1.0, near=1.0, far=3.0, dist_cdf=dist_cdf, double_sided=True
    )
    got = render_with_grads(kernel, *to_cuda(fv, fc), settings)
    assert_close(got, render_with_grads(kernel, fv, fc, settings), TOLERANCE[dtype])
