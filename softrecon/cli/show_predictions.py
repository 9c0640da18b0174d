"""A picture of a trained model's reconstructions: input, prediction, and a second view.

    softrecon-show-predictions <run dir or checkpoint> -o predictions.png
    softrecon-show-predictions <run> --data-root data/realcad --split test --per-class 2 -o test.png

One row per object (the first --per-class objects of every class of the split, class
after class in the order of the dataset's class ids), four 128 x 128 tiles per row:

    input image (view v) | prediction seen from v | ground truth at v + 6 | prediction at v + 6

View v + 6 is 90 degrees of azimuth further round (the benchmark's 24 views are 15
degrees apart), so the last two tiles show what the network inferred about the side it
could not see. Predictions are rendered shaded in grey (the soft rasterizer, sigma
1e-5, ambient and directional light), ground truth is the dataset's own render. The
last line printed is the output path; the rows' classes and object indices are printed
before it. The dataset is only read: the checkpoint's stored data folder as it is
written (one given by an interpolation such as ``${oc.env:...}`` or by ``~`` is refused),
or --data-root.
"""

from __future__ import annotations

import argparse
from typing import List, Optional, Sequence

import numpy as np
import torch

from softrecon.protocol import NUM_VIEWS

# Views between the input and the second view: a quarter turn (24 views of 15 degrees).
QUARTER_TURN_VIEWS = NUM_VIEWS // 4
# Side of each tile, and the blur of the prediction renders at that size.
TILE_SIZE = 128
TILE_SIGMA = 1e-5
# Grey of the predicted meshes, and the white the images are composited on.
MESH_GREY = 0.75
WHITE = 1.0
MAX_8BIT = 255


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="a run folder (its last checkpoint) or a checkpoint file")
    parser.add_argument("-o", "--output", default="predictions.png", help="PNG to write (default predictions.png)")
    parser.add_argument("--data-root", default=None, help="dataset folder, if not the one the run trained on")
    parser.add_argument("--split", default="val", help="split to show (default val)")
    parser.add_argument("--per-class", type=int, default=2, help="objects per class (default 2)")
    parser.add_argument("--view", type=int, default=0, help=f"input view v in [0, {NUM_VIEWS}) (default 0)")
    return parser


def _composite(rgba: torch.Tensor) -> torch.Tensor:
    """(4, H, W) in [0, 1] -> (3, H, W) on white."""
    return rgba[:3] * rgba[3:] + WHITE * (1 - rgba[3:])


def _tile(image: torch.Tensor) -> np.ndarray:
    """(4, H, W) RGBA in [0, 1] -> (TILE_SIZE, TILE_SIZE, 3) uint8 on white."""
    resized = torch.nn.functional.interpolate(image[None], size=(TILE_SIZE, TILE_SIZE), mode="bilinear")[0]
    return (_composite(resized.clamp(0, 1)) * MAX_8BIT).round().to(torch.uint8).permute(1, 2, 0).numpy()


def prediction_rows(args) -> tuple:
    """(rows (H, W, 3) uint8 list, labels list): one row of four tiles per object."""
    from softrecon.datasets.open import checkpoint_dataset
    from softrecon.evaluation import load_model, reconstruct
    from softrecon.renderer import Lighting, RasterSettings, SoftRenderer, benchmark_camera
    from softrecon.rundir.checkpoint import load_checkpoint
    from softrecon.structures import Mesh

    checkpoint = load_checkpoint(args.checkpoint, map_location="cpu")
    model = load_model(checkpoint, torch.device("cpu"))
    dataset = checkpoint_dataset(checkpoint, args.split, args.data_root)
    image_size = int(checkpoint["config"]["model"]["image_size"])
    renderer = SoftRenderer(RasterSettings(image_size=TILE_SIZE, sigma=TILE_SIGMA), lighting=Lighting())
    views = torch.tensor([args.view, (args.view + QUARTER_TURN_VIEWS) % NUM_VIEWS])
    cameras = benchmark_camera(views)
    rows, labels = [], []
    for class_id in dataset.class_ids:
        for obj in list(dataset.object_range(class_id))[: args.per_class]:
            images = dataset.get_images(obj, views.numpy())  # (2, 4, S, S)
            with torch.no_grad():
                vertices = reconstruct(model, images[:1], image_size)  # (1, V, 3)
                colors = torch.full_like(vertices, MESH_GREY)
                mesh = Mesh(vertices.expand(2, -1, -1), model.faces, colors.expand(2, -1, -1), color_mode="vertex")
                renders = renderer(mesh, cameras)  # (2, 4, T, T)
            tiles = [images[0], renders[0], images[1], renders[1]]
            rows.append(np.concatenate([_tile(t) for t in tiles], axis=1))
            labels.append(f"{class_id} object {obj}")
    return rows, labels


def write_rows(path: str, rows: List[np.ndarray], labels: List[str]) -> str:
    """Stack the picture rows (each (h, W, C) uint8) top to bottom into the PNG ``path``,
    after printing each row's label; print and return the path (the last line)."""
    from softrecon.utils.png import save_png

    for k, label in enumerate(labels):
        print(f"row {k}: {label}")
    save_png(path, np.concatenate(rows, axis=0))
    print(path)
    return path


def main(argv: Optional[Sequence[str]] = None) -> str:
    args = build_parser().parse_args(argv)
    if args.per_class < 1:
        raise SystemExit(f"--per-class must be >= 1, got {args.per_class}")
    if not 0 <= args.view < NUM_VIEWS:
        raise SystemExit(f"--view must be in [0, {NUM_VIEWS}), got {args.view}")
    if not args.output.lower().endswith(".png"):
        raise SystemExit(f"--output must end in .png, got {args.output!r}")
    rows, labels = prediction_rows(args)
    return write_rows(args.output, rows, labels)


if __name__ == "__main__":
    main()
