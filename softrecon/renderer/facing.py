"""A warning when every face of a mesh faces away from the camera.

With ``double_sided=False`` only front faces give colour, and a front face is one that
appears *clockwise* in screen space (x right, y up): the winding of an outward,
counter-clockwise mesh seen through the cameras of docs/METHOD.md section 5
(docs/CONVENTIONS.md, "Winding"). A mesh whose faces all wind the other way still
covers its silhouette, so it renders as the background colour (black by default) with
full alpha, which looks like a bug elsewhere. ``soft_rasterize`` calls
``warn_if_all_back_facing`` to say so.

Cost: one signed area per face (O(N F), against the O(N F H W) of the render), on the
caller's device. Reading the answer is a host sync on a GPU, so on a GPU each call site
is checked on its first call only; on the CPU every call is checked until the call site
has warned. A call site warns once: it is the first frame outside the softrecon and torch
packages (a user's script, or ``train.py``), so the warning points at the user's line.

Shape symbols: N batch, F faces.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Optional, Set, Tuple

import torch

from .reference import MIN_DOUBLE_AREA, MIN_VERTEX_DEPTH
from .settings import RasterSettings

# Frames inside softrecon or torch (nn.Module.__call__) are not call sites.
_SKIPPED_DIRS = (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
    os.path.dirname(os.path.abspath(torch.__file__)) + os.sep,
)
# How many batch entries the warning names before it says "...".
_NAMED_ENTRIES = 5

# Call sites (file, line) that have warned, and GPU call sites already checked once.
_WARNED: Set[Tuple[str, int]] = set()
_CHECKED_ON_DEVICE: Set[Tuple[str, int]] = set()


def _call_site() -> Tuple[Tuple[str, int], int]:
    """((file, line) of the first frame outside softrecon and torch, its stacklevel for
    ``warnings.warn`` called from this module's caller's caller)."""
    frame = sys._getframe(2)  # the caller of warn_if_all_back_facing: stacklevel 2 for it
    level = 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_SKIPPED_DIRS):
        frame = frame.f_back
        level += 1
    if frame is None:
        return ("<softrecon>", 0), 2
    return (frame.f_code.co_filename, frame.f_lineno), level


def back_facing_entries(face_vertices: torch.Tensor) -> torch.Tensor:
    """Which meshes of a batch have faces that take part but no front face.

    Args:
        face_vertices: (N, F, 3, 3) screen-space vertices (x, y NDC, z depth), as
            ``soft_rasterize`` takes them.

    Returns:
        (N,) bool, on the input's device: True where at least one face takes part
        (non-degenerate, in front of the camera) and every such face is back-facing
        (counter-clockwise in screen space).
    """
    x, y, z = face_vertices.detach().unbind(-1)  # each (N, F, 3)
    area2 = (x[..., 1] - x[..., 0]) * (y[..., 2] - y[..., 0]) - (x[..., 2] - x[..., 0]) * (y[..., 1] - y[..., 0])
    takes_part = (area2.abs() > MIN_DOUBLE_AREA) & (z.amin(-1) >= MIN_VERTEX_DEPTH)  # (N, F)
    front = takes_part & (area2 < 0)
    return takes_part.any(1) & ~front.any(1)


def warn_if_all_back_facing(
    face_vertices: torch.Tensor, face_colors: Optional[torch.Tensor], settings: RasterSettings
) -> None:
    """Warn (a ``UserWarning``, once per call site) when colours are rendered single-sided
    and some mesh of the batch has no front face: it would render as the background
    colour with full alpha. Inputs as ``soft_rasterize`` takes them, already validated."""
    if face_colors is None or settings.double_sided or face_vertices.shape[1] == 0:
        return
    site, stacklevel = _call_site()
    if site in _WARNED:
        return
    if face_vertices.device.type != "cpu":
        if site in _CHECKED_ON_DEVICE:
            return
        _CHECKED_ON_DEVICE.add(site)
    entries = back_facing_entries(face_vertices).nonzero().flatten().tolist()
    if not entries:
        return
    _WARNED.add(site)
    named = ", ".join(str(i) for i in entries[:_NAMED_ENTRIES]) + (", ..." if len(entries) > _NAMED_ENTRIES else "")
    warnings.warn(
        f"soft_rasterize: every face of batch entry {named} faces away from the camera (counter-clockwise in "
        "screen space, x right, y up) and double_sided=False, so those meshes render in the background colour "
        "with full alpha. Front faces are clockwise on screen: an outward mesh wound counter-clockwise seen "
        "through softrecon's cameras is. Reverse the winding (faces[:, [0, 2, 1]]) or pass double_sided=True "
        "(docs/CONVENTIONS.md, 'Winding'). This warning is given once per call site.",
        UserWarning,
        stacklevel=stacklevel,
    )
