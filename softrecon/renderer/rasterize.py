"""``soft_rasterize``: the one functional entry point of the soft rasterizer.

It validates its inputs (a bad argument is a ``ValueError`` naming it, never a crash
inside a kernel) and dispatches to one of the implementations of the same function:

- ``'reference'``: the dense pure-PyTorch oracle (``reference.py``), any device;
- ``'cpu'`` / ``'cuda'``: the compiled, exactly tiled kernels (``csrc/``), when built;
- ``'cuda_emulated'``: the CUDA kernels and their orchestration compiled as host C++ and
  run thread by thread on CPU tensors (every build has it). Slow: one emulated thread
  at a time on one core (docs/KERNELS.md gives its speed), for testing and debugging
  the CUDA code without a GPU, not for work;
- ``'auto'`` (default): the compiled kernel for the tensors' device if it is built,
  otherwise the reference. The environment variable ``SOFTRECON_BACKEND`` overrides
  ``'auto'`` (set it to ``reference`` to debug against the oracle).

Host syncs: the checks of shapes, dtypes and devices read metadata only. The NaN / inf
checks read values, which on a GPU would wait for the device on every call; so they run
here for host tensors (and the reference), while the CUDA kernel makes them on the
device and reads the result back in the one device-to-host copy it needs anyway (its
entry count). Either way bad values are a ``ValueError`` before any kernel uses them.

Shape symbols: N batch, F faces, C colour channels, H x W image.
"""

from __future__ import annotations

import os
import warnings
from typing import Optional

import torch

from softrecon.structures.textures import texture_resolution

from . import reference
from .facing import warn_if_all_back_facing
from .nmr import nmr_rasterize, resolve_nmr_backend
from .nmr.settings import NmrSettings
from .settings import RasterSettings

BACKENDS = ("auto", "reference", "cpu", "cuda", "cuda_emulated")


def soft_rasterize(
    face_vertices: torch.Tensor,
    face_colors: Optional[torch.Tensor],
    settings: RasterSettings,
    backend: str = "auto",
) -> torch.Tensor:
    """Render soft silhouettes and colours of triangle meshes (docs/METHOD.md sections 1 to 4).

    Args:
        face_vertices: (N, F, 3, 3) float32 or float64: for each face its three vertices
            in screen space, (x, y) in NDC (x right, y up, the short image side spanning
            [-1, 1]) and z the camera-space depth (positive in front of the camera).
            A batch entry with fewer real faces pads with all-zero (degenerate) faces.
        face_colors: same dtype and device, one of
            (N, F, 3, C): per-vertex colours of each face, interpolated with the clipped
            screen-space barycentrics;
            (N, F, R * R, C): an R x R "surface" texture per face, piecewise constant
            over R * R sub-triangles (SoftRas' texture_type='surface'; R = 1 is a flat
            face colour; layout in ``softrecon.structures.textures``).
            ``None`` renders alpha only.
        settings: a ``RasterSettings``.
        backend: 'auto' | 'reference' | 'cpu' | 'cuda' | 'cuda_emulated' (see the module
            docstring; 'cuda_emulated' runs the CUDA kernels on the host, slowly, for
            tests and debugging, and needs CPU tensors).

    Returns:
        (N, C + 1, H, W) same dtype and device: the C colour channels, then alpha
        (RGBA for C = 3; only alpha when ``face_colors`` is None). Differentiable with
        respect to ``face_vertices`` (x, y and z) and ``face_colors``.
    """
    _validate(face_vertices, face_colors, settings)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if face_vertices.shape[1] == 0:
        return _empty_render(face_vertices, face_colors, settings)
    chosen = resolve_backend(face_vertices.device, backend)
    if chosen != "cuda":  # the CUDA kernel checks values on the device (module docstring)
        _check_values(face_vertices, face_colors)
    warn_if_all_back_facing(face_vertices, face_colors, settings)  # black renders of a flipped mesh
    if isinstance(settings, NmrSettings):  # the NMR renderer (docs/METHOD.md section 9)
        return nmr_rasterize(face_vertices, face_colors, settings, resolve_nmr_backend(chosen, backend))
    if chosen == "reference":
        return reference.rasterize_reference(face_vertices, face_colors, settings)
    from . import _kernels  # imported lazily: the compiled extension is optional

    return _kernels.rasterize_kernel(face_vertices, face_colors, settings, emulate_cuda=chosen == "cuda_emulated")


# Devices for which the fall-back to the dense reference has been announced (once each).
_ANNOUNCED_FALLBACKS: set = set()


def _warn_reference_fallback(device: torch.device, reason: str) -> None:
    """Say once per device type that backend='auto' runs the dense reference (exact, but
    hundreds of times slower than a compiled kernel), and why no kernel is there."""
    if device.type in _ANNOUNCED_FALLBACKS:
        return
    _ANNOUNCED_FALLBACKS.add(device.type)
    warnings.warn(
        f"soft_rasterize: no compiled kernel for {device.type} tensors ({reason or 'no CUDA device'}); "
        "backend='auto' runs the dense pure-PyTorch reference, which is exact but far slower. "
        "Build the kernels with `pip install --no-build-isolation -e .` (docs/KERNELS.md), "
        "or pass backend='reference' to silence this.",
        RuntimeWarning,
        stacklevel=3,
    )


