"""Bridge to the compiled soft rasterizer kernels (``softrecon._C``, built from ``csrc/``).

The extension is imported lazily; when it is missing (not built, or built without CUDA)
``kernel_available`` is false and ``build_error`` says why, so that ``soft_rasterize``
falls back to the dense reference. ``rasterize_kernel`` is a ``torch.autograd.Function``
whose forward and backward are the C++/CUDA kernels (exact tiling, exact gradients).
Every build also carries the CUDA kernels compiled as host C++ (``emulate_cuda``, the
extension's ``emulated_forward`` / ``emulated_backward``: the CUDA code path, thread by
thread on the CPU; slow, for tests and debugging).

Shape symbols: N batch, F faces, C colour channels, H x W image.
"""

from __future__ import annotations

import functools
import importlib
from typing import NamedTuple, Optional

import torch

from .settings import RasterSettings

_EXTENSION = None  # the imported softrecon._C, once loaded
_IMPORT_ERROR: Optional[str] = None  # why it could not be imported, once tried


def _extension():
    """The compiled module, or None (the reason kept for ``build_error``)."""
    global _EXTENSION, _IMPORT_ERROR
    if _EXTENSION is None and _IMPORT_ERROR is None:
        try:
            _EXTENSION = importlib.import_module("softrecon._C")
        except ImportError as error:
            _IMPORT_ERROR = (
                f"softrecon._C could not be imported ({error}); build it with "
                "`pip install --no-build-isolation -e .` from the repository root"
            )
    return _EXTENSION


def kernel_available(device: torch.device) -> bool:
    """Whether a compiled kernel exists for ``device`` (a ``torch.device`` or string)."""
    ext = _extension()
    if ext is None:
        return False
    device_type = torch.device(device).type
    if device_type == "cpu":
        return True
    return device_type == "cuda" and bool(ext.with_cuda) and torch.cuda.is_available()


def emulation_available() -> bool:
    """Whether the CUDA kernels' host emulation is built (it is in every softrecon._C)."""
    return _extension() is not None


def build_error() -> str:
    """Why a kernel is missing, for error messages ('' when the extension loaded)."""
    ext = _extension()
    if ext is None:
        return _IMPORT_ERROR or "softrecon._C is not built"
    if not ext.with_cuda:
        return "softrecon._C was built without CUDA (rebuild with a CUDA torch or FORCE_CUDA=1)"
    return ""


def _params(settings: RasterSettings):
    """The C++ parameter struct for ``settings``: each field of ``softrecon._C.RASTER_PARAMS_FIELDS``
    (the list ``SR_RASTER_PARAMS_FIELDS`` of ``csrc/common/soft_raster_params.h``) from the
    attribute of ``settings`` it names."""
    ext = _extension()
    params = ext.RasterParams()
    for field, attribute in ext.RASTER_PARAMS_FIELDS.items():
        setattr(params, field, getattr(settings, attribute))
    return params


class ForwardState(NamedTuple):
    """What ``softrecon._C.forward`` returns and ``softrecon._C.backward`` reads back: the
    forward's outputs, in the order of ``softrecon._C.FORWARD_STATE_FIELDS`` (the list in
    ``csrc/torch/soft_raster_op.h``; tests/renderer/test_kernel_boundary.py checks that the
    two agree). E face-tile entries, P pair-cache records."""

    image: torch.Tensor  # (N, C + 1, H, W) colour channels then alpha
    aux: torch.Tensor  # (N, 3, H, W) per-pixel values for the backward (AUX_FIELDS)
    winner: torch.Tensor  # (N, H, W) int32 face shown by 'hard' colour, -1 for none; empty otherwise
    face_data: torch.Tensor  # (N * F, FACE_RECORD_SIZE) face records (FACE_FIELDS)
    face_offsets: torch.Tensor  # (N * F + 1,) int64 each face's first (face, tile) entry
    entry_tiles: torch.Tensor  # (E,) int32 tile of each entry, face-major
    pair_offsets: torch.Tensor  # (E + 1,) int64 pair cache: start of each entry's records (or empty)
    pair_code: torch.Tensor  # (P,) uint8 pair cache: one code per record (or empty)
    stats: torch.Tensor  # (3,) int64 CPU work counters (STATS_FIELDS); zeros on CUDA; not read by the backward


def extension_forward(
    params,
    face_vertices: torch.Tensor,
    colors: torch.Tensor,
    background: torch.Tensor,
    emulate_cuda: bool = False,
    cache_pairs: bool = False,
    pixel_major: bool = False,
):
    """``softrecon._C.forward`` (contiguous inputs; ``colors`` empty for alpha only) as a
    ``ForwardState``; ``softrecon._C.emulated_forward`` with ``emulate_cuda``. CPU kernel only:
    ``cache_pairs`` keeps a byte per evaluated pair for the backward (alpha-only Euclidean
    renders, up to 1 Gi pairs), ``pixel_major`` shades with the CUDA kernels' per-pixel body
    (for tests)."""
    ext = _extension()
    if emulate_cuda:
        return ForwardState(*ext.emulated_forward(params, face_vertices, colors, background))
    return ForwardState(
        *ext.forward(params, face_vertices, colors, background, cache_pairs=cache_pairs, pixel_major=pixel_major)
    )


def extension_backward(
    params,
    grad_image: torch.Tensor,
    face_vertices: torch.Tensor,
    colors: torch.Tensor,
    state: ForwardState,
    need_vertex_grad: bool,
    need_color_grad: bool,
    emulate_cuda: bool = False,
):
    """``softrecon._C.backward`` (``emulated_backward`` with ``emulate_cuda``) of the forward
    that gave ``state``: returns (d loss / d face_vertices or None, d loss / d colours or None)."""
    ext = _extension()
    backward = ext.emulated_backward if emulate_cuda else ext.backward
    return backward(params, grad_image, face_vertices, colors, list(state), need_vertex_grad, need_color_grad)


