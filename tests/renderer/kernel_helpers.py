"""Helpers shared by the compiled-kernel tests (CPU, CUDA and its host emulation) and the
reference's golden test.

Input factories come from ``scene_factories.py`` next to this file; the rasterizer
benchmark reuses them, so the benchmarks and the tests render the same scenes.
"""

from __future__ import annotations

import functools
import itertools
import pathlib
from typing import Callable, Optional, Tuple

import numpy as np
import torch
from scene_factories import random_scene, sphere_scene  # noqa: F401 (re-exported to the kernel tests)

from softrecon.renderer import RasterSettings, _kernels, pixel_centers, rasterize_reference, soft_rasterize

# Every dist_func x aggr_alpha x aggr_rgb x double_sided combination.
ALL_COMBOS = list(
    itertools.product(
        ["euclidean", "barycentric", "hard"],
        ["prod", "sum", "hard", "max", "einstein", "hamacher"],
        ["softmax", "hard"],
        [False, True],
    )
)
# The differentiable dist_func x aggr_alpha x aggr_rgb combinations.
GRADCHECK_COMBOS = list(
    itertools.product(["euclidean", "barycentric"], ["prod", "sum", "max", "einstein", "hamacher"], ["softmax", "hard"])
)
CDFS = ["logistic", "gaussian", "laplace", "cauchy", "gumbel_max", "gumbel_min"]
# Relative tolerance of a kernel against the reference, per dtype.
TOLERANCE = {torch.float64: 1e-9, torch.float32: 1e-5}

# Independent golden silhouettes (PyTorch3D and a float64 dense implementation), shipped
# with the tests: tests/golden/README.md says what they hold and how they were made.
GOLDEN_DIR = pathlib.Path(__file__).resolve().parents[1] / "golden"
GOLDEN_FILES = sorted(GOLDEN_DIR.glob("*__sil__*.npz"))


def load_golden(path):
    """One golden silhouette case: (the npz data, vertices (V, 3) float64 in our
    convention, faces (F, 3) int64, its RasterSettings)."""
    data = np.load(path)
    verts = torch.tensor(data["verts"], dtype=torch.float64)
    verts[:, 0] = -verts[:, 0]  # PyTorch3D's +x points left, ours right (tests/golden/README.md)
    settings = RasterSettings(
        image_size=(int(data["image_height"]), int(data["image_width"])),
        sigma=float(data["sigma"]),
        dist_eps=float(data["eps_cut"]),
    )
    return data, verts, torch.tensor(data["faces"]), settings


def golden_alpha_and_grad(path, backend: str):
    """soft_rasterize(backend=...) on a golden case (float64, on the back end's device):
    (alpha (H, W), d sum(weights * alpha) / d verts (V, 3)), on the CPU, in our convention.
    The reference's are kept for the session: the reference and the CUDA golden tests
    both compare with them, and the dense renders are the expensive part."""
    if backend == "reference":
        return tuple(t.clone() for t in _golden_reference(str(path)))
    return _golden_render(str(path), backend)


def _golden_render(path: str, backend: str):
    data, verts, faces, settings = load_golden(path)
    device = torch.device("cuda" if backend == "cuda" else "cpu")
    verts = verts.to(device).requires_grad_(True)
    alpha = soft_rasterize(verts[faces.to(device)][None], None, settings, backend=backend)[0, 0]
    (grad,) = torch.autograd.grad((torch.tensor(data["weights"]).to(device) * alpha).sum(), verts)
    return alpha.detach().cpu(), grad.cpu()


_golden_reference = functools.lru_cache(maxsize=None)(functools.partial(_golden_render, backend="reference"))


def nasty_faces():
    """Degenerate, sliver, on-pixel-centre, out-of-range faces; second mesh all padding
    (2, 8, 3, 3) float64, for 8 x 8 images."""
    xs, ys = pixel_centers(8, 8, torch.float64, torch.device("cpu"))
    x0, y0 = xs[3].item(), ys[3].item()
    faces = torch.tensor(
        [
            [[0.0, 0.0, 2.0], [0.5, 0.5, 2.0], [1.0, 1.0, 2.0]],  # zero area (collinear)
            [[0.2, 0.2, 2.0], [0.2, 0.2, 2.0], [0.6, 0.1, 2.0]],  # two coincident vertices
            [[-0.8, -0.8, 2.0], [0.8, -0.79, 2.0], [-0.8, -0.7999, 2.0]],  # sliver
            [[x0, y0, 2.0], [x0 + 0.5, y0, 2.0], [x0, y0 + 0.5, 2.0]],  # vertex on a pixel centre
            [[x0, y0, 1.0], [x0 - 0.5, y0, 1.0], [x0, y0 - 0.5, 1.0]],  # at z = near exactly
            [[-0.5, -0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.5, 0.5]],  # before near
            [[-0.5, -0.5, 200.0], [0.5, -0.5, 200.0], [0.0, 0.5, 200.0]],  # beyond far
            [[-0.5, -0.5, 0.0], [0.5, -0.5, 2.0], [0.0, 0.5, 2.0]],  # vertex at z = 0
        ],
        dtype=torch.float64,
    )[None]
    return torch.cat([faces, torch.zeros_like(faces)])


def render_with_grads(
    render: Callable,
    face_vertices: torch.Tensor,
    face_colors: Optional[torch.Tensor],
    settings,
    upstream_seed: int = 0,
) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
    """Render, then pull a fixed random upstream gradient back to the inputs.

    Returns (image, d loss / d face_vertices, d loss / d face_colors or None), detached;
    an input the output does not depend on gets a zero gradient.
    """
    fv = face_vertices.detach().clone().requires_grad_(True)
    fc = None if face_colors is None else face_colors.detach().clone().requires_grad_(True)
    image = render(fv, fc, settings)
    gen = torch.Generator().manual_seed(upstream_seed)
    upstream = torch.randn(image.shape, generator=gen, dtype=image.dtype).to(image.device)
    inputs = (fv,) if fc is None else (fv, fc)
    grads = torch.autograd.grad(image, inputs, upstream, allow_unused=True)
    grads = [torch.zeros_like(x) if g is None else g for x, g in zip(inputs, grads)]
    return image.detach(), grads[0], (grads[1] if fc is not None else None)


def reference(fv, fc, settings):
    return rasterize_reference(fv, fc, settings)


def kernel(fv, fc, settings):
    return _kernels.rasterize_kernel(fv, fc, settings)


def assert_matches(got, expected, tolerance: float) -> None:
    """(image, grad_vertices, grad_colors) triples of render_with_grads agree: finite,
    and within ``tolerance`` relative error (``relative_error``); None where expected is."""
    for name, g, e in zip(("image", "grad_vertices", "grad_colors"), got, expected):
        if e is None:
            assert g is None, name
            continue
        assert torch.isfinite(g).all(), name
        assert relative_error(g, e) <= tolerance, f"{name}: {relative_error(g, e):.3e}"


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """max |actual - expected| / max |expected| (absolute when expected is all zero)."""
    scale = expected.abs().max().item()
    error = (actual.to(expected.device) - expected).abs().max().item()
    return error / scale if scale > 0 else error