def resolve_backend(device: torch.device, backend: str = "auto") -> str:
    """The implementation ``soft_rasterize`` runs for tensors on ``device``.

    Returns 'reference', 'cpu', 'cuda' or 'cuda_emulated' (the compiled kernels, the last
    the CUDA ones emulated on the host); honours ``SOFTRECON_BACKEND`` for
    ``backend='auto'``. Raises ValueError when a compiled backend is asked for but not
    built, or does not match the device.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    device = torch.device(device)
    if backend == "auto":
        backend = os.environ.get("SOFTRECON_BACKEND", "auto").strip().lower() or "auto"
        if backend not in BACKENDS:
            raise ValueError(f"environment variable SOFTRECON_BACKEND must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        from . import _kernels

        if _kernels.kernel_available(device):
            return device.type
        _warn_reference_fallback(device, _kernels.build_error())
        return "reference"
    if backend == "reference":
        return backend
    if backend == "cuda_emulated":
        from . import _kernels

        if device.type != "cpu":
            raise ValueError(
                f"backend='cuda_emulated' runs the CUDA kernels on the host and needs CPU tensors, got {device}"
            )
        if not _kernels.emulation_available():
            raise ValueError(
                f"backend='cuda_emulated' was asked for but softrecon._C is not built: {_kernels.build_error()}"
            )
        return backend
    if backend != device.type:
        raise ValueError(f"backend={backend!r} needs tensors on a {backend} device, got {device}")
    from . import _kernels

    if not _kernels.kernel_available(device):
        raise ValueError(
            f"backend={backend!r} was asked for but the compiled {backend} kernel is not built: {_kernels.build_error()}"
        )
    return backend


def _empty_render(face_vertices, face_colors, settings):
    """F = 0: background colour and zero alpha, still connected to the inputs' graph."""
    n = face_vertices.shape[0]
    height, width = settings.image_size
    zero = face_vertices.sum() * 0  # keeps autograd happy (gradient: zeros)
    alpha = zero + face_vertices.new_zeros(n, 1, height, width)
    if face_colors is None:
        return alpha
    num_channels = face_colors.shape[-1]
    background = torch.as_tensor(settings.background, dtype=face_vertices.dtype, device=face_vertices.device)
    rgb = (face_colors.sum() * 0 + background.expand(num_channels))[None, :, None, None].expand(n, -1, height, width)
    return torch.cat([rgb, alpha], dim=1)


def _validate(face_vertices, face_colors, settings) -> None:
    """Types, shapes, dtypes, devices: metadata only, no host sync."""
    if not isinstance(settings, RasterSettings):
        raise ValueError(f"settings must be a RasterSettings, got {type(settings).__name__}")
    if not isinstance(face_vertices, torch.Tensor):
        raise ValueError(f"face_vertices must be a torch.Tensor, got {type(face_vertices).__name__}")
    if face_vertices.dim() != 4 or face_vertices.shape[2:] != (3, 3):
        raise ValueError(f"face_vertices must have shape (N, F, 3, 3), got {tuple(face_vertices.shape)}")
    if face_vertices.dtype not in (torch.float32, torch.float64):
        raise ValueError(f"face_vertices must be float32 or float64, got {face_vertices.dtype}")
    if face_colors is None:
        return
    if not isinstance(face_colors, torch.Tensor):
        raise ValueError(f"face_colors must be a torch.Tensor or None, got {type(face_colors).__name__}")
    n, num_faces = face_vertices.shape[:2]
    if face_colors.dim() != 4 or face_colors.shape[:2] != (n, num_faces) or face_colors.shape[3] < 1:
        raise ValueError(
            f"face_colors must have shape (N, F, K, C) = ({n}, {num_faces}, K, C) matching face_vertices "
            f"(K = 3 per-vertex colours or R * R for an R x R surface texture), got {tuple(face_colors.shape)}"
        )
    texture_resolution(face_colors.shape[2])  # ValueError unless K is 3 or a square
    if face_colors.dtype != face_vertices.dtype:
        raise ValueError(
            f"face_colors must have the dtype of face_vertices ({face_vertices.dtype}), got {face_colors.dtype}"
        )
    if face_colors.device != face_vertices.device:
        raise ValueError(
            f"face_colors must be on the device of face_vertices ({face_vertices.device}), got {face_colors.device}"
        )
    num_channels = face_colors.shape[3]
    if len(settings.background) not in (1, num_channels):
        raise ValueError(
            f"settings.background has {len(settings.background)} values but face_colors has {num_channels} channels"
        )


def _check_values(face_vertices, face_colors) -> None:
    """NaN / inf: reads the values (a host sync for device tensors)."""
    if not torch.isfinite(face_vertices).all():
        raise ValueError("face_vertices contains NaN or inf")
    if face_colors is not None and not torch.isfinite(face_colors).all():
        raise ValueError("face_colors contains NaN or inf")
