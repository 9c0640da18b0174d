"""Flatten loss: penalizes folds across the edges of a mesh (docs/METHOD.md section 7).

Shape symbols: N batch, V vertices, F faces, E interior edges.
"""

from __future__ import annotations

import torch
from torch import nn

from ._reduce import check_reduction, reduce_batch
from ._topology import as_face_index_tensor, interior_edge_quads

# Regularizer of the square roots and divisions, as in SoftRas' FlattenLoss: keeps
# the gradient finite for zero-length edges and collapsed faces.
FLATTEN_EPS = 1e-6


class FlattenLoss(nn.Module):
    """sum over interior edges of (cos(theta) + 1)^2, theta the dihedral angle.

    For an edge (v0, v1) shared by faces (v0, v1, v2) and (v0, v1, v3), theta is the
    angle between the components of v2 - v0 and v3 - v0 perpendicular to the edge: pi
    (cos = -1, loss 0) where the two faces are coplanar, 0 (loss 4) for a full fold.
    The regularization matches SoftRas' reference code. Unlike that code, which takes
    its edges from each face's (0,1) and (1,2) sides only, every interior edge counts.

    Args:
        faces: (F, 3) integer vertex indices of the (fixed) mesh topology.
        reduction: 'mean' over the batch (default, a scalar), 'sum', or 'none' ((N,)).
    """

    def __init__(self, faces: torch.Tensor, reduction: str = "mean") -> None:
        super().__init__()
        faces = as_face_index_tensor(faces)
        self.reduction = check_reduction(reduction)
        self.num_vertices = int(faces.max()) + 1 if faces.numel() else 0
        self.register_buffer("edge_quads", interior_edge_quads(faces), persistent=False)  # (E, 4) long

    def cosines(self, vertices: torch.Tensor, eps: float = FLATTEN_EPS) -> torch.Tensor:
        """(N, V, 3) float -> (N, E): cos of the dihedral angle at each interior edge
        (``eps`` regularizes the roots and divisions, SoftRas' ``forward(vertices, eps)``)."""
        if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3 or vertices.shape[2] != 3:
            raise ValueError(f"vertices must have shape (N, V, 3), got {getattr(vertices, 'shape', None)}")
        if vertices.shape[1] < self.num_vertices:
            raise ValueError(f"vertices has {vertices.shape[1]} vertices but faces refers to {self.num_vertices}")
        v0, v1, v2, v3 = (vertices[:, self.edge_quads[:, k]] for k in range(4))  # each (N, E, 3)
        edge = v1 - v0
        edge_len2 = edge.pow(2).sum(-1)
        perp2, len2 = _perpendicular(edge, edge_len2, v2 - v0, eps)
        perp3, len3 = _perpendicular(edge, edge_len2, v3 - v0, eps)
        return (perp2 * perp3).sum(-1) / (len2 * len3 + eps)

    def forward(self, vertices: torch.Tensor) -> torch.Tensor:
        """vertices (N, V, 3) float -> scalar (or (N,) with reduction='none')."""
        return reduce_batch((self.cosines(vertices) + 1).pow(2).sum(-1), self.reduction)


def _perpendicular(edge: torch.Tensor, edge_len2: torch.Tensor, side: torch.Tensor, eps: float = FLATTEN_EPS):
    """Component of ``side`` (N, E, 3) perpendicular to ``edge`` (N, E, 3), and its
    regularized length (N, E), computed as SoftRas does (|side| sin(angle))."""
    side_len2 = side.pow(2).sum(-1)
    edge_len = (edge_len2 + eps).sqrt()
    side_len = (side_len2 + eps).sqrt()
    dot = (edge * side).sum(-1)
    cos = dot / (edge_len * side_len + eps)
    sin = (1 - cos.pow(2) + eps).sqrt()
    perp = side - edge * (dot / (edge_len2 + eps))[..., None]
    return perp, side_len * sin
