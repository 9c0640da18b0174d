"""Intersection over union of occupancy grids (the benchmark's 3D IoU, docs/METHOD.md section 7)."""

from __future__ import annotations

from typing import Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor]
# IoU of two empty grids: they agree perfectly.
EMPTY_UNION_IOU = 1.0


def voxel_iou(pred: ArrayLike, gt: ArrayLike) -> ArrayLike:
    """IoU |pred & gt| / |pred | gt| over the last three axes.

    Args:
        pred: (..., R, R, R) bool (or 0/1) array or tensor, predicted occupancy.
        gt: same shape, ground-truth occupancy (any nonzero value is occupied).

    Returns:
        (...,) float64 numpy array, or a float64 tensor on ``pred``'s device when
        either input is a tensor. Two empty grids have IoU 1.
    """
    as_tensor = isinstance(pred, torch.Tensor) or isinstance(gt, torch.Tensor)
    if as_tensor:
        device = pred.device if isinstance(pred, torch.Tensor) else gt.device
        pred_t = torch.as_tensor(np.asarray(pred) if not isinstance(pred, torch.Tensor) else pred, device=device) != 0
        gt_t = torch.as_tensor(np.asarray(gt) if not isinstance(gt, torch.Tensor) else gt, device=device) != 0
        _check_shapes(tuple(pred_t.shape), tuple(gt_t.shape))
        intersection = (pred_t & gt_t).flatten(-3).sum(-1).double()
        union = (pred_t | gt_t).flatten(-3).sum(-1).double()
        return torch.where(union > 0, intersection / union.clamp(min=1), torch.full_like(union, EMPTY_UNION_IOU))
    pred_a = np.asarray(pred) != 0
    gt_a = np.asarray(gt) != 0
    _check_shapes(pred_a.shape, gt_a.shape)
    axes = (-3, -2, -1)
    intersection = np.count_nonzero(pred_a & gt_a, axis=axes).astype(np.float64)
    union = np.count_nonzero(pred_a | gt_a, axis=axes).astype(np.float64)
    return np.where(union > 0, intersection / np.maximum(union, 1), EMPTY_UNION_IOU)


def _check_shapes(pred_shape, gt_shape) -> None:
    if len(pred_shape) < 3:
        raise ValueError(f"pred must have shape (..., R, R, R), got {pred_shape}")
    if pred_shape != gt_shape:
        raise ValueError(f"pred and gt must have the same shape, got {pred_shape} and {gt_shape}")
