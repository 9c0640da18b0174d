"""Render a mesh's fitting targets as images + cameras, the inputs ``fit_mesh.py`` and
SoftRas' ``demo_deform`` take (and write the normalized mesh as the reference).

    softrecon-make-fit-targets mesh.obj out/ --num-views 24 --image-size 64
    softrecon-fit-mesh images=out/images.npy cameras=out/cameras.npy reference=out/reference.obj

The mesh is normalized to the unit box; the views are ``fit_mesh.py``'s orbit views (rings
at --elevations, azimuths spread over 360 degrees). Images are binary silhouettes in
alpha with hard z-buffer colour renders (SoftRas' default lighting; vertex colours of the
file, or grey) in RGB. --layout png writes 000.png ... and cameras.json instead of the
two .npy files. The last line printed is the output folder; a bad input prints one line
naming it and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys

import torch

from softrecon.fitting.outputs import load_normalized_mesh
from softrecon.fitting.shape import hard_color_images, hard_silhouettes
from softrecon.fitting.targets import save_image_targets
from softrecon.fitting.views import BENCHMARK_DISTANCE, BENCHMARK_VIEWING_ANGLE, orbit_views
from softrecon.io import save_obj

BAD_INPUT_STATUS = 2
# Colour of meshes whose file has no colours.
DEFAULT_GREY = 0.7
REFERENCE_FILE = "reference.obj"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mesh", help="mesh file (.obj or .ply)")
    parser.add_argument("out", help="output folder (created)")
    parser.add_argument("--num-views", type=int, default=24)
    parser.add_argument("--elevations", type=float, nargs="+", default=[30.0, -30.0], help="ring elevations, degrees")
    parser.add_argument("--distance", type=float, default=BENCHMARK_DISTANCE)
    parser.add_argument("--viewing-angle", type=float, default=BENCHMARK_VIEWING_ANGLE, help="half-angle, degrees")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--layout", choices=("npy", "png"), default="npy")
    return parser


def make_targets(args: argparse.Namespace) -> str:
    if args.image_size < 1:
        raise ValueError(f"--image-size must be >= 1, got {args.image_size}")
    vertices, faces, colors = load_normalized_mesh(args.mesh)
    views = orbit_views(args.num_views, args.elevations, args.distance, args.viewing_angle)
    masks = hard_silhouettes(vertices, faces, views, args.image_size)
    colors = torch.full_like(vertices, DEFAULT_GREY) if colors is None else colors
    rgb = hard_color_images(vertices, faces, colors, views, args.image_size)
    os.makedirs(args.out, exist_ok=True)
    save_image_targets(args.out, torch.cat([rgb, masks[:, None].float()], dim=1), views, args.layout)
    save_obj(os.path.join(args.out, REFERENCE_FILE), vertices, faces)
    return args.out


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    try:
        out = make_targets(args)
    except ValueError as error:
        print(f"make_fit_targets: error: {error}", file=sys.stderr)
        sys.exit(BAD_INPUT_STATUS)
    print(out)


if __name__ == "__main__":
    main()
