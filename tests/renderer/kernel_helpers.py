"""Helpers shared by the compiled-kernel tests (CPU and CUDA).

Input factories come from ``benchmarks/common.py`` (loaded by path, so the tests need
no package for ``benchmarks``): the benchmarks and the tests render the same scenes.
"""

from __future__ import annotations

import importlib.util
import pathlib
from typing import Callable, Optional, Tuple

import torch

from softrecon.renderer import rasterize_reference
from softrecon.renderer import _kernels

_COMMON_PATH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "common.py"
_spec = importlib.util.spec_from_file_location("softrecon_benchmarks_common", _COMMON_PATH)
common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(common)

random_scene = common.random_scene
sphere_scene = common.sphere_scene


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


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """max |actual - expected| / max |expected| (absolute when expected is all zero)."""
    scale = expected.abs().max().item()
    error = (actual.to(expected.device) - expected).abs().max().item()
    return error / scale if scale > 0 else error
