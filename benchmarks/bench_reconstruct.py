"""Pictures to meshes with a trained model: time per picture on the CPU, silhouette IoU
against the input masks, and the framing's invariance.

    python benchmarks/bench_reconstruct.py MODEL [--data-root DIR] [--split test] [--per-class 10]
        [--views 0 6 12 18] [--repeats 5] [--threads 1]

MODEL is an exported model file, a checkpoint or a run folder; the pictures are the
dataset's own images of --per-class objects per class at --views, written as RGBA PNGs.

Tables:

1. Time per picture (median and min of --repeats rounds), batch 1 and batch 16: the
   network alone on already framed tensors (the baseline), the whole path from a PNG
   file (read, matte, frame, network), plus writing the .obj and the framed input, and
   the silhouette score (24 benchmark views rendered, ``summary.csv``'s column). The
   ratio is against the baseline measured in the same round.
2. Silhouette IoU of each mesh rendered from its known input view against the mask the
   model saw: the dataset image given as it is (no framing: the training distribution)
   and through the framing (what ``reconstruct.py`` does); the best-of-24-views IoU
   (what ``summary.csv`` reports for pictures of unknown view); voxel IoU at 32^3 with
   the ground truth for both inputs.
3. Framing invariance: each picture re-framed (shrunk 0.5x, enlarged 2x, pasted
   off-centre into a larger non-square transparent canvas, composited on white as an
   RGB picture) is reconstructed; the voxel IoU (32^3) of its mesh with the mesh of the
   picture as it was, mean and minimum.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from softrecon.datasets import MultiViewDataset  # noqa: E402
from softrecon.predict import load_model  # noqa: E402
from softrecon.predict.silhouette import best_views, silhouette_iou  # noqa: E402
from softrecon.voxel import voxelize_batch  # noqa: E402

SHIFT_CANVAS = (120, 160)  # (height, width) of the off-centre canvas
SHIFT_OFFSET = (50, 90)  # (top, left) of the picture in it
BATCHES = (1, 16)


def _voxel_iou(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    inter = (a & b).flatten(1).sum(1).double()
    union = (a | b).flatten(1).sum(1).double().clamp_min(1)
    return (inter / union).numpy()


def variants(rgba: np.ndarray) -> dict:
    """(S, S, 4) uint8 -> {name: picture}: the re-framings of table 3."""
    from PIL import Image

    image = Image.fromarray(rgba, "RGBA")
    size = rgba.shape[0]
    shifted = np.zeros((*SHIFT_CANVAS, 4), np.uint8)
    shifted[SHIFT_OFFSET[0] : SHIFT_OFFSET[0] + size, SHIFT_OFFSET[1] : SHIFT_OFFSET[1] + size] = rgba
    alpha = rgba[..., 3:].astype(np.float64) / 255
    white = np.round(rgba[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return {
        "0.5x": np.asarray(image.resize((size // 2, size // 2), Image.LANCZOS)),
        "2x": np.asarray(image.resize((size * 2, size * 2), Image.LANCZOS)),
        "shifted": shifted,
        "white RGB": white,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--data-root", default=None, help="dataset folder (default: the one the model names)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--per-class", type=int, default=10)
    parser.add_argument("--views", type=int, nargs="+", default=[0, 6, 12, 18])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    import imageio.v3 as iio

    model = load_model(args.model, data_root=args.data_root)
    root = args.data_root or model.payload["training_config"]["data"]["root"]
    dataset = MultiViewDataset(root, split=args.split)
    images, voxels, views, names = [], [], [], []
    for class_id in dataset.class_ids:
        for obj in list(dataset.object_range(class_id))[: args.per_class]:
            stored = dataset.get_object_images_uint8(obj, args.views)
            gt = dataset.get_voxels(obj)
            for view, image in zip(args.views, stored):
                images.append(image.transpose(1, 2, 0))
                voxels.append(gt)
                views.append(view)
                names.append(f"{class_id}_{obj}_{view}")
    views_t = torch.tensor(views)
    print(f"model {args.model}: {model}")
    print(f"{len(images)} pictures: {args.per_class} objects per class of {dataset}, views {args.views}")
    print(f"threads {torch.get_num_threads()}, torch {torch.__version__}\n")

    folder = tempfile.mkdtemp(prefix="bench_reconstruct_")
    paths = []
    for name, image in zip(names, images):
        paths.append(os.path.join(folder, name + ".png"))
        iio.imwrite(paths[-1], image)
    framed = torch.stack([model.frame(p)[0] for p in paths])

    # --- 1. time per picture
    def network(batch):
        for start in range(0, len(paths), batch):
            model.reconstruct_framed(framed[start : start + batch], names[start : start + batch])

    def from_files(batch):
        for start in range(0, len(paths), batch):
            model.reconstruct_batch(paths[start : start + batch])

    def and_save(batch):
        for start in range(0, len(paths), batch):
            for mesh in model.reconstruct_batch(paths[start : start + batch]):
                mesh.save_obj(os.path.join(folder, "out.obj"))
                mesh.save_input(os.path.join(folder, "out_input.png"))

    def score(batch):
        for start in range(0, len(paths), batch):
            meshes = model.reconstruct_framed(framed[start : start + batch], names[start : start + batch])
            for mesh in meshes:
                mesh.silhouette_iou()

    rows = [("network on framed tensors (baseline)", network), ("PNG -> mesh", from_files)]
    rows += [("PNG -> mesh + .obj + input PNG written", and_save), ("network + silhouette score (24 views)", score)]
    print("| path | batch | median ms / picture | min ms / picture | x baseline |")
    print("| --- | --- | --- | --- | --- |")
    for batch in BATCHES:
        times = {label: [] for label, _ in rows}
        ratios = {label: [] for label, _ in rows}
        for _ in range(args.repeats):  # rounds: every row sees the same load
            for label, function in rows:
                start = time.perf_counter()
                function(batch)
                times[label].append((time.perf_counter() - start) / len(paths) * 1e3)
            for label, _ in rows:
                ratios[label].append(times[label][-1] / times[rows[0][0]][-1])
        for label, _ in rows:
            print(
                f"| {label} | {batch} | {statistics.median(times[label]):.2f} | {min(times[label]):.2f} | "
                f"{statistics.median(ratios[label]):.2f} |"
            )

    # --- 2. silhouette and voxel IoU
    raw_inputs = torch.from_numpy(np.stack(images).transpose(0, 3, 1, 2).astype(np.float32) / 255)
    raw = model.reconstruct_framed(raw_inputs, names)
    framed_meshes = model.reconstruct_framed(framed, names)
    faces = model.network.faces
    raw_v = torch.cat([m.vertices for m in raw])
    framed_v = torch.cat([m.vertices for m in framed_meshes])
    raw_iou = silhouette_iou(raw_v, faces, raw_inputs[:, 3] > 0.5, views_t).numpy()
    framed_iou = silhouette_iou(framed_v, faces, framed[:, 3] > 0.5, views_t).numpy()
    _, best_iou = best_views(framed_v, faces, framed[:, 3] > 0.5)
    gt = torch.from_numpy(np.stack(voxels))
    raw_vox, framed_vox = voxelize_batch(raw_v, faces, 32), voxelize_batch(framed_v, faces, 32)
    print("\n| input | silhouette IoU at the input view | best-view silhouette IoU | voxel IoU with ground truth |")
    print("| --- | --- | --- | --- |")
    print(f"| dataset image as it is (no framing) | {raw_iou.mean():.4f} | | {_voxel_iou(raw_vox, gt).mean():.4f} |")
    print(
        f"| framed (reconstruct.py) | {framed_iou.mean():.4f} | {best_iou.numpy().mean():.4f} | "
        f"{_voxel_iou(framed_vox, gt).mean():.4f} |"
    )

    # --- 3. framing invariance
    print("\n| re-framing | mean voxel IoU with the original's mesh | min | pictures |")
    print("| --- | --- | --- | --- |")
    table = {}
    for image in images:
        for key, picture in variants(image).items():
            table.setdefault(key, []).append(picture)
    for key, pictures in table.items():
        meshes = []
        for start in range(0, len(pictures), 16):
            meshes += model.reconstruct_batch(pictures[start : start + 16])
        iou = _voxel_iou(voxelize_batch(torch.cat([m.vertices for m in meshes]), faces, 32), framed_vox)
        print(f"| {key} | {iou.mean():.4f} | {iou.min():.4f} | {len(pictures)} |")


if __name__ == "__main__":
    main()