def _no_colors(like: torch.Tensor) -> torch.Tensor:
    """The empty tensor the extension reads as 'alpha only'."""
    return like.new_empty(0)


@functools.lru_cache(maxsize=64)
def background_tensor(values: tuple, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``settings.background`` as a (len(values),) tensor on ``device``, made once per
    (values, dtype, device): building it on every call would copy host to device, which
    torch does synchronously. Read-only: the extension never writes it."""
    with torch.inference_mode(False):  # a normal tensor even when first made under inference mode
        return torch.tensor(values, dtype=dtype).to(device)


class _SoftRasterize(torch.autograd.Function):
    """Autograd wrapper of ``softrecon._C.forward`` / ``backward``."""

    @staticmethod
    def forward(ctx, face_vertices, face_colors, settings, cache_pairs, emulate_cuda):
        params = _params(settings)
        colors = _no_colors(face_vertices) if face_colors is None else face_colors.contiguous()
        background = background_tensor(tuple(settings.background), face_vertices.dtype, face_vertices.device)
        if face_colors is None:
            background = background[:1]  # unused without colours; the extension wants 1 or C values
        state = extension_forward(
            params, face_vertices.contiguous(), colors, background, emulate_cuda=emulate_cuda, cache_pairs=cache_pairs
        )
        ctx.params = params
        ctx.emulate_cuda = emulate_cuda
        ctx.has_colors = face_colors is not None
        ctx.save_for_backward(face_vertices, colors, *state)
        return state.image

    @staticmethod
    def backward(ctx, grad_image):
        face_vertices, colors, *saved_state = ctx.saved_tensors
        need_vertices = ctx.needs_input_grad[0]
        need_colors = ctx.has_colors and ctx.needs_input_grad[1]
        if grad_image is None or not (need_vertices or need_colors):
            return None, None, None, None, None
        grad_vertices, grad_colors = extension_backward(
            ctx.params, grad_image.contiguous(), face_vertices, colors, ForwardState(*saved_state),
            need_vertices, need_colors, emulate_cuda=ctx.emulate_cuda,
        )  # fmt: skip
        return grad_vertices, grad_colors, None, None, None


def rasterize_kernel(
    face_vertices: torch.Tensor,
    face_colors: Optional[torch.Tensor],
    settings: RasterSettings,
    emulate_cuda: bool = False,
) -> torch.Tensor:
    """Soft rasterization with the compiled kernel of the tensors' device.

    Inputs are assumed validated by ``soft_rasterize`` (same contract), except that the
    CUDA kernels (and their emulation) check for NaN and inf themselves, in the one
    device-to-host copy they make anyway.

    Args:
        face_vertices: (N, F, 3, 3) float32 or float64, per face, per vertex (x, y NDC, z depth).
        face_colors: (N, F, 3, C) per-vertex colours or (N, F, R * R, C) surface textures,
            same dtype and device; None for alpha only.
        settings: the rasterizer settings.
        emulate_cuda: run the CUDA kernels and their orchestration emulated on the host,
            thread by thread (CPU tensors only; slow: for tests and debugging).

    Returns:
        (N, C + 1, H, W): colour channels first, alpha last (C = 0 without colours).
    """
    if emulate_cuda:
        if face_vertices.device.type != "cpu":
            raise ValueError(
                f"the CUDA emulation runs on the host: tensors must be on the CPU, got {face_vertices.device}"
            )
        if not emulation_available():
            raise ValueError(f"the CUDA emulation is not built: {build_error()}")
    elif not kernel_available(face_vertices.device):
        raise ValueError(f"no compiled soft rasterizer kernel for device {face_vertices.device}: {build_error()}")
    # A vertex gradient will be asked for only if autograd records this call: only then is
    # the CPU kernel's pair cache worth keeping.
    cache_pairs = torch.is_grad_enabled() and face_vertices.requires_grad
    return _SoftRasterize.apply(face_vertices, face_colors, settings, cache_pairs, emulate_cuda)


def kernel_statistics(face_vertices: torch.Tensor, settings: RasterSettings) -> dict:
    """Work counters of one CPU forward (alpha only), for benchmarks and tests.

    Returns a dict with 'pairs_listed' ((pixel, face) pairs in the tiles' face lists),
    'pairs_evaluated' (pairs the kernel evaluated: each face's pixel window in each of
    its tiles), 'threads_used' (distinct threads that shaded tiles), 'entries' ((face, tile)
    pairs after binning) and 'openmp_max_threads'.
    """
    ext = _extension()
    if ext is None or face_vertices.device.type != "cpu":
        raise ValueError(f"kernel_statistics needs the CPU kernel: {build_error() or 'tensors are not on the CPU'}")
    background = torch.zeros(1, dtype=face_vertices.dtype)
    with torch.no_grad():
        state = extension_forward(_params(settings), face_vertices.contiguous(), _no_colors(face_vertices), background)
    stats = state.stats.tolist()
    slot = ext.STATS_FIELDS
    return {
        "pairs_listed": stats[slot["PAIRS_LISTED"]],
        "pairs_evaluated": stats[slot["PAIRS_EVALUATED"]],
        "threads_used": stats[slot["THREADS_USED"]],
        "entries": int(state.entry_tiles.shape[0]),
        "openmp_max_threads": ext.openmp_max_threads(),
        "compiled_with_openmp": bool(ext.compiled_with_openmp()),
    }
