"""Bridge to the compiled soft rasterizer kernels (``softrecon._C``).

Placeholder until the C++/CUDA kernels land: reports that no kernel is built, so
``soft_rasterize`` falls back to the dense reference.
"""

from __future__ import annotations

import torch


def kernel_available(device: torch.device) -> bool:
    """Whether a compiled kernel exists for ``device``."""
    return False


def build_error() -> str:
    """Why no kernel is available, for error messages."""
    return "the compiled extension softrecon._C is not part of this build yet"


def rasterize_kernel(face_vertices, face_colors, settings):  # pragma: no cover - placeholder
    raise ValueError(build_error())
