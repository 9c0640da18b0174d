"""Losses of single-view reconstruction: soft IoU, colour L1, Laplacian smoothing (of
positions and of surface colours), flattening."""

from .color import color_l1_loss
from .flatten import FlattenLoss
from .laplacian import ColorLaplacianLoss, LaplacianLoss
from .silhouette import multiview_iou_loss, soft_iou_loss

__all__ = ["ColorLaplacianLoss", "FlattenLoss", "LaplacianLoss", "color_l1_loss", "multiview_iou_loss", "soft_iou_loss"]
