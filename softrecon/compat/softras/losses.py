"""SoftRas' mesh regularizers (``soft_renderer/losses.py``) on softrecon's sparse ones.

Shape symbols: N batch, V vertices, F faces.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ...losses import FlattenLoss as _NativeFlattenLoss
from ...losses import LaplacianLoss as _NativeLaplacianLoss
from ...losses._topology import as_face_index_tensor


def _reduce(values: torch.Tensor, average: bool) -> torch.Tensor:
    """SoftRas' reduction: per-mesh (N,) values, or their sum over the batch / N."""
    return values.sum() / values.shape[0] if average else values


class LaplacianLoss(nn.Module):
    """sum_i |v_i - mean of its neighbours|^2 per mesh (``softrecon.losses.LaplacianLoss``,
    sparse; SoftRas builds a dense V x V matrix).

    Args:
        vertex: (V, 3) template vertices (only V is used).
        faces: (F, 3) integer faces.
        average: False: ``forward`` returns (N,) per-mesh losses; True: their mean.

    ``forward(x)``: x (N, V, 3). An isolated vertex counts 0 (SoftRas: NaN).
    """

    def __init__(self, vertex, faces, average=False):
        super().__init__()
        self.nv = vertex.size(0)
        self.nf = faces.size(0)
        self.average = average
        self.native = _NativeLaplacianLoss(faces.long(), self.nv, reduction="none")

    def forward(self, x):
        return _reduce(self.native(x), self.average)


class FlattenLoss(nn.Module):
    """sum over edges of (cos(dihedral) + 1)^2 per mesh (``softrecon.losses.FlattenLoss``).

    The edge set is SoftRas': the sides (0, 1) and (1, 2) of every face, deduplicated, so
    an edge that is the (2, 0) side of both its faces is left out as in SoftRas (the
    native loss counts every interior edge). Boundary edges are left out too (SoftRas
    misaligns its arrays on open meshes).

    Args:
        faces: (F, 3) integer faces.
        average: False: (N,) per-mesh losses; True: their mean.

    ``forward(vertices, eps=1e-6)``: vertices (N, V, 3); ``eps`` regularizes the roots
    and divisions as in SoftRas.
    """

    def __init__(self, faces, average=False):
        super().__init__()
        self.nf = faces.size(0)
        self.average = average
        faces = as_face_index_tensor(faces.detach()).cpu()
        self.native = _NativeFlattenLoss(faces, reduction="none")
        quads = self.native.edge_quads.cpu()
        softras_edges = torch.cat([faces[:, 0:2], faces[:, 1:3]], dim=0).sort(dim=1).values
        num = int(faces.max()) + 1 if faces.numel() else 1
        keys = softras_edges[:, 0] * num + softras_edges[:, 1]
        keep = torch.isin(quads[:, 0] * num + quads[:, 1], keys)
        self.native.edge_quads = quads[keep].to(self.native.edge_quads.device)

    def forward(self, vertices, eps=1e-6):
        return _reduce((self.native.cosines(vertices, eps=eps) + 1).pow(2).sum(-1), self.average)
