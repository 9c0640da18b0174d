"""Losses of single-view reconstruction: soft IoU, Laplacian smoothing, flattening."""

from .flatten import FlattenLoss
from .laplacian import LaplacianLoss
from .silhouette import multiview_iou_loss, soft_iou_loss

__all__ = ["FlattenLoss", "LaplacianLoss", "multiview_iou_loss", "soft_iou_loss"]
