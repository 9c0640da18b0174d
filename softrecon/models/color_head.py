"""Colour head of the colour-supervised model: a palette picked from the input image.

The SoftRas authors describe their colour reconstruction (SoftRas issues #44 and #87):
colours are *sampled from the input image*. A small palette of P colours (they used 10
to 20) is predicted, each colour a softmax-weighted average of the input's pixels; each
face (here: each texel of an R x R surface texture) then makes a softmax choice over the
palette, and the result is rendered as a surface texture without further transformation.
Every predicted colour is therefore a convex combination of input pixels: it stays in the
input's gamut, and a colour loss moves the sampling weights, not free RGB values.

How the weights are produced is not published; this module's choices (each a named
argument): the palette's sampling logits come from the latent code through one linear
layer onto a coarse G x G grid, bilinearly upsampled to the input size, and weighted by
the input's alpha so that the background is never sampled; the per-texel
choice logits are the product of a learned per-texel embedding (T F x E, shared by all
inputs) and an image-dependent E x P matrix predicted from the latent code. This keeps
the head small (about 0.3 M parameters at the paper's size instead of the 10 M of a
dense F P output layer).

Shape symbols: N batch, C input channels (RGB then alpha), S input side, L latent size,
P palette size, G sampling grid side, F faces, R texture resolution, T = R * R texels
per face, E texel embedding size.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

from softrecon.protocol import ALPHA_CHANNEL, RGB_CHANNELS

# Smallest total sampling weight divided by: an image without foreground (alpha 0
# everywhere) gets a black palette, the background colour, instead of 0 / 0.
WEIGHT_SUM_FLOOR = 1e-12
# Paper-sized defaults: palette size in the authors' 10-20 range, a 16 x 16 sampling grid.
DEFAULT_PALETTE_SIZE = 16
DEFAULT_GRID_SIZE = 16
DEFAULT_EMBEDDING_DIM = 32


@dataclasses.dataclass(frozen=True)
class ColorPrediction:
    """What the colour head predicts for a batch of input images."""

    textures: torch.Tensor  # (N, F, T, 3) surface textures in [0, 1] (softrecon's 'texture' colour mode)
    palette: torch.Tensor  # (N, P, 3) palette colours, each a weighted mean of input pixels
    sample_weights: torch.Tensor  # (N, P, S, S) the sampling weights of each palette colour (sum 1 per colour)
    choice: torch.Tensor  # (N, F, T, P) each texel's softmax choice over the palette (sum 1 over P)


class PaletteColorHead(nn.Module):
    """Latent code + input image -> per-face surface textures sampled from the image.

    Args:
        latent_dim: L, the size of the encoder's code.
        num_faces: F, the faces of the (fixed) template mesh.
        palette_size: P, colours per image (the authors: 10 to 20).
        texture_resolution: R; each face gets R x R texels (1: one colour per face).
        grid_size: G, side of the coarse grid of sampling logits (upsampled to S x S).
        embedding_dim: E, size of each texel's learned embedding.
    """

    def __init__(
        self,
        latent_dim: int,
        num_faces: int,
        palette_size: int = DEFAULT_PALETTE_SIZE,
        texture_resolution: int = 1,
        grid_size: int = DEFAULT_GRID_SIZE,
        embedding_dim: int = DEFAULT_EMBEDDING_DIM,
    ) -> None:
        super().__init__()
        for name, value in (
            ("latent_dim", latent_dim),
            ("num_faces", num_faces),
            ("palette_size", palette_size),
            ("texture_resolution", texture_resolution),
            ("grid_size", grid_size),
            ("embedding_dim", embedding_dim),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.num_faces = num_faces
        self.palette_size = palette_size
        self.texels_per_face = texture_resolution * texture_resolution
        self.grid_size = grid_size
        self.embedding_dim = embedding_dim
        self.sampling_head = nn.Linear(latent_dim, palette_size * grid_size * grid_size)
        self.choice_head = nn.Linear(latent_dim, embedding_dim * palette_size)
        # Unit-variance logits at initialisation: embedding entries ~ N(0, 1) and the
        # choice matrix's default init (std ~ 1/sqrt(3 L)) keep the softmax soft.
        self.texel_embedding = nn.Parameter(torch.randn(num_faces * self.texels_per_face, embedding_dim))

    def forward(self, latent: torch.Tensor, images: torch.Tensor) -> ColorPrediction:
        """Args:
            latent: (N, L) float, the encoder's code of ``images``.
            images: (N, C, S, S) float in [0, 1]: RGB, then alpha if C >= 4 (the mask
                that keeps the background out of the palette).

        Returns:
            A ``ColorPrediction``; differentiable in ``latent``, ``images`` and the
            head's parameters.
        """
        if not isinstance(latent, torch.Tensor) or latent.dim() != 2:
            raise ValueError(f"latent must be a (N, L) tensor, got {getattr(latent, 'shape', type(latent).__name__)}")
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] < RGB_CHANNELS:
            raise ValueError(
                f"images must be a (N, C >= 3, S, S) tensor, got {getattr(images, 'shape', type(images).__name__)}"
            )
        if images.shape[0] != latent.shape[0]:
            raise ValueError(
                f"latent and images must have the same batch size, got {latent.shape[0]} and {images.shape[0]}"
            )
        batch, _, height, width = images.shape
        grid = self.sampling_head(latent).view(batch, self.palette_size, self.grid_size, self.grid_size)
        logits = F.interpolate(grid, size=(height, width), mode="bilinear", align_corners=False)  # (N, P, S, S)
        weights = _masked_softmax(
            logits.flatten(2), images[:, ALPHA_CHANNEL].flatten(1) if images.shape[1] > ALPHA_CHANNEL else None
        )
        pixels = images[:, :RGB_CHANNELS].flatten(2)  # (N, 3, S S)
        palette = torch.bmm(weights, pixels.transpose(1, 2))  # (N, P, 3)
        mixing = self.choice_head(latent).view(batch, self.embedding_dim, self.palette_size)  # (N, E, P)
        choice_logits = torch.matmul(self.texel_embedding, mixing)  # (N, F T, P)
        choice = torch.softmax(choice_logits, dim=2)
        textures = torch.bmm(choice, palette)  # (N, F T, 3)
        return ColorPrediction(
            textures=textures.view(batch, self.num_faces, self.texels_per_face, RGB_CHANNELS),
            palette=palette,
            sample_weights=weights.view(batch, self.palette_size, height, width),
            choice=choice.view(batch, self.num_faces, self.texels_per_face, self.palette_size),
        )


def _masked_softmax(logits: torch.Tensor, alpha: torch.Tensor | None) -> torch.Tensor:
    """Softmax over pixels weighted by the mask: w_i = alpha_i exp(l_i) / sum_j alpha_j exp(l_j).

    Args:
        logits: (N, P, M) float, one logit per palette colour and pixel.
        alpha: (N, M) float in [0, 1] or None (every pixel counts fully).

    Returns:
        (N, P, M): each row sums to 1, or to 0 where alpha is 0 everywhere. Pixels with
        alpha 0 get exactly 0, whatever their logit (this is softmax(l + log alpha)
        without the -inf of log 0).
    """
    if alpha is None:
        return torch.softmax(logits, dim=2)
    alpha = alpha[:, None, :]
    top = logits.masked_fill(alpha <= 0, float("-inf")).amax(dim=2, keepdim=True)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top)).detach()  # no foreground: any shift works
    weights = torch.exp((logits - top).masked_fill(alpha <= 0, float("-inf"))) * alpha
    return weights / weights.sum(dim=2, keepdim=True).clamp_min(WEIGHT_SUM_FLOOR)
