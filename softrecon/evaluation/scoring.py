"""Reconstruct meshes from images and score them against ground-truth voxels.

The benchmark protocol (docs/METHOD.md section 7): every view of every object is one sample;
its predicted mesh is voxelized at the ground-truth resolution (surface plus filled
interior, in the ground-truth index convention) and compared by IoU; a batch of
predictions is voxelized at once on its device (``voxelize_batch``: exactly
``voxelize``'s cells). Optionally, the Chamfer distance and F-score between points
sampled on the predicted surface and the centres of the ground-truth boundary voxels.

Shape symbols: N images, S image side, V vertices, F faces, R voxel resolution.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from softrecon.metrics import chamfer_distance, fscore, sample_points_on_mesh, voxel_iou, voxel_surface_points
from softrecon.voxel import voxelize_batch

SURFACE_POINTS = 2048  # points sampled on each predicted mesh for Chamfer / F-score
POINTS_SEED = 0  # seed of that sampling (its own generator: global RNG untouched)


@dataclasses.dataclass
class Sample:
    """The scores of one (object, view) reconstruction."""

    object_index: int
    view: int
    class_id: str
    iou: float
    chamfer: Optional[float] = None
    fscore: Optional[float] = None
    color_error: Optional[float] = None  # colour model: mean abs RGB error on held-out views


class VoxelScorer:
    """Scores predicted meshes against a dataset's ground-truth voxels.

    Args:
        dataset: a ``softrecon.datasets.MultiViewDataset`` (``get_voxels``, ``class_id_of``).
        faces: (F, 3) long, the faces of every predicted mesh.
        with_points: also compute Chamfer distance and F-score.
        fscore_threshold: distance of the F-score (object-frame units).
    """

    def __init__(self, dataset, faces: torch.Tensor, with_points: bool = False, fscore_threshold: float = 0.01) -> None:
        self.dataset = dataset
        self.faces = faces.detach().cpu()
        self.with_points = with_points
        self.fscore_threshold = fscore_threshold
        self.samples: List[Sample] = []
        self._cached_object: Optional[int] = None
        self._cached = None  # (voxels (R, R, R) bool numpy, surface points (P, 3) or None)
        self._generator = torch.Generator().manual_seed(POINTS_SEED)

    def _ground_truth(self, object_index: int):
        if object_index != self._cached_object:
            voxels = self.dataset.get_voxels(object_index).cpu().numpy().astype(bool)
            points = voxel_surface_points(voxels) if self.with_points else None
            self._cached_object, self._cached = object_index, (voxels, points)
        return self._cached

    def add(
        self,
        vertices: torch.Tensor,
        object_index: Sequence[int],
        view_index: Sequence[int],
        color_errors: Optional[Sequence[float]] = None,
    ) -> None:
        """Score a batch of predicted meshes.

        Args:
            vertices: (N, V, 3) float, object frame.
            object_index: (N,) object numbers in the dataset.
            view_index: (N,) the view each mesh was predicted from.
            color_errors: None, or (N,) colour errors measured elsewhere (colour model,
                ``softrecon.evaluation.color_error``), kept with the samples.
        """
        vertices = vertices.detach()
        object_index = [int(i) for i in object_index]
        view_index = [int(v) for v in view_index]
        if not (len(object_index) == len(view_index) == vertices.shape[0]):
            raise ValueError(
                f"vertices ({vertices.shape[0]}), object_index ({len(object_index)}) and view_index ({len(view_index)}) must have the same length"
            )
        if color_errors is not None and len(color_errors) != len(object_index):
            raise ValueError(f"color_errors ({len(color_errors)}) must have one value per mesh ({len(object_index)})")
        ground_truth = [self._ground_truth(obj) for obj in object_index]
        ious = [0.0] * len(object_index)
        for resolution in sorted({voxels.shape[0] for voxels, _ in ground_truth}):
            rows = [k for k, (voxels, _) in enumerate(ground_truth) if voxels.shape[0] == resolution]
            rows_tensor = torch.tensor(rows, device=vertices.device)
            predicted = voxelize_batch(vertices[rows_tensor], self.faces.to(vertices.device), resolution=resolution)
            target = torch.from_numpy(np.stack([ground_truth[k][0] for k in rows])).to(vertices.device)
            for k, iou in zip(rows, voxel_iou(predicted, target).tolist()):
                ious[k] = float(iou)
        meshes = vertices.cpu()
        for k, (obj, view) in enumerate(zip(object_index, view_index)):
            gt_points = ground_truth[k][1]
            sample = Sample(obj, view, self.dataset.class_id_of(obj), ious[k])
            if color_errors is not None:
                sample.color_error = float(color_errors[k])
            if self.with_points and len(gt_points):
                points = sample_points_on_mesh(
                    meshes[k].double(), self.faces, SURFACE_POINTS, generator=self._generator
                ).numpy()
                sample.chamfer = float(chamfer_distance(points, gt_points))
                sample.fscore = float(fscore(points, gt_points, self.fscore_threshold))
            self.samples.append(sample)

    def per_class(self, metric: str = "iou") -> Dict[str, float]:
        """class id -> mean of ``metric`` over the samples of that class (classes with samples)."""
        values: Dict[str, List[float]] = defaultdict(list)
        for sample in self.samples:
            value = getattr(sample, metric)
            if value is not None:
                values[sample.class_id].append(value)
        return {class_id: float(np.mean(v)) for class_id, v in values.items()}

    def per_object(self, metric: str = "iou") -> Dict[str, Dict[int, float]]:
        """class id -> {object number in the dataset: mean of ``metric`` over its views}: the
        units a bootstrap over objects resamples (per_class is the mean of these when every
        object has all its views)."""
        values: Dict[str, Dict[int, List[float]]] = defaultdict(lambda: defaultdict(list))
        for sample in self.samples:
            value = getattr(sample, metric)
            if value is not None:
                values[sample.class_id][sample.object_index].append(value)
        return {c: {obj: float(np.mean(v)) for obj, v in sorted(objs.items())} for c, objs in values.items()}

    def class_mean(self, metric: str = "iou") -> float:
        """Unweighted mean over classes of the per-class means (NaN without samples)."""
        per_class = self.per_class(metric)
        return float(np.mean(list(per_class.values()))) if per_class else float("nan")
