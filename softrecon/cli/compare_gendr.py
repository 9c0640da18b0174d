"""Soft silhouettes of one mesh under every coverage CDF x alpha T-conorm, as one labelled PNG.

Examples:

    softrecon-compare-gendr softrecon/assets/meshes/cow/cow.obj -o cow_gendr.png
    softrecon-compare-gendr cow.obj --sigma 3e-4 --image-size 96 --view 4

Rows: ``RasterSettings.dist_cdf`` (logistic, the paper's; gaussian; laplace; cauchy;
gumbel_max; gumbel_min).
Columns: ``RasterSettings.aggr_alpha`` (prod, the paper's; max; einstein; hamacher).
Every cell is the alpha channel (white = 1) of the same mesh, seen from one benchmark
view (docs/METHOD.md section 5), with the same sigma, so the cells differ only by how the signed
distance becomes a probability and how the faces' probabilities combine (GenDR,
Petersen et al. 2022). The mesh is centred and scaled to the unit box. The last line
printed is the output path; a bad input prints one line naming it and exits with 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional, Sequence

import numpy as np
import torch

# Exit status of a run stopped by a bad input (as argparse's own usage errors).
BAD_INPUT_STATUS = 2
# Rows and columns of the grid.
CDFS = ("logistic", "gaussian", "laplace", "cauchy", "gumbel_max", "gumbel_min")
T_CONORMS = ("prod", "max", "einstein", "hamacher")
# Pixels of the label strip above each column and left of each row.
LABEL_SIZE = 16
# Grey of the grid's background and labels (8-bit).
BACKGROUND_GREY = 40
LABEL_GREY = 230
MAX_8BIT = 255


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mesh", help="the mesh file (.obj / .ply)")
    parser.add_argument("-o", "--output", default=None, help="output .png (default: <mesh name>_gendr.png here)")
    parser.add_argument("--image-size", type=int, default=128, help="cell size in pixels")
    parser.add_argument("--sigma", type=float, default=3e-4, help="blur of every cell, squared NDC units")
    parser.add_argument(
        "--dist-eps", type=float, default=1e-4, help="probability cut-off (the Cauchy cells cost ~1/eps)"
    )
    parser.add_argument("--view", type=int, default=0, help="benchmark view index (docs/METHOD.md section 5), 0 to 23")
    return parser


def render_grid(mesh_path: str, image_size: int, sigma: float, dist_eps: float, view: int) -> np.ndarray:
    """(rows * size + label, cols * size + label) uint8 grey grid of alpha images."""
    from softrecon.io import load_mesh, normalize_to_unit_box
    from softrecon.renderer import BENCHMARK_NUM_VIEWS, RasterSettings, SoftRenderer, benchmark_camera

    if not 0 <= view < BENCHMARK_NUM_VIEWS:
        raise ValueError(f"--view must be in [0, {BENCHMARK_NUM_VIEWS}), got {view}")
    if image_size < 8:
        raise ValueError(f"--image-size must be at least 8, got {image_size}")
    mesh = load_mesh(mesh_path)
    vertices = normalize_to_unit_box(mesh.vertices)
    camera = benchmark_camera(torch.tensor([view]))
    cells: List[List[np.ndarray]] = []
    with torch.no_grad():
        for cdf in CDFS:
            row = []
            for t_conorm in T_CONORMS:
                try:
                    settings = RasterSettings(
                        image_size=image_size, sigma=sigma, dist_eps=dist_eps, dist_cdf=cdf, aggr_alpha=t_conorm
                    )
                except ValueError as error:
                    raise ValueError(f"bad option --sigma/--dist-eps: {error}") from None
                alpha = SoftRenderer(settings, lighting=None).render_silhouette(vertices, mesh.faces, camera)[0]
                row.append((alpha.clamp(0, 1) * MAX_8BIT).round().to(torch.uint8).numpy())
            cells.append(row)
    return _labelled(cells, image_size)


def _labelled(cells: List[List[np.ndarray]], size: int) -> np.ndarray:
    from PIL import Image, ImageDraw

    rows, cols = len(cells), len(cells[0])
    grid = Image.new("L", (LABEL_SIZE * 4 + cols * size, LABEL_SIZE + rows * size), BACKGROUND_GREY)
    draw = ImageDraw.Draw(grid)
    for j, name in enumerate(T_CONORMS):
        draw.text((LABEL_SIZE * 4 + j * size + 2, 2), name, fill=LABEL_GREY)
    for i, name in enumerate(CDFS):
        draw.text((2, LABEL_SIZE + i * size + size // 2 - 6), name, fill=LABEL_GREY)
        for j in range(cols):
            grid.paste(Image.fromarray(cells[i][j], mode="L"), (LABEL_SIZE * 4 + j * size, LABEL_SIZE + i * size))
    return np.asarray(grid)


def main(argv: Optional[Sequence[str]] = None) -> str:
    """Parse ``argv``, render the grid, write it atomically; return (and print last) the path."""
    from softrecon.utils.png import save_png

    args = build_parser().parse_args(argv)
    path = args.output or os.path.splitext(os.path.basename(args.mesh))[0] + "_gendr.png"
    try:
        if not path.lower().endswith(".png"):
            raise ValueError(f"--output must end in .png, got {path!r}")
        grid = render_grid(args.mesh, args.image_size, args.sigma, args.dist_eps, args.view)
    except ValueError as error:  # MeshLoadError included: its message names the file
        print(f"compare_gendr.py: error: {error}", file=sys.stderr)
        sys.exit(BAD_INPUT_STATUS)
    save_png(path, grid)
    print(path, flush=True)
    return path


if __name__ == "__main__":
    main()
