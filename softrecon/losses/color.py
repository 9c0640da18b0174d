"""Colour loss of the colour-supervised model: rendered RGB against the target view's RGB.

The paper supervises colour with the softmax-aggregated RGB render; the loss's form is
not given there. This is the mean absolute error over all pixels and channels: the
renders and the NMR-format images both have a black background, so background pixels
compare black with black where the silhouette is right and count against the colour
where it is wrong (the silhouette term already covers that case, the colour term only
adds to it). L1 rather than L2 so that a few wrong-coloured pixels at thin parts do not
dominate the gradient of the palette.

Shape symbols: N batch, C colour channels, H x W image.
"""

from __future__ import annotations

import torch

from ._reduce import check_reduction, reduce_batch


def color_l1_loss(rendered: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Mean |rendered - target| per image, reduced over the batch.

    Args:
        rendered: (N, C, H, W) float: rendered colours (e.g. RGB of a softmax render).
        target: (N, C, H, W) float in [0, 1], same shape: the ground-truth colours.
        reduction: 'mean' (default, scalar), 'sum' (scalar) or 'none' ((N,) per image).

    Returns:
        A scalar (or (N,) with ``reduction='none'``) of ``rendered``'s dtype.
    """
    check_reduction(reduction)
    if not isinstance(rendered, torch.Tensor) or rendered.dim() != 4:
        raise ValueError(
            f"rendered must be a (N, C, H, W) tensor, got {getattr(rendered, 'shape', type(rendered).__name__)}"
        )
    if not isinstance(target, torch.Tensor) or target.shape != rendered.shape:
        raise ValueError(
            f"target must be a tensor of the shape of rendered {tuple(rendered.shape)}, got {getattr(target, 'shape', type(target).__name__)}"
        )
    return reduce_batch((rendered - target.to(rendered.dtype)).abs().mean(dim=(1, 2, 3)), reduction)
