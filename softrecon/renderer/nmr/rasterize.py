"""``nmr_rasterize``: dispatch of the NMR renderer to one of its implementations.

``soft_rasterize`` validates its inputs and calls this when its settings are
``NmrSettings``; the backends are the soft rasterizer's (``softrecon.renderer.rasterize``):
'reference' (the dense oracle, ``reference.py``), 'cpu' / 'cuda' (the compiled kernels),
'cuda_emulated' (the CUDA kernels run on the host), 'auto' (the kernel of the tensors'
device when built, else the reference).

Shape symbols: N batch, F faces, C colour channels, H x W image.
"""

from __future__ import annotations

from typing import Optional

import torch

from .reference import nmr_rasterize_reference
from .settings import NmrSettings


def resolve_nmr_backend(chosen: str, requested: str) -> str:
    """The implementation ``nmr_rasterize`` runs.

    Args:
        chosen: the soft rasterizer's resolved backend for the same tensors
            (``softrecon.renderer.rasterize.resolve_backend``).
        requested: the backend the caller asked for ('auto' allows the fall-back).

    A compiled backend whose NMR op is missing from this build of ``softrecon._C`` falls
    back to 'reference' for 'auto' and is a ValueError when asked for by name.
    """
    if chosen == "reference":
        return chosen
    from ._kernels import nmr_available

    device = "cpu" if chosen == "cuda_emulated" else chosen
    if nmr_available(device, emulate_cuda=chosen == "cuda_emulated"):
        return chosen
    if requested == "auto":
        return "reference"
    raise ValueError(f"backend={requested!r}: this build of softrecon._C has no NMR op; rebuild it (docs/KERNELS.md)")


def nmr_rasterize(
    face_vertices: torch.Tensor,
    face_colors: Optional[torch.Tensor],
    settings: NmrSettings,
    backend: str = "reference",
) -> torch.Tensor:
    """Render with NMR (docs/METHOD.md section 9); inputs validated by ``soft_rasterize``.

    Args:
        face_vertices: (N, F, 3, 3) screen-space faces, F >= 1.
        face_colors: (N, F, 3, C) per-vertex colours, (N, F, R * R, C) surface textures,
            or None.
        settings: the ``NmrSettings``.
        backend: a resolved backend: 'reference', 'cpu', 'cuda' or 'cuda_emulated'.

    Returns:
        (N, C + 1, H, W): colours then alpha. Gradients: NMR's to x and y of
        ``face_vertices`` (none to z), the exact ones to ``face_colors``.
    """
    if backend == "reference":
        return nmr_rasterize_reference(face_vertices, face_colors, settings)
    from ._kernels import nmr_kernel

    return nmr_kernel(face_vertices, face_colors, settings, emulate_cuda=backend == "cuda_emulated")
