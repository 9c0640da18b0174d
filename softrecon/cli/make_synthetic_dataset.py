#!/usr/bin/env python
"""Build the embedded synthetic dataset (procedural chairs, tables, airplanes, cars and
lamps) in the NMR format. See ``--help`` and docs/DATA.md."""

from __future__ import annotations

import argparse
import sys
import time
from typing import List, Optional

from softrecon.dataset_builders.synthetic import DEFAULT_ROOT, SyntheticConfig, ensure_default_dataset
from softrecon.datasets.classes import SYNTHETIC_CLASS_NAMES

DESCRIPTION = """\
Generate the synthetic multi-view dataset: for each class, random objects built from
boxes, cylinders, cones and ellipsoids, normalized to the unit box, rendered from the
24 ShapeNet-benchmark views (RGBA uint8, exact silhouettes) and voxelized (surface +
interior, ground-truth convention), written as <class>_<split>_images.npz,
<class>_<split>_voxels.npz and <class>_<split>.h5 like the NMR renders.

Deterministic given --seed. Resumable: rerun after a kill and the finished objects are
kept; a completion marker (.complete.json) is written last. With the defaults this is
the dataset that training uses when data.synthetic=true.
"""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    default = SyntheticConfig()
    counts = dict(default.objects_per_split)
    parser = argparse.ArgumentParser(description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", nargs="?", default=DEFAULT_ROOT, help="output folder (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=default.seed, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--classes",
        nargs="+",
        choices=list(SYNTHETIC_CLASS_NAMES),
        default=list(default.classes),
        help="classes (default: all)",
    )
    for split in ("train", "val", "test"):
        parser.add_argument(
            f"--{split}", type=int, default=counts[split], help=f"objects per class in {split} (default: %(default)s)"
        )
    parser.add_argument(
        "--image-size", type=int, default=default.image_size, help="image size S (default: %(default)s)"
    )
    parser.add_argument(
        "--voxel-resolution",
        type=int,
        default=default.voxel_resolution,
        help="voxel resolution R (default: %(default)s)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="parallel worker processes (default: one per core, at most 8)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    config = SyntheticConfig(
        seed=args.seed,
        classes=tuple(args.classes),
        objects_per_split=tuple(
            (s, n) for s, n in (("train", args.train), ("val", args.val), ("test", args.test)) if n > 0
        ),
        image_size=args.image_size,
        voxel_resolution=args.voxel_resolution,
    )
    start = time.perf_counter()
    root = ensure_default_dataset(args.root, config, workers=args.workers, progress=not args.no_progress)
    print(f"synthetic dataset ready in {root} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
