"""Running a reconstruction model on images: the input resize and inference in eval mode.

Shared by training (its inputs and its validation) and evaluation, so it lives with the
model rather than in either. Shape symbols: N images, S0 stored image side, V vertices,
F faces, T texels per face.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def resize_images(images: torch.Tensor, size: int) -> torch.Tensor:
    """(N, C, S0, S0) float -> (N, C, size, size), area-averaged (identity if S0 == size)."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="area")


@torch.no_grad()
def reconstruct(model: nn.Module, images: torch.Tensor, image_size: int, with_color: bool = False):
    """images (N, 4, S0, S0) float in [0, 1] on the model's device -> vertices (N, V, 3),
    or with ``with_color`` (colour model) the pair (vertices, textures (N, F, T, 3)).

    The model is switched to eval mode (BatchNorm running statistics) and back to the
    mode it was in.
    """
    was_training = model.training
    model.eval()
    try:
        if with_color:
            vertices, color = model(resize_images(images, image_size), with_color=True)
            return vertices, color.textures
        return model(resize_images(images, image_size))
    finally:
        model.train(was_training)
