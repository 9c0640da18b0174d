"""The options that the dataset-building commands share (``softrecon-build-dataset``,
``softrecon-build-realcad``): how objects are rendered, voxelized and written
(``BuildOptions``), how many worker processes, and the progress bar. Not a command."""

from __future__ import annotations

import argparse

from softrecon.dataset_builders import IMAGE_SIZES, BuildOptions
from softrecon.dataset_builders.writer import FORMATS
from softrecon.voxel import FILL_MODES


def new_parser(description: str, examples: str) -> argparse.ArgumentParser:
    """A command's parser: its description, then its examples after the options, as written."""
    return argparse.ArgumentParser(
        description=description, epilog=examples, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def add_build_arguments(parser: argparse.ArgumentParser, workers_help: str) -> None:
    """--image-size, --voxel-resolution, --voxel-fill, --formats, --workers, --no-progress."""
    parser.add_argument(
        "--image-size",
        type=int,
        default=64,
        help=f"image size S; the usual ones are {', '.join(map(str, IMAGE_SIZES))} (default: %(default)s)",
    )
    parser.add_argument("--voxel-resolution", type=int, default=32, help="voxel resolution R (default: %(default)s)")
    parser.add_argument(
        "--voxel-fill",
        choices=FILL_MODES,
        default="flood",
        help="interior fill: flood (exact for closed meshes, default), carve (robust to large holes), none",
    )
    parser.add_argument(
        "--formats", nargs="+", choices=FORMATS, default=list(FORMATS), help="files to write (default: both)"
    )
    parser.add_argument("--workers", type=int, default=1, help=f"{workers_help} (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def build_options(args: argparse.Namespace, **more) -> BuildOptions:
    """The ``BuildOptions`` of parsed ``add_build_arguments`` options (``more``: other fields)."""
    return BuildOptions(
        image_size=args.image_size,
        voxel_resolution=args.voxel_resolution,
        voxel_fill=args.voxel_fill,
        formats=tuple(args.formats),
        **more,
    )
