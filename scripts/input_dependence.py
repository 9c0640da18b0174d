#!/usr/bin/env python
"""Does a trained model's shape depend on its input picture? Voxel IoU against the
object's own ground truth beside the IoU against other objects'.

A network that learned to reconstruct fits the object it was shown far better than any
other; one that collapsed to a mean shape fits its own object barely better than the
others, and its predictions resemble each other more than the objects do. For K objects
of each class (one view each), with predicted voxels P_i and ground truth G_i, all at
the dataset's voxel resolution (the evaluation's voxelizer):

- own: mean IoU(P_i, G_i), the evaluation's 3D IoU on these views;
- others: mean IoU(P_i, G_j) over every pair of different objects i != j;
- own - others: what the input is worth (0: the prediction ignores it);
- predictions alike: mean IoU(P_i, P_j), i != j, beside objects alike, mean IoU(G_i, G_j).

    python scripts/input_dependence.py RUN [RUN ...] [--data-root ROOT] [--split test]
        [--per-class 8] [--view 0]

RUN is a run folder (its latest checkpoint) or a checkpoint file; the data root
defaults to the one the run was trained on.
"""

from __future__ import annotations

import argparse
import sys
from typing import Dict

import torch


def voxel_iou_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(N, R, R, R) bool and (M, R, R, R) bool -> (N, M) float64 IoU of every pair (an
    empty union counts as 0)."""
    fa = a.flatten(1).double()
    fb = b.flatten(1).double()
    inter = fa @ fb.T
    union = fa.sum(1)[:, None] + fb.sum(1)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp_min(1), torch.zeros_like(inter))


def input_dependence(predicted: torch.Tensor, target: torch.Tensor) -> Dict[str, float]:
    """The figures above from (N, R, R, R) bool predicted and ground-truth voxels, N >= 2
    (row i of both is object i)."""
    if predicted.shape != target.shape or predicted.dim() != 4 or predicted.shape[0] < 2:
        raise ValueError(
            f"predicted {tuple(predicted.shape)} and target {tuple(target.shape)} must both be (N, R, R, R), N >= 2"
        )
    n = predicted.shape[0]
    off = ~torch.eye(n, dtype=torch.bool)
    cross = voxel_iou_matrix(predicted, target)
    own = cross.diagonal().mean().item()
    others = cross[off].mean().item()
    return {
        "objects": n,
        "own": own,
        "others": others,
        "own - others": own - others,
        "predictions alike": voxel_iou_matrix(predicted, predicted)[off].mean().item(),
        "objects alike": voxel_iou_matrix(target, target)[off].mean().item(),
    }


def measure(run: str, data_root, split: str, per_class: int, view: int) -> Dict[str, float]:
    """Reconstruct ``per_class`` objects of each class of ``split`` from view ``view`` with
    the run's last checkpoint and return ``input_dependence`` of the results."""
    from softrecon.datasets import MultiViewDataset
    from softrecon.models.inference import reconstruct
    from softrecon.rundir.checkpoint import load_checkpoint
    from softrecon.rundir.model import model_from_checkpoint
    from softrecon.voxel import voxelize_batch

    checkpoint = load_checkpoint(run, map_location="cpu")  # a run folder: its latest checkpoint
    model = model_from_checkpoint(checkpoint, torch.device("cpu"))
    root = data_root or checkpoint["config"]["data"]["root"]
    dataset = MultiViewDataset(root, split=split)
    if not 0 <= view < dataset.num_views:
        raise SystemExit(f"--view {view}: {root} has views 0 to {dataset.num_views - 1}")
    objects = [obj for class_id in dataset.class_ids for obj in list(dataset.object_range(class_id))[:per_class]]
    if len(objects) < 2:
        raise SystemExit(f"{root}, split {split!r}: {len(objects)} object(s); at least 2 are needed")
    images = torch.stack([torch.as_tensor(dataset.get_object_images_uint8(obj, [view])[0]) for obj in objects])
    with torch.no_grad():
        vertices = reconstruct(model, images.float() / 255, int(checkpoint["config"]["model"]["image_size"]))
    target = torch.stack([dataset.get_voxels(obj).bool() for obj in objects])
    predicted = voxelize_batch(vertices, model.faces, resolution=target.shape[-1]).bool()
    return input_dependence(predicted, target)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run folders or checkpoint files")
    parser.add_argument("--data-root", help="the dataset folder (default: the one each run was trained on)")
    parser.add_argument("--split", default="test", help="the split to draw objects from (default test)")
    parser.add_argument("--per-class", type=int, default=8, help="objects per class (default 8)")
    parser.add_argument("--view", type=int, default=0, help="the view each object is shown in (default 0)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    args = parser.parse_args(argv)
    if args.per_class < 1 or args.threads < 1:
        parser.error("--per-class and --threads must be at least 1")
    torch.set_num_threads(args.threads)
    keys = ("objects", "own", "others", "own - others", "predictions alike", "objects alike")
    print("| run | " + " | ".join(keys) + " |")
    print("| --- |" + " ---: |" * len(keys))
    for run in args.runs:
        figures = measure(run, args.data_root, args.split, args.per_class, args.view)
        cells = [str(figures["objects"])] + [f"{figures[key]:.3f}" for key in keys[1:]]
        print(f"| {run} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
