"""Template-deforming mesh decoder of the reconstruction model (docs/METHOD.md section 7).

Shape symbols: N batch, V template vertices, F template faces, L latent size.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .encoder import _check_positive_ints

# |b| is clamped into [TEMPLATE_CLAMP, 1 - TEMPLATE_CLAMP] before its logit is taken, so
# that a template coordinate of exactly 0 (its sign is 0 too, so it stays 0 as in the
# reference code) gives a finite logit instead of -inf.
TEMPLATE_CLAMP = 1e-6


class TemplateDecoder(nn.Module):
    """Latent code -> mesh vertices by deforming a template in logit space.

    Fully connected + ReLU layers, then a centroid head (3 values, times
    ``centroid_scale``) and a displacement head (3 per vertex). With b the template
    scaled by ``template_scale`` and delta the displacements,
    v = sigmoid(logit(|b|) + delta) * sign(b), so every coordinate stays in (-1, 1);
    with c = tanh(centroid), positive parts are scaled by (1 - c), negative parts by
    (1 + c), c is added and the result halved: vertices lie in (-0.5, 0.5)^3 (the
    object frame of the data, docs/METHOD.md section 6).

    Args:
        latent_dim: L, the size of the input code.
        template_vertices: (V, 3) float, the template (e.g. the unit level-3 icosphere).
        template_faces: (F, 3) long, its faces (kept as the buffer ``faces``).
        fc_dims: widths of the hidden layers (paper: 1024, 2048).
        template_scale: scale applied to the template first (paper: 0.5).
        centroid_scale: factor on the centroid head (paper: 0.1).
    """

    def __init__(
        self,
        latent_dim: int,
        template_vertices: torch.Tensor,
        template_faces: torch.Tensor,
        fc_dims: Sequence[int],
        template_scale: float = 0.5,
        centroid_scale: float = 0.1,
    ) -> None:
        super().__init__()
        fc_dims = list(fc_dims)
        _check_positive_ints("fc_dims", fc_dims)
        _check_positive_ints("latent_dim", [latent_dim])
        if (
            not isinstance(template_vertices, torch.Tensor)
            or template_vertices.dim() != 2
            or template_vertices.shape[1] != 3
        ):
            raise ValueError(
                f"template_vertices must be a (V, 3) tensor, got {getattr(template_vertices, 'shape', None)}"
            )
        if not isinstance(template_faces, torch.Tensor) or template_faces.dim() != 2 or template_faces.shape[1] != 3:
            raise ValueError(f"template_faces must be a (F, 3) tensor, got {getattr(template_faces, 'shape', None)}")
        if not 0 < template_scale <= 1 or (template_vertices.abs().max() * template_scale) >= 1:
            raise ValueError(f"template_scale must put the template inside the open unit box, got {template_scale!r}")
        self.num_vertices = template_vertices.shape[0]
        self.centroid_scale = float(centroid_scale)
        hidden = []
        features = latent_dim
        for width in fc_dims:
            hidden += [nn.Linear(features, width), nn.ReLU(inplace=True)]
            features = width
        self.fc = nn.Sequential(*hidden)
        self.centroid_head = nn.Linear(features, 3)
        self.displacement_head = nn.Linear(features, 3 * self.num_vertices)
        base = template_vertices.double() * template_scale
        magnitude = base.abs().clamp(TEMPLATE_CLAMP, 1 - TEMPLATE_CLAMP)
        self.register_buffer("template_logit", torch.logit(magnitude).float())  # (V, 3)
        self.register_buffer("template_sign", torch.sign(base).float())  # (V, 3)
        self.register_buffer("faces", template_faces.long().clone())  # (F, 3)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        """latent (N, L) float -> vertices (N, V, 3) float in the object frame."""
        features = self.fc(latent)
        centroid = torch.tanh(self.centroid_head(features) * self.centroid_scale)[:, None, :]  # (N, 1, 3)
        delta = self.displacement_head(features).view(-1, self.num_vertices, 3)
        vertices = torch.sigmoid(self.template_logit + delta) * self.template_sign
        vertices = torch.relu(vertices) * (1 - centroid) - torch.relu(-vertices) * (1 + centroid)
        return (vertices + centroid) * 0.5
