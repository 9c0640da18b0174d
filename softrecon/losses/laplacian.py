"""Uniform-weight Laplacian smoothness loss (SPEC section 7), sparse.

Shape symbols: N batch, V vertices, F faces, K largest vertex degree.
"""

from __future__ import annotations

import torch
from torch import nn

from ._reduce import check_reduction, reduce_batch
from ._topology import as_face_index_tensor, neighbour_table


class LaplacianLoss(nn.Module):
    """sum_i || v_i - mean_{j in N(i)} v_j ||^2 per mesh (uniform weights, squared norm).

    This is SoftRas' ``LaplacianLoss`` (rows of I - D^-1 A) without its dense V x V
    matrix: neighbours are gathered from a padded (V, K) table, which is sparse, and
    deterministic on every device (no atomics). Isolated vertices contribute 0.

    Args:
        faces: (F, 3) integer vertex indices of the (fixed) mesh topology.
        num_vertices: V.
        reduction: 'mean' over the batch (default, a scalar), 'sum', or 'none' ((N,)).
    """

    def __init__(self, faces: torch.Tensor, num_vertices: int, reduction: str = "mean") -> None:
        super().__init__()
        if isinstance(num_vertices, bool) or not isinstance(num_vertices, int) or num_vertices < 1:
            raise ValueError(f"num_vertices must be a positive int, got {num_vertices!r}")
        faces = as_face_index_tensor(faces, num_vertices)
        self.reduction = check_reduction(reduction)
        self.num_vertices = num_vertices
        index, mask = neighbour_table(faces, num_vertices)
        degree = mask.sum(1, keepdim=True)
        # Weight of each neighbour: 1/degree (0 for padding and isolated vertices).
        weight = mask.double() / degree.clamp(min=1)
        self.register_buffer("neighbour_index", index, persistent=False)  # (V, K) long
        self.register_buffer("neighbour_weight", weight, persistent=False)  # (V, K) float64
        self.register_buffer("has_neighbours", degree[:, 0] > 0, persistent=False)  # (V,) bool

    def laplacian(self, vertices: torch.Tensor) -> torch.Tensor:
        """(N, V, 3) -> (N, V, 3): v_i - mean of its neighbours (0 for isolated vertices)."""
        if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3 or vertices.shape[1:] != (self.num_vertices, 3):
            raise ValueError(f"vertices must have shape (N, {self.num_vertices}, 3), got {getattr(vertices, 'shape', None)}")
        weight = self.neighbour_weight.to(vertices.dtype)
        gathered = vertices[:, self.neighbour_index]  # (N, V, K, 3)
        mean = (gathered * weight[None, :, :, None]).sum(2)
        return torch.where(self.has_neighbours[None, :, None], vertices - mean, torch.zeros_like(vertices))

    def forward(self, vertices: torch.Tensor) -> torch.Tensor:
        """vertices (N, V, 3) float -> scalar (or (N,) with reduction='none')."""
        return reduce_batch(self.laplacian(vertices).pow(2).sum(dim=(1, 2)), self.reduction)
