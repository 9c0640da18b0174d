"""Rendering one coloured mesh from one or several cameras, shared by shape and pose
fitting (a thin layer over ``SoftRenderer``).

Shape symbols: V vertices, F faces, C colour channels, K cameras, H x W image.
"""

from __future__ import annotations

import torch

from softrecon.renderer import RasterSettings
from softrecon.renderer.soft_renderer import SoftRenderer
from softrecon.structures import Mesh


def render_rgba(
    vertices: torch.Tensor, faces: torch.Tensor, colors: torch.Tensor, camera, settings: RasterSettings
) -> torch.Tensor:
    """Render one mesh with per-vertex colours (SoftRas' default lighting) from K cameras.

    Args:
        vertices: (V, 3) float, object/world frame.
        faces: (F, 3) long.
        colors: (V, C) float per-vertex colours in [0, 1].
        camera: a camera of ``softrecon.renderer.cameras`` holding K cameras.
        settings: rasterizer settings.

    Returns:
        (K, C + 1, H, W): colour channels then alpha; differentiable with respect to
        ``vertices`` and ``colors``.
    """
    mesh = Mesh(vertices[None], faces, colors[None], color_mode="vertex", validate=False)
    return SoftRenderer(settings).forward(mesh, camera)
