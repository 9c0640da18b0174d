"""Loop-free midpoint subdivision of triangle meshes (coarse-to-fine fitting, icospheres).

Shape symbols: V vertices, F faces, E unique edges.
"""

from __future__ import annotations

from typing import Tuple

import torch

from .faces import check_faces


def subdivide_midpoints(vertices: torch.Tensor, faces: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Split every face into four at its edge midpoints; the surface does not move.

    Each face (a, b, c) with midpoints ab, bc, ca becomes (a, ab, ca), (b, bc, ab),
    (c, ca, bc) and (ab, bc, ca): every child keeps its parent's winding. Shared edges
    get one midpoint (deterministic order: ``torch.unique`` of the sorted edges).

    Args:
        vertices: (V, 3) float.
        faces: (F, 3) int64.

    Returns:
        vertices (V + E, 3): the old vertices first, then the midpoints (differentiable
        with respect to ``vertices``); faces (4 F, 3) int64.
    """
    if not isinstance(vertices, torch.Tensor) or vertices.dim() != 2 or vertices.shape[1] != 3:
        raise ValueError(f"vertices must be a (V, 3) tensor, got {getattr(vertices, 'shape', type(vertices))}")
    check_faces(faces)
    if faces.dim() != 2:
        raise ValueError(f"faces must be (F, 3), got {tuple(faces.shape)}")
    num_vertices = vertices.shape[0]
    edges = torch.stack([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]], dim=1)  # (F, 3, 2)
    unique_edges, edge_index = torch.unique(edges.sort(dim=-1).values.reshape(-1, 2), dim=0, return_inverse=True)
    midpoints = vertices[unique_edges].mean(dim=1)
    mid = (edge_index + num_vertices).reshape(-1, 3)  # (F, 3): ab, bc, ca
    a, b, c = faces.unbind(-1)
    ab, bc, ca = mid.unbind(-1)
    children = torch.stack(
        [
            torch.stack([a, ab, ca], -1),
            torch.stack([b, bc, ab], -1),
            torch.stack([c, ca, bc], -1),
            torch.stack([ab, bc, ca], -1),
        ],
        dim=1,
    ).reshape(-1, 3)
    return torch.cat([vertices, midpoints], dim=0), children
