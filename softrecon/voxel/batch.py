"""``voxelize_batch``: N meshes voxelized at once on their device, with ``voxelize``'s cells.

Two implementations give exactly the cells of ``softrecon.voxel.voxelize`` (same float64
operations in the same order, so even round-off agrees; tests compare both with it):

- ``'numba'`` (batch_numba.py): ``voxelize`` compiled with Numba, meshes split over
  ``torch.get_num_threads()`` threads. The fast path for CPU tensors and arrays.
- ``'torch'`` (batch_torch.py): dense tensor operations on the tensors' device, the path
  for GPU tensors (on a CPU it is several times slower than the Numba kernel).

Shape symbols: N meshes, V vertices, F faces, R resolution.
"""

from __future__ import annotations

from typing import Tuple

import numpy as np
import torch

from .convention import check_resolution
from .voxelize import FILL_MODES, SURFACE_MODES, voxelize

BACKENDS = ("auto", "numba", "torch")


def _check_batch(vertices, faces) -> Tuple[torch.Tensor, torch.Tensor]:
    """Validate a batch; returns float64 (N, V, 3) and int64 (N, F, 3) tensors on the
    vertices' device (faces broadcast when shared)."""
    if not isinstance(vertices, torch.Tensor):
        vertices = torch.as_tensor(np.asarray(vertices))
    if not isinstance(faces, torch.Tensor):
        faces = torch.as_tensor(np.asarray(faces))
    if vertices.dim() != 3 or vertices.shape[2] != 3 or vertices.dtype == torch.bool or vertices.is_complex():
        raise ValueError(
            f"vertices must be a real (N, V, 3) tensor, got shape {tuple(vertices.shape)} dtype {vertices.dtype}"
        )
    if faces.dtype.is_floating_point or faces.dtype == torch.bool or faces.is_complex():
        raise ValueError(f"faces must be an integer (F, 3) or (N, F, 3) tensor, got dtype {faces.dtype}")
    if faces.dim() == 2:
        faces = faces.unsqueeze(0).expand(vertices.shape[0], -1, -1)
    if faces.dim() != 3 or faces.shape[2] != 3 or faces.shape[0] != vertices.shape[0]:
        raise ValueError(
            f"faces must have shape (F, 3) or (N, F, 3) with N = {vertices.shape[0]}, got {tuple(faces.shape)}"
        )
    vertices = vertices.detach().to(torch.float64)
    faces = faces.detach().to(device=vertices.device, dtype=torch.int64)
    if vertices.numel() and not bool(torch.isfinite(vertices).all()):
        raise ValueError("vertices contains NaN or inf")
    if faces.numel() and (bool((faces < 0).any()) or bool((faces >= vertices.shape[1]).any())):
        raise ValueError(
            f"faces must index vertices in [0, {vertices.shape[1]}), got range [{int(faces.min())}, {int(faces.max())}]"
        )
    return vertices, faces


def _numba_available() -> bool:
    try:
        from . import batch_numba  # noqa: F401
    except ImportError:
        return False
    return True


def voxelize_batch(
    vertices, faces, resolution: int = 32, fill: str = "flood", surface: str = "exact", backend: str = "auto"
) -> torch.Tensor:
    """Voxelize N meshes at once, with exactly ``voxelize``'s cells for each.

    Args:
        vertices: (N, V, 3) float tensor or array, object frame (x, y, z; object in
            [-0.5, 0.5]^3), computed in float64. Parts outside the grid are cut off.
        faces: (F, 3) shared (e.g. the template's) or (N, F, 3) per-mesh integer tensor
            or array of vertex indices.
        resolution: R, cells per axis.
        fill: 'flood' | 'carve' | 'none', as for ``voxelize``.
        surface: 'exact' runs here; 'softras' runs ``voxelize`` mesh by mesh (NumPy).
        backend: 'auto' (Numba on the CPU, torch elsewhere, torch on the CPU when Numba
            is not installed), 'numba' (CPU tensors only) or 'torch'.

    Returns:
        (N, R, R, R) bool tensor on ``vertices``' device (CPU for an array), indexed
        ``[i_y, i_x, R - 1 - i_z]`` (the ground-truth convention, as ``voxelize``).
    """
    resolution = check_resolution(resolution)
    if fill not in FILL_MODES:
        raise ValueError(f"fill must be one of {FILL_MODES}, got {fill!r}")
    if surface not in SURFACE_MODES:
        raise ValueError(f"surface must be one of {SURFACE_MODES}, got {surface!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    vertices, faces = _check_batch(vertices, faces)
    num, device = vertices.shape[0], vertices.device
    if backend == "numba" and device.type != "cpu":
        raise ValueError(f"backend='numba' needs CPU tensors, got vertices on {device}")
    if num == 0 or faces.shape[1] == 0:
        return torch.zeros((num,) + (resolution,) * 3, dtype=torch.bool, device=device)
    if surface == "softras":
        grids = [
            torch.from_numpy(voxelize(vertices[k].cpu(), faces[k].cpu(), resolution, fill, surface)) for k in range(num)
        ]
        return torch.stack(grids).to(device)
    if backend == "auto":
        backend = "numba" if device.type == "cpu" and _numba_available() else "torch"
    if backend == "numba":
        from .batch_numba import voxelize_meshes

        shared = faces.stride(0) == 0  # one (F, 3) table for all: pass it once
        face_table = faces[:1] if shared else faces
        return torch.from_numpy(
            voxelize_meshes(vertices.numpy(), face_table.numpy(), resolution, fill, threads=torch.get_num_threads())
        )
    from .batch_torch import voxelize_meshes

    return voxelize_meshes(vertices, faces, resolution, fill)


__all__ = ["BACKENDS", "voxelize_batch"]
