#!/usr/bin/env python
"""Contact sheets of the realcad benchmark: one view of every model of each class, to
check by eye that a class shares one pose (y up, front toward -z).

Reads <data>/manifest.csv and renders each placed model from its prepared mesh in the
work folder (so it also works after ``build_realcad.py --prepare-only``). Writes
<out>/realcad_<class name>.png, models in model-id order, each labelled with its id.
"""

from __future__ import annotations

import argparse
import csv
import glob
import math
import os
import sys
from typing import List, Optional

import numpy as np
from PIL import Image, ImageDraw

from softrecon.dataset_builders.realcad import MANIFEST_NAME
from softrecon.dataset_builders.realcad.prepare import PREPARE_VERSION
from softrecon.dataset_builders.render import render_benchmark_views

# Benchmark view 3 (azimuth -45 degrees, elevation 30): the camera is in front of the
# object (front = -z) and to its left, so the front, one side and the top all show.
DEFAULT_VIEW = 3
LABEL_HEIGHT = 11  # pixels under each tile for its id
COLUMNS = 10


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="realcad_contact_sheets.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", help="the realcad dataset folder (with manifest.csv)")
    parser.add_argument("--work-dir", default=None, help="the build's work folder (default: <data>/.work)")
    parser.add_argument("--out", default="docs/images", help="where the sheets go (default: %(default)s)")
    parser.add_argument(
        "--view", type=int, default=DEFAULT_VIEW, help="benchmark view index 0-23 (default: %(default)s)"
    )
    parser.add_argument("--size", type=int, default=96, help="tile size in pixels (default: %(default)s)")
    parser.add_argument("--classes", nargs="*", default=None, help="class names to draw (default: all)")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    from tqdm import tqdm

    args = parse_args(argv)
    manifest = os.path.join(args.data, MANIFEST_NAME)
    if not os.path.isfile(manifest):
        print(f"error: {manifest} does not exist; run scripts/build_realcad.py first", file=sys.stderr)
        return 2
    meshes = os.path.join(args.work_dir or os.path.join(args.data, ".work"), "meshes")
    with open(manifest, newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["split"]]
    names = sorted({row["class_name"] for row in rows})
    os.makedirs(args.out, exist_ok=True)
    for name in names if args.classes is None else [n for n in names if n in args.classes]:
        members = sorted((row for row in rows if row["class_name"] == name), key=lambda row: row["model_id"])
        columns = min(COLUMNS, len(members))
        sheet = Image.new(
            "RGB", (columns * args.size, math.ceil(len(members) / columns) * (args.size + LABEL_HEIGHT)), "white"
        )
        draw = ImageDraw.Draw(sheet)
        for index, row in enumerate(tqdm(members, desc=name, unit="model")):
            found = glob.glob(os.path.join(meshes, glob.escape(row["model_id"]) + f"@*.v{PREPARE_VERSION}.npz"))
            if not found:
                print(f"warning: no prepared mesh of {row['model_id']} in {meshes}", file=sys.stderr)
                continue
            with np.load(found[0]) as mesh:
                image = render_benchmark_views(
                    mesh["vertices"], mesh["faces"], mesh["face_colors"], args.size, views=[args.view]
                )[0]
            rgb = image[:3].transpose(1, 2, 0).astype(np.float64)
            alpha = image[3:].transpose(1, 2, 0).astype(np.float64) / 255.0
            tile = Image.fromarray(np.rint(rgb * alpha + 255.0 * (1 - alpha)).astype(np.uint8))
            x, y = (index % columns) * args.size, (index // columns) * (args.size + LABEL_HEIGHT)
            sheet.paste(tile, (x, y))
            draw.text((x + 1, y + args.size), row["model_id"].split("-", 1)[1][-18:], fill=(0, 0, 0))
        path = os.path.join(args.out, f"realcad_{name}.png")
        sheet.save(path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
