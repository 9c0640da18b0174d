"""Uniform-weight Laplacian smoothness losses (docs/METHOD.md section 7), sparse.

``LaplacianLoss`` smooths vertex positions over the mesh's edges; ``ColorLaplacianLoss``
smooths surface-texture colours over adjacent faces (the SoftRas authors' colour
regularizer, SoftRas issue #44). Both are one graph Laplacian on different graphs.

Shape symbols: N batch, V vertices (graph nodes), F faces, K largest degree, D features
per node, T texels per face.
"""

from __future__ import annotations

import torch
from torch import nn

from ._reduce import check_reduction, reduce_batch
from ._topology import as_face_index_tensor, face_adjacency_edges, graph_neighbour_table, unique_edges


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
        self._set_graph(unique_edges(faces), num_vertices, reduction)

    def _set_graph(self, edges: torch.Tensor, num_vertices: int, reduction: str) -> None:
        """Build the neighbour buffers of the graph with (E, 2) ``edges`` on ``num_vertices`` nodes."""
        self.reduction = check_reduction(reduction)
        self.num_vertices = num_vertices
        index, mask = graph_neighbour_table(edges, num_vertices)
        degree = mask.sum(1, keepdim=True)
        # Weight of each neighbour: 1/degree (0 for padding and isolated vertices).
        weight = mask.double() / degree.clamp(min=1)
        self.register_buffer("neighbour_index", index, persistent=False)  # (V, K) long
        self.register_buffer("neighbour_weight", weight, persistent=False)  # (V, K) float64
        self.register_buffer("has_neighbours", degree[:, 0] > 0, persistent=False)  # (V,) bool

    def laplacian(self, vertices: torch.Tensor) -> torch.Tensor:
        """(N, V, D) -> (N, V, D): v_i - mean of its neighbours (0 for isolated nodes); D = 3 for positions."""
        if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3 or vertices.shape[1] != self.num_vertices:
            raise ValueError(
                f"vertices must have shape (N, {self.num_vertices}, D), got {getattr(vertices, 'shape', None)}"
            )
        weight = self.neighbour_weight.to(vertices.dtype)
        gathered = vertices[:, self.neighbour_index]  # (N, V, K, D)
        mean = (gathered * weight[None, :, :, None]).sum(2)
        return torch.where(self.has_neighbours[None, :, None], vertices - mean, torch.zeros_like(vertices))

    def forward(self, vertices: torch.Tensor) -> torch.Tensor:
        """vertices (N, V, 3) float -> scalar (or (N,) with reduction='none')."""
        return reduce_batch(self.laplacian(vertices).pow(2).sum(dim=(1, 2)), self.reduction)


class ColorLaplacianLoss(LaplacianLoss):
    """sum_f || c_f - mean_{g adjacent to f} c_g ||^2 per mesh, over surface-texture colours.

    Faces are adjacent when they share an edge; c_f is all of face f's texels (T x C
    values), so the loss pulls neighbouring faces towards the same colours.

    Args:
        faces: (F, 3) integer vertex indices of the (fixed) mesh topology.
        reduction: 'mean' over the batch (default, a scalar), 'sum', or 'none' ((N,)).
    """

    def __init__(self, faces: torch.Tensor, reduction: str = "mean") -> None:
        nn.Module.__init__(self)
        faces = as_face_index_tensor(faces)
        self._set_graph(face_adjacency_edges(faces), faces.shape[0], reduction)

    def forward(self, textures: torch.Tensor) -> torch.Tensor:
        """textures (N, F, T, C) float -> scalar (or (N,) with reduction='none')."""
        if not isinstance(textures, torch.Tensor) or textures.dim() != 4:
            raise ValueError(
                f"textures must be a (N, F, T, C) tensor, got {getattr(textures, 'shape', type(textures).__name__)}"
            )
        return super().forward(textures.flatten(2))
