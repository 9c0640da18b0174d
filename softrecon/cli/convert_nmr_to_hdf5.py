#!/usr/bin/env python
"""Convert extracted NMR npz files to one HDF5 file per class and split. See ``--help``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

from tqdm import tqdm

from softrecon.dataset_builders.writer import SplitWriter
from softrecon.datasets import layout
from softrecon.datasets.npz_io import inspect_npz, iter_npz_rows

DESCRIPTION = """\
Convert the NMR renders (<class>_<split>_images.npz, uint8 (N, 24, 4, 64, 64), and
<class>_<split>_voxels.npz, (N, 32, 32, 32)) into <class>_<split>.h5 files with
datasets 'images' and 'voxels' (uint8, gzip, one chunk per view / per voxel grid),
which the reader opens lazily (random access to one view without decompressing more).

Memory: both npz files are streamed object by object straight out of the zip members
(compressed or not), so the peak memory is a few objects (about 400 KB each at 64 x 64),
not the split (the chair training split alone is about 1.9 GB as uint8). Each output is
written under a temporary name and renamed when complete; existing outputs are skipped
unless --overwrite.
"""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nmr_dir", help="folder with the extracted *_images.npz / *_voxels.npz files")
    parser.add_argument("--output-dir", default=None, help="where the .h5 files go (default: nmr_dir)")
    parser.add_argument("--classes", nargs="+", default=None, help="class ids to convert (default: every class found)")
    parser.add_argument(
        "--splits", nargs="+", default=list(layout.SPLITS), help="splits to convert (default: %(default)s)"
    )
    parser.add_argument("--overwrite", action="store_true", help="convert again even if the .h5 exists")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def convert_split(nmr_dir: str, output_dir: str, class_id: str, split: str, progress: bool = True) -> str:
    """Stream one class/split from its npz pair into ``<class>_<split>.h5``; returns the path.

    Raises:
        FileNotFoundError / ValueError naming the file for missing or malformed inputs.
    """
    images_path = layout.images_npz_path(nmr_dir, class_id, split)
    voxels_path = layout.voxels_npz_path(nmr_dir, class_id, split)
    images_info, voxels_info = inspect_npz(images_path), inspect_npz(voxels_path)
    num_objects, image_size = layout.check_images_shape(images_info.shape, images_info.dtype, images_path)
    num_voxels, resolution = layout.check_voxels_shape(voxels_info.shape, voxels_info.dtype, voxels_path)
    if num_voxels != num_objects:
        raise ValueError(f"{voxels_path}: {num_voxels} objects, but {images_path} has {num_objects}")
    bar = tqdm(total=num_objects, desc=f"{class_id} {split}", unit="obj", disable=not progress)
    with SplitWriter(output_dir, class_id, split, num_objects, image_size, resolution, formats=("hdf5",)) as writer:
        for images, voxels in zip(iter_npz_rows(images_path), iter_npz_rows(voxels_path)):
            writer.append(images[0], voxels[0])
            bar.update(1)
    bar.close()
    return layout.hdf5_path(output_dir, class_id, split)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    output_dir = args.output_dir or args.nmr_dir
    os.makedirs(output_dir, exist_ok=True)
    written, skipped = [], []
    for split in args.splits:
        class_ids = args.classes or list(layout.find_class_ids(args.nmr_dir, split, "npz"))
        for class_id in class_ids:
            target = layout.hdf5_path(output_dir, class_id, split)
            if os.path.isfile(target) and not args.overwrite:
                skipped.append(target)
                continue
            written.append(convert_split(args.nmr_dir, output_dir, class_id, split, progress=not args.no_progress))
    print(f"wrote {len(written)} HDF5 files, skipped {len(skipped)} existing ones (use --overwrite to redo them)")
    if not written and not skipped:
        print(f"no <class>_<split>_images.npz files found in {args.nmr_dir} for splits {args.splits}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
