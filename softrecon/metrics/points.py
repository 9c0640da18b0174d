"""Point-set metrics (Chamfer distance, F-score) and point sampling from meshes and voxels.

Chamfer convention (as in PyTorch3D's ``chamfer_distance`` and the SoftRas / Pixel2Mesh
line of papers): the mean over A of the squared distance to the nearest point of B plus
the mean over B of the squared distance to the nearest point of A. ``squared=False``
gives the same with plain (non-squared) distances.

Shape symbols: P, Q points, V vertices, F faces, R resolution.
"""

from __future__ import annotations

from typing import Optional, Union

import numpy as np
import scipy.ndimage
import scipy.spatial
import torch

from ..voxel.convention import array_index_to_cell_center

ArrayLike = Union[np.ndarray, torch.Tensor]
# Bound on P * Q entries of one distance block in the tensor path.
DISTANCE_BLOCK_ENTRIES = 1 << 20


def _check_points(points, name: str) -> None:
    shape = tuple(points.shape)
    if len(shape) != 2 or shape[1] != 3 or shape[0] < 1:
        raise ValueError(f"{name} must have shape (P, 3) with P >= 1, got {shape}")


def _nearest_squared_tensor(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(P,) squared distance from each row of a (P, 3) to its nearest row of b (Q, 3);
    differentiable, computed in blocks of rows of a."""
    rows = max(1, DISTANCE_BLOCK_ENTRIES // len(b))
    pieces = []
    for start in range(0, len(a), rows):
        block = a[start : start + rows]
        d2 = (block[:, None, :] - b[None, :, :]).square().sum(-1)  # exact (cdist's matmul path loses digits)
        pieces.append(d2.min(dim=1).values)
    return torch.cat(pieces)


def nearest_distances(points_a: ArrayLike, points_b: ArrayLike, squared: bool = True) -> ArrayLike:
    """Distance from each point of A to its nearest point of B.

    Args:
        points_a: (P, 3) float array or tensor.
        points_b: (Q, 3) same kind.
        squared: return squared distances.

    Returns:
        (P,) float: a tensor (differentiable) for tensor inputs, else a float64 array
        (computed with a k-d tree).
    """
    _check_points(points_a, "points_a")
    _check_points(points_b, "points_b")
    if isinstance(points_a, torch.Tensor) or isinstance(points_b, torch.Tensor):
        a = torch.as_tensor(points_a)
        b = torch.as_tensor(points_b, dtype=a.dtype, device=a.device)
        d2 = _nearest_squared_tensor(a, b)
        return d2 if squared else d2.clamp(min=0).sqrt()
    distance, _ = scipy.spatial.cKDTree(np.asarray(points_b, dtype=np.float64)).query(
        np.asarray(points_a, dtype=np.float64)
    )
    return distance * distance if squared else distance


def chamfer_distance(points_a: ArrayLike, points_b: ArrayLike, squared: bool = True):
    """Symmetric Chamfer distance: mean_A min_B d + mean_B min_A d (d squared by default).

    Args:
        points_a: (P, 3) float array or tensor.
        points_b: (Q, 3) same kind.
        squared: use squared distances (the common convention) or plain ones.

    Returns:
        A 0-dim tensor (differentiable) for tensor inputs, else a Python float.
    """
    forward = nearest_distances(points_a, points_b, squared)
    backward = nearest_distances(points_b, points_a, squared)
    if isinstance(forward, torch.Tensor):
        return forward.mean() + backward.mean()
    return float(forward.mean() + backward.mean())


def fscore(points_a: ArrayLike, points_b: ArrayLike, threshold: float) -> float:
    """F-score at a distance threshold (Tatarchenko et al. 2019), A the prediction.

    precision = fraction of A within ``threshold`` of B, recall = fraction of B within
    ``threshold`` of A, F = 2 precision recall / (precision + recall) (0 when both are 0).

    Args:
        points_a: (P, 3) float array or tensor (predicted points).
        points_b: (Q, 3) same kind (ground-truth points).
        threshold: > 0, plain (non-squared) distance in object-frame units.

    Returns:
        float in [0, 1].
    """
    if not (isinstance(threshold, (int, float)) and threshold > 0):
        raise ValueError(f"threshold must be a number > 0, got {threshold!r}")
    a = points_a.detach().cpu().double().numpy() if isinstance(points_a, torch.Tensor) else np.asarray(points_a)
    b = points_b.detach().cpu().double().numpy() if isinstance(points_b, torch.Tensor) else np.asarray(points_b)
    precision = float(np.mean(nearest_distances(a, b, squared=False) <= threshold))
    recall = float(np.mean(nearest_distances(b, a, squared=False) <= threshold))
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def sample_points_on_mesh(vertices, faces, n: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Uniform (area-weighted) random points on a triangle mesh surface.

    Args:
        vertices: (V, 3) float tensor (gradients flow to it) or array.
        faces: (F, 3) integer tensor or array, at least one face of positive area.
        n: number of points, >= 1.
        generator: torch.Generator for reproducible samples (on the vertices' device).

    Returns:
        (n, 3) tensor, the dtype and device of ``vertices`` (float64 for arrays).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    vertices = torch.as_tensor(vertices)
    if not vertices.is_floating_point():
        vertices = vertices.double()
    faces = torch.as_tensor(faces, device=vertices.device).long()
    if vertices.dim() != 2 or vertices.shape[1] != 3:
        raise ValueError(f"vertices must have shape (V, 3), got {tuple(vertices.shape)}")
    if faces.dim() != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise ValueError(f"faces must have shape (F, 3) with F >= 1, got {tuple(faces.shape)}")
    tri = vertices[faces]  # (F, 3, 3)
    areas = torch.linalg.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]).norm(dim=1).detach()
    if not torch.isfinite(areas).all() or areas.sum() <= 0:
        raise ValueError("the mesh has no face of positive finite area to sample")
    face_index = torch.multinomial(areas.float(), n, replacement=True, generator=generator)
    u, v = torch.rand(2, n, 1, generator=generator, device=vertices.device, dtype=vertices.dtype)
    root = u.sqrt()  # (1 - sqrt u, sqrt u (1 - v), sqrt u v) is uniform on a triangle
    chosen = tri[face_index]
    return (1 - root) * chosen[:, 0] + root * (1 - v) * chosen[:, 1] + root * v * chosen[:, 2]


def voxel_surface_points(voxels: ArrayLike) -> np.ndarray:
    """Object-frame centres of the boundary cells of an occupancy grid.

    A boundary cell is an occupied cell with an empty 6-neighbour or on the grid border.

    Args:
        voxels: (R, R, R) bool array or tensor in the ground-truth convention
            (indexed [i_y, i_x, R - 1 - i_z], docs/METHOD.md section 7).

    Returns:
        (P, 3) float64 array of (x, y, z) cell centres (the inverse of the index map).
    """
    if isinstance(voxels, torch.Tensor):
        voxels = voxels.detach().cpu().numpy()
    voxels = np.asarray(voxels) != 0
    if voxels.ndim != 3 or len(set(voxels.shape)) != 1:
        raise ValueError(f"voxels must be a cubic (R, R, R) array, got shape {voxels.shape}")
    boundary = voxels & ~scipy.ndimage.binary_erosion(voxels, border_value=0)
    return array_index_to_cell_center(np.argwhere(boundary), voxels.shape[0])
