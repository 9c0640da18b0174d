"""A picture of reconstructions for docs/RECONSTRUCT.md: one row per picture.

    python scripts/reconstruction_gallery.py MODEL PICTURE... -o gallery.png [--as-is]

Four 128 x 128 tiles per row: the picture (on white, letterboxed), what the model saw
(the framed input), the mesh from the benchmark view that matches the picture best, and
the mesh a quarter turn further round (90 degrees of azimuth). Meshes are rendered
shaded in grey. The last line printed is the output path; each row's picture, best view
and silhouette IoU are printed before it.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from softrecon.protocol import NUM_VIEWS  # noqa: E402

TILE_SIZE = 128
TILE_SIGMA = 1e-5
MESH_GREY = 0.75
QUARTER_TURN_VIEWS = NUM_VIEWS // 4


def _on_white(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 straight RGBA (or (H, W, 3)) -> (TILE, TILE, 3) uint8, scaled to fit, letterboxed on white."""
    from PIL import Image

    image = Image.fromarray(rgba).convert("RGBA")
    factor = TILE_SIZE / max(image.size)  # small pictures are enlarged with their pixels visible
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    image = image.resize(size, Image.NEAREST if factor > 1 else Image.LANCZOS)
    tile = Image.new("RGBA", (TILE_SIZE, TILE_SIZE), (255, 255, 255, 255))
    tile.alpha_composite(image, ((TILE_SIZE - image.width) // 2, (TILE_SIZE - image.height) // 2))
    return np.asarray(tile.convert("RGB"))


def gallery_rows(model, pictures: Sequence[str], as_is: bool = False):
    """(rows (TILE, 4 TILE, 3) uint8 list, labels list)."""
    import imageio.v3 as iio

    from softrecon.predict.framing import unpremultiply
    from softrecon.renderer import Lighting, RasterSettings, SoftRenderer, benchmark_camera
    from softrecon.structures import Mesh

    renderer = SoftRenderer(RasterSettings(image_size=TILE_SIZE, sigma=TILE_SIGMA), lighting=Lighting())
    rows, labels = [], []
    for path in pictures:
        mesh = model.reconstruct(path, as_is=as_is)
        view, iou = mesh.silhouette_iou()
        views = torch.tensor([view, (view + QUARTER_TURN_VIEWS) % NUM_VIEWS])
        vertices = mesh.vertices.detach().expand(2, -1, -1)
        grey = torch.full_like(vertices, MESH_GREY)
        with torch.no_grad():
            renders = renderer(Mesh(vertices, mesh.faces[0], grey, color_mode="vertex"), benchmark_camera(views))
        renders = (renders.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        tiles = [_on_white(iio.imread(path)), _on_white(unpremultiply(mesh.framed.numpy()))]
        tiles += [_on_white(render) for render in renders]
        rows.append(np.concatenate(tiles, axis=1))
        labels.append(f"{os.path.basename(path)}: best view {view}, silhouette IoU {iou:.3f}")
    return rows, labels


def main(argv: Optional[Sequence[str]] = None) -> str:
    from softrecon.cli.show_predictions import write_rows
    from softrecon.predict import load_model

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="exported model file, checkpoint or run folder")
    parser.add_argument("pictures", nargs="+", help="picture files")
    parser.add_argument("-o", "--output", required=True, help="PNG to write")
    parser.add_argument("--as-is", action="store_true", help="pictures already in the training framing")
    args = parser.parse_args(argv)
    if not args.output.lower().endswith(".png"):
        parser.error(f"--output must end in .png, got {args.output!r}")
    rows, labels = gallery_rows(load_model(args.model), args.pictures, args.as_is)
    return write_rows(args.output, rows, labels)


if __name__ == "__main__":
    main()
