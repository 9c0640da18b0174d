"""Image encoder of the reconstruction model (docs/METHOD.md section 7).

Shape symbols: N batch, C_in input channels, S image side.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

# Every convolution is 5 x 5 with stride 2, padding 2: it halves the image side.
CONV_KERNEL = 5
CONV_STRIDE = 2
CONV_PADDING = 2


class Encoder(nn.Module):
    """Conv(5x5, stride 2) + BatchNorm + ReLU blocks, then fully connected + ReLU layers.

    The paper's encoder is ``conv_channels=(64, 128, 256)``, ``fc_dims=(1024, 1024, 512)``
    on 4-channel 64 x 64 images.

    Args:
        in_channels: C_in, channels of the input image (4: RGB + alpha).
        image_size: S, the side of the square input images; must be divisible by
            2 ** len(conv_channels).
        conv_channels: output channels of each convolution block.
        fc_dims: widths of the fully connected layers; the last is the latent size.
    """

    def __init__(self, in_channels: int, image_size: int, conv_channels: Sequence[int], fc_dims: Sequence[int]) -> None:
        super().__init__()
        conv_channels, fc_dims = list(conv_channels), list(fc_dims)
        _check_positive_ints("conv_channels", conv_channels)
        _check_positive_ints("fc_dims", fc_dims)
        _check_positive_ints("in_channels", [in_channels])
        factor = CONV_STRIDE ** len(conv_channels)
        if (
            isinstance(image_size, bool)
            or not isinstance(image_size, int)
            or image_size < factor
            or image_size % factor
        ):
            raise ValueError(
                f"image_size must be a positive multiple of {factor} (2 ** number of convolutions), got {image_size!r}"
            )
        self.in_channels = in_channels
        self.image_size = image_size
        layers = []
        channels = in_channels
        for out in conv_channels:
            layers += [
                nn.Conv2d(channels, out, CONV_KERNEL, stride=CONV_STRIDE, padding=CONV_PADDING),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True),
            ]
            channels = out
        self.conv = nn.Sequential(*layers)
        features = channels * (image_size // factor) ** 2
        fc = []
        for width in fc_dims:
            fc += [nn.Linear(features, width), nn.ReLU(inplace=True)]
            features = width
        self.fc = nn.Sequential(*fc)
        self.latent_dim = features

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images (N, C_in, S, S) float in [0, 1] -> latent codes (N, fc_dims[-1])."""
        expected = (self.in_channels, self.image_size, self.image_size)
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(
                f"images must have shape (N, {expected[0]}, {expected[1]}, {expected[2]}), got {getattr(images, 'shape', None)}"
            )
        return self.fc(self.conv(images).flatten(1))


def _check_positive_ints(name: str, values) -> None:
    if not values or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values):
        raise ValueError(f"{name} must be a non-empty list of positive ints, got {values!r}")
