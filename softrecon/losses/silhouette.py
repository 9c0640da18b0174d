"""Soft intersection-over-union loss between silhouettes (docs/METHOD.md section 7).

Shape symbols: N batch, H x W image.
"""

from __future__ import annotations

import torch

from ._reduce import check_reduction, reduce_batch

# Added to the union so that two empty masks give a loss of 1 instead of 0/0 (as in the
# SoftRas reference code).
IOU_DENOMINATOR_EPS = 1e-6


def soft_iou_loss(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """1 - sum(P T) / sum(P + T - P T) per silhouette, averaged over the batch.

    Args:
        pred: (N, H, W) float in [0, 1]: rendered soft silhouettes P.
        target: (N, H, W) float in [0, 1], same dtype/device as ``pred``: ground-truth masks T.
        reduction: 'mean' (default, scalar), 'sum' (scalar) or 'none' ((N,) per silhouette).

    Returns:
        A scalar (or (N,) with ``reduction='none'``) of ``pred``'s dtype; 0 for identical
        binary masks, 1 for disjoint ones.
    """
    check_reduction(reduction)
    if not isinstance(pred, torch.Tensor) or pred.dim() != 3:
        raise ValueError(f"pred must be a (N, H, W) tensor, got {getattr(pred, 'shape', type(pred).__name__)}")
    if not isinstance(target, torch.Tensor) or target.shape != pred.shape:
        raise ValueError(
            f"target must be a tensor of the shape of pred {tuple(pred.shape)}, got {getattr(target, 'shape', type(target).__name__)}"
        )
    target = target.to(pred.dtype)
    intersection = (pred * target).sum(dim=(1, 2))
    union = (pred + target - pred * target).sum(dim=(1, 2)) + IOU_DENOMINATOR_EPS
    return reduce_batch(1.0 - intersection / union, reduction)


def multiview_iou_loss(silhouettes: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean soft IoU loss over several renders of each mesh (the paper's multi-view term).

    Args:
        silhouettes: (K, N, H, W) float: K renders (e.g. mesh a at view a, at view b,
            mesh b at view a, at view b) of a batch of N meshes.
        targets: (K, N, H, W) float: the matching ground-truth masks.

    Returns:
        A scalar: the mean over the K * N silhouettes.
    """
    if not isinstance(silhouettes, torch.Tensor) or silhouettes.dim() != 4:
        raise ValueError(f"silhouettes must be a (K, N, H, W) tensor, got {getattr(silhouettes, 'shape', None)}")
    if not isinstance(targets, torch.Tensor) or targets.shape != silhouettes.shape:
        raise ValueError(
            f"targets must have the shape of silhouettes {tuple(silhouettes.shape)}, got {getattr(targets, 'shape', None)}"
        )
    return soft_iou_loss(silhouettes.flatten(0, 1), targets.flatten(0, 1), reduction="mean")
