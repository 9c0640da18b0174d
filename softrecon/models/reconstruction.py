"""The single-view reconstruction model: image -> mesh (docs/METHOD.md section 7), and optionally
the mesh's colours (the paper's colour-supervised model).

Shape symbols: N batch, S image side, V template vertices, F template faces, T texels
per face.
"""

from __future__ import annotations

from typing import Sequence, Tuple, Union

import torch
from torch import nn

from softrecon.geometry import icosphere

from .color_head import ColorPrediction, PaletteColorHead
from .decoder import TemplateDecoder
from .encoder import Encoder

# The paper's architecture (docs/METHOD.md section 7), the defaults of ``ReconstructionModel``.
PAPER_ENCODER_CHANNELS = (64, 128, 256)
PAPER_ENCODER_FC = (1024, 1024, 512)
PAPER_DECODER_FC = (1024, 2048)
PAPER_TEMPLATE_LEVEL = 3  # icosphere level 3: 642 vertices, 1280 faces


class ReconstructionModel(nn.Module):
    """Encoder + template-deforming decoder, and with ``palette_size > 0`` a colour head.

    Without a colour head this is the paper's silhouette-only model. With one, the same
    latent code also drives a ``PaletteColorHead``: per-face R x R surface textures whose
    colours are sampled from the input image (the colour-supervised model; the paper
    used 10 to 20 palette colours).

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
        palette_size: colours of the colour head's palette; 0 (default): no colour head.
        texture_resolution: R of the colour head's R x R texels per face.
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
        palette_size: int = 0,
        texture_resolution: int = 1,
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
        if isinstance(palette_size, bool) or not isinstance(palette_size, int) or palette_size < 0:
            raise ValueError(
                f"palette_size must be an int >= 0 (0: no colour head; the paper: 10 to 20), got {palette_size!r}"
            )
        self.color_head = (
            PaletteColorHead(self.encoder.latent_dim, template_faces.shape[0], palette_size, texture_resolution)
            if palette_size
            else None
        )

    @property
    def faces(self) -> torch.Tensor:
        """(F, 3) long: the faces shared by every predicted mesh."""
        return self.decoder.faces

    @property
    def num_vertices(self) -> int:
        return self.decoder.num_vertices

    @property
    def has_color(self) -> bool:
        """Whether the model predicts colours (it has a colour head)."""
        return self.color_head is not None

    def forward(
        self, images: torch.Tensor, with_color: bool = False
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, ColorPrediction]]:
        """Args:
            images: (N, C_in, S, S) float in [0, 1] (RGB + alpha).
            with_color: also return the colour head's prediction (needs ``has_color``).

        Returns:
            vertices (N, V, 3) in the object frame; with ``with_color``, the pair
            (vertices, ``ColorPrediction`` whose ``textures`` are (N, F, T, 3)).
        """
        latent = self.encoder(images)
        vertices = self.decoder(latent)
        if not with_color:
            return vertices
        if self.color_head is None:
            raise ValueError("with_color=True needs a colour head: build the model with palette_size > 0")
        return vertices, self.color_head(latent, images)
