#!/usr/bin/env python
"""Build an NMR-format multi-view dataset (24 benchmark views + voxels) from mesh files.

Run ``softrecon-build-dataset --help`` for the options; docs/DATA.md for the format.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

from softrecon.dataset_builders import run_build
from softrecon.dataset_builders.mesh_source import (
    LAYOUTS,
    assign_by_fractions,
    assign_from_file,
    discover_meshes,
    load_mesh_record,
    mesh_tasks,
    read_split_file,
    unmatched_split_ids,
)

from .build_options import add_build_arguments, build_options, new_parser

DESCRIPTION = """\
Render the 24 ShapeNet-benchmark views (camera distance 2.732, elevation 30 deg,
azimuth -15 k deg for view k, 30 deg field of view) of every mesh as RGBA uint8 images
(Lambertian shading: ambient 0.5 + directional 0.5 from +y, with the mesh's vertex or
material colours or neutral grey; alpha is the exact 0/1 silhouette), voxelize it in the
ground-truth convention (surface + filled interior, voxels[i_y, i_x, R-1-i_z] with
i = floor((R-1) v + R/2)), and write per class and split:

  <out>/<class>_<split>_images.npz   uint8 (N, 24, 4, S, S)
  <out>/<class>_<split>_voxels.npz   uint8 (N, R, R, R)
  <out>/<class>_<split>.h5           datasets 'images', 'voxels' (same shapes, gzip)
  <out>/<class>_<split>_ids.txt      the model ids, in object order

Input layouts (--layout):
  shapenet  <in>/<synset>/<model>/model.obj (ShapeNetCore v1) or
            <in>/<synset>/<model>/models/model_normalized.obj (v2); class = synset
  flat      mesh files (.obj, .ply) directly in <in> (class = --class-id), and/or one
            subfolder per class: <in>/<class>/<model>.obj; model id = file stem
  auto      shapenet if any ShapeNet model file exists, else flat (default)

Splits: --split-file (JSON {"train": [ids], "val": [...]} or {class: {split: [ids]}},
or text lines "<split> <model_id>" / "<class_id> <split> <model_id>"; models not listed
are left out, and ids listed without a mesh are named: a warning, or with --strict an
error before anything is built, exit status 4), or a seeded random split per class by
--split-fractions.

Meshes are centred and scaled to the unit box (longest bounding-box side 1) unless
--no-normalize (then they must lie in [-0.5, 0.5]^3). Meshes that fail to load, have no
faces, are degenerate, or come out empty (no pixel in any view, no voxel) are skipped
and listed with the reason at the end (exit status 0, or 3 with --strict); so is a mesh
whose worker process dies while building it (the out-of-memory killer), alone as well.

Resumable: every finished mesh is cached as one .npz in --work-dir (default
<out>/.work); after a kill, rerun the same command and the finished meshes are skipped.
The cache is keyed on the loaded mesh's content and on every option that changes the
object, so a replaced mesh file or another --no-normalize is rebuilt.
The dataset files are written to temporary names and renamed only when complete.
"""

EXAMPLES = """\
examples:
  softrecon-build-dataset ShapeNetCore.v1 data/mine --split-fractions 0.7 0.1 0.2 --workers 8
  softrecon-build-dataset my_meshes data/mine --class-id mugs --split-file splits.json --image-size 128
"""

EXIT_SKIPPED = 3  # --strict and some meshes were skipped
EXIT_SPLIT_IDS_WITHOUT_MESH = 4  # --strict and the split file names ids without a mesh
MAX_LISTED = 20  # ids named in a message; the rest are counted


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = new_parser(DESCRIPTION, EXAMPLES)
    parser.add_argument("input", help="folder of meshes (see the layouts above)")
    parser.add_argument("output", help="dataset folder to write (created if missing)")
    parser.add_argument("--layout", choices=LAYOUTS, default="auto", help="input layout (default: %(default)s)")
    parser.add_argument("--class-id", default=None, help="class id of mesh files lying directly in the input folder")
    split = parser.add_mutually_exclusive_group()
    split.add_argument("--split-file", default=None, help="JSON or text file assigning model ids to splits")
    split.add_argument(
        "--split-fractions",
        nargs=3,
        type=float,
        metavar=("TRAIN", "VAL", "TEST"),
        default=None,
        help="seeded random split per class (default when no --split-file: 0.8 0.1 0.1)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random split (default: %(default)s)")
    add_build_arguments(parser, workers_help="parallel worker processes")
    parser.add_argument(
        "--no-compress", action="store_true", help="store the npz members uncompressed (memory-mappable)"
    )
    parser.add_argument(
        "--no-normalize", action="store_true", help="keep the file coordinates (must already be in the unit box)"
    )
    parser.add_argument(
        "--work-dir", default=None, help="cache of finished meshes for resuming (default: <output>/.work)"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help=f"exit with status {EXIT_SKIPPED} when any mesh was skipped, and stop with status "
        f"{EXIT_SPLIT_IDS_WITHOUT_MESH} before building when the split file names ids without a mesh",
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    entries = discover_meshes(args.input, args.layout, args.class_id)
    if args.split_file:
        assignment = read_split_file(args.split_file)
        missing = unmatched_split_ids(entries, assignment)
        if missing:
            named = ", ".join(f"{c + '/' if c else ''}{m} ({s})" for c, m, s in missing[:MAX_LISTED])
            more = f" and {len(missing) - MAX_LISTED} more" if len(missing) > MAX_LISTED else ""
            message = f"{len(missing)} ids of {args.split_file} have no mesh in {args.input}: {named}{more}"
            if args.strict:
                print(f"error: {message}", file=sys.stderr)
                return EXIT_SPLIT_IDS_WITHOUT_MESH
            print(f"warning: {message}; their splits will be short", file=sys.stderr)
        assigned = assign_from_file(entries, assignment)
        left_out = len(entries) - len(assigned)
        if left_out:
            print(f"{left_out} of {len(entries)} meshes are not in {args.split_file} and are left out")
    else:
        fractions = args.split_fractions or [0.8, 0.1, 0.1]
        assigned = assign_by_fractions(entries, dict(zip(("train", "val", "test"), fractions)), args.seed)
    options = build_options(args, compress=not args.no_compress)
    work_dir = args.work_dir or os.path.join(args.output, ".work")
    report = run_build(
        mesh_tasks(assigned, normalize=not args.no_normalize),
        load_mesh_record,
        args.output,
        work_dir,
        options,
        workers=args.workers,
        progress=not args.no_progress,
    )
    print(report.summary())
    return EXIT_SKIPPED if args.strict and report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
