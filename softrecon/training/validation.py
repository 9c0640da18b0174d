"""The cheap validation of a training run: voxel IoU of a few objects per class.

A progress signal logged during training, not the benchmark (``eval.py`` is).
"""

from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from softrecon.evaluation.scoring import VoxelScorer
from softrecon.models.inference import reconstruct

VAL_VIEWS = 4  # views per object (evenly spaced azimuths)


def validate(
    model: nn.Module, dataset, objects_per_class: int, image_size: int, device: torch.device
) -> Dict[str, float]:
    """Voxel IoU of ``model`` on the first ``objects_per_class`` objects of each class.

    Args:
        model: a ``ReconstructionModel`` (its ``faces`` are scored).
        dataset: a ``MultiViewDataset`` with voxels (the validation split).
        objects_per_class: objects of each class scored (``trainer.val_objects``).
        image_size: the side the network sees (``data.image_size``); images are resized to it.
        device: where the (4, 4, S, S) image batches of each object go.

    Returns:
        ``{'val/iou_<class>': ..., 'val/iou_mean': mean over classes}``.
    """
    scorer = VoxelScorer(dataset, model.faces)
    views = torch.arange(0, dataset.num_views, max(1, dataset.num_views // VAL_VIEWS))[:VAL_VIEWS]
    for class_id in dataset.class_ids:
        for obj in list(dataset.object_range(class_id))[:objects_per_class]:
            images = dataset.get_images(obj, views).to(device)
            vertices = reconstruct(model, images, image_size)
            scorer.add(vertices, [obj] * len(views), views.tolist())
    return {f"val/iou_{class_id}": value for class_id, value in scorer.per_class().items()} | {
        "val/iou_mean": scorer.class_mean()
    }
