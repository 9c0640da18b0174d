"""The single-view reconstruction model: image -> mesh (SPEC section 7).

Shape symbols: N batch, S image side, V template vertices, F template faces.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from softrecon.geometry import icosphere

from .decoder import TemplateDecoder
from .encoder import Encoder

# The paper's architecture (SPEC section 7), the defaults of ``ReconstructionModel``.
PAPER_ENCODER_CHANNELS = (64, 128, 256)
PAPER_ENCODER_FC = (1024, 1024, 512)
PAPER_DECODER_FC = (1024, 2048)
PAPER_TEMPLATE_LEVEL = 3  # icosphere level 3: 642 vertices, 1280 faces


class ReconstructionModel(nn.Module):
    """Encoder + template-deforming decoder; a silhouette-only model (no colour head).

    Args:
        image_size: S, side of the square input images.
        in_channels: channels of the input images (4: RGB + alpha).
        template_level: subdivision level of the icosphere template (3: 642 vertices).
        template_scale: the template's scale (paper: 0.5).
        template_orientation: 'axes' or 'softras' (Blender's icosphere, as SoftRas'
            template); decides which vertices start on a coordinate plane, where the
            sign-keeping deformation pins them (see ``softrecon.geometry.icosphere``).
        centroid_scale: factor on the centroid head (paper: 0.1).
        encoder_channels: channels of the 5 x 5 stride-2 convolutions.
        encoder_fc: widths of the encoder's fully connected layers (last = latent size).
        decoder_fc: widths of the decoder's hidden layers.
    """

    def __init__(
        self,
        image_size: int = 64,
        in_channels: int = 4,
        template_level: int = PAPER_TEMPLATE_LEVEL,
        template_scale: float = 0.5,
        template_orientation: str = "axes",
        centroid_scale: float = 0.1,
        encoder_channels: Sequence[int] = PAPER_ENCODER_CHANNELS,
        encoder_fc: Sequence[int] = PAPER_ENCODER_FC,
        decoder_fc: Sequence[int] = PAPER_DECODER_FC,
    ) -> None:
        super().__init__()
        if isinstance(template_level, bool) or not isinstance(template_level, int) or template_level < 0:
            raise ValueError(f"template_level must be an int >= 0, got {template_level!r}")
        template_vertices, template_faces = icosphere(template_level, orientation=template_orientation)
        self.encoder = Encoder(in_channels, image_size, encoder_channels, encoder_fc)
        self.decoder = TemplateDecoder(
            self.encoder.latent_dim,
            template_vertices,
            template_faces,
            decoder_fc,
            template_scale=template_scale,
            centroid_scale=centroid_scale,
        )

    @property
    def faces(self) -> torch.Tensor:
        """(F, 3) long: the faces shared by every predicted mesh."""
        return self.decoder.faces

    @property
    def num_vertices(self) -> int:
        return self.decoder.num_vertices

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images (N, C_in, S, S) float in [0, 1] -> vertices (N, V, 3) in the object frame."""
        return self.decoder(self.encoder(images))
