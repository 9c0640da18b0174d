"""``softrecon-reconstruct MODEL INPUT... -o OUT``: one mesh per picture.

MODEL is an exported model file (``scripts/export_model.py``), a checkpoint or a run
folder; each INPUT a picture or a folder of them (its image files, not its sub-folders).
For each picture ``<name>.png`` OUT receives ``<name>.obj`` (with a colour model also
``<name>.mtl`` and ``<name>_texture.png``, so that it opens coloured in Blender and
MeshLab) and ``<name>_input.png``, the picture as the model saw it (cropped, scaled and
centred into the training framing). ``summary.csv`` lists every picture with the
silhouette IoU of its mesh against its mask from the best-matching benchmark view.
Pictures that cannot be used are named on stderr with the reason, the others are still
done (exit status 1 then). The last line printed is OUT.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from typing import List, Optional, Sequence

import torch
from tqdm.auto import tqdm

from softrecon.utils.atomic import atomic_write

from .images import DEFAULT_TOLERANCE, ImageInputError
from .model_file import ModelFileError
from .predictor import load_model

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif")
SUMMARY_FILE = "summary.csv"
INPUT_SUFFIX = "_input.png"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="exported model file, checkpoint or run folder")
    parser.add_argument("inputs", nargs="+", help="pictures, or folders of pictures")
    parser.add_argument("-o", "--output", required=True, help="folder for the meshes (made if missing)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:1, ...")
    parser.add_argument("--batch-size", type=int, default=16, help="pictures per network call (default 16)")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help=f"pictures without alpha: how far (0..1) a colour may be from the border's and still be background "
        f"(default {DEFAULT_TOLERANCE})",
    )
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="the pictures are square renders in the training framing already (the dataset's own images): "
        "resize them without cropping and re-framing",
    )
    parser.add_argument("--no-score", action="store_true", help="skip the silhouette IoU in summary.csv (faster)")
    parser.add_argument("--data-root", default=None, help="a run's training data, if not where the run stored it")
    return parser


def find_pictures(inputs: Sequence[str], parser: argparse.ArgumentParser) -> List[str]:
    """The picture files named by ``inputs`` (folders: their image files, sorted)."""
    found = []
    for item in inputs:
        if os.path.isdir(item):
            names = sorted(n for n in os.listdir(item) if n.lower().endswith(IMAGE_EXTENSIONS))
            if not names:
                parser.error(f"input folder {item!r} holds no pictures ({', '.join(IMAGE_EXTENSIONS)})")
            found += [os.path.join(item, name) for name in names]
        elif os.path.isfile(item):
            found.append(item)
        else:
            parser.error(f"input {item!r} does not exist")
    stems = {}
    for path in found:
        stems.setdefault(os.path.splitext(os.path.basename(path))[0], []).append(path)
    clashes = {stem: paths for stem, paths in stems.items() if len(paths) > 1}
    if clashes:
        stem, paths = next(iter(clashes.items()))
        parser.error(
            f"inputs {paths} would all write {stem}.obj: rename them or reconstruct them into separate folders"
        )
    return found


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error(f"--batch-size must be >= 1, got {args.batch_size}")
    if not 0 < args.tolerance < 1:
        parser.error(f"--tolerance must be in (0, 1), got {args.tolerance}")
    try:
        device = torch.device(args.device)
    except RuntimeError as error:
        parser.error(f"--device {args.device!r}: {error}")
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device {args.device!r}: CUDA is not available here")
    pictures = find_pictures(args.inputs, parser)
    try:
        model = load_model(args.model, device=device, data_root=args.data_root)
    except ModelFileError as error:
        parser.error(str(error))
    out = os.path.abspath(args.output)
    os.makedirs(out, exist_ok=True)

    rows, failed = [], 0
    bar = tqdm(total=len(pictures), unit="img", desc="reconstruct", dynamic_ncols=True)
    for start in range(0, len(pictures), args.batch_size):
        framed, names, mattes, sources = [], [], [], []
        for path in pictures[start : start + args.batch_size]:
            try:
                one, picture = model.frame(path, tolerance=args.tolerance, as_is=args.as_is)
            except ImageInputError as error:
                print(f"skipped: {error}", file=sys.stderr, flush=True)
                failed += 1
                bar.update(1)
                continue
            framed.append(one)
            names.append(os.path.splitext(os.path.basename(path))[0])
            mattes.append(picture.matte)
            sources.append(path)
        if not framed:
            continue
        for mesh, source in zip(model.reconstruct_framed(torch.stack(framed), names, mattes), sources):
            obj = os.path.join(out, mesh.name + ".obj")
            mesh.save_input(os.path.join(out, mesh.name + INPUT_SUFFIX))
            mesh.save_obj(obj)
            view, iou = ("", "") if args.no_score else mesh.silhouette_iou()
            rows.append([mesh.name, source, os.path.basename(obj), mesh.matte, view, iou])
            bar.update(1)
    bar.close()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "source", "mesh", "matte", "best_view", "silhouette_iou"])
    writer.writerows(rows)
    with atomic_write(os.path.join(out, SUMMARY_FILE), "w") as handle:
        handle.write(buffer.getvalue())
    if failed:
        print(f"{failed} of {len(pictures)} pictures skipped (reasons above)", file=sys.stderr)
    print(f"{len(rows)} meshes written", flush=True)
    print(out, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
