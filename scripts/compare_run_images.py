#!/usr/bin/env python
"""Figure: the same TensorBoard image of several training runs, one above the other.

Each run folder's TensorBoard log (``<run>/tensorboard``) holds the images the training
wrote (``images/silhouettes_rendered_vs_target``: rendered silhouettes on the left, the
targets on the right; ``images/input``). This stacks one tag of several runs, at the
last step they all logged (or ``--step``), each under a label, scaled up for reading:

    python scripts/compare_run_images.py RUN_A RUN_B --labels "SoftRas" "NMR" \\
        --out docs/images/nmr_training_silhouettes.png
"""

from __future__ import annotations

import argparse
import glob
import io
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

TAG = "images/silhouettes_rendered_vs_target"
LABEL_HEIGHT = 14  # pixels of the strip above each run's image


def _images(run: str, tag: str) -> dict:
    """{step: PIL image} of ``tag`` in the run's TensorBoard log."""
    from tensorboard.backend.event_processing import event_accumulator

    files = sorted(glob.glob(os.path.join(run, "tensorboard", "events.out.tfevents.*")))
    if not files:
        raise SystemExit(f"{run}: no TensorBoard log (expected {run}/tensorboard/events.out.tfevents.*)")
    found = {}
    for path in files:
        log = event_accumulator.EventAccumulator(path, size_guidance={event_accumulator.IMAGES: 0})
        log.Reload()
        if tag in log.Tags()["images"]:
            for event in log.Images(tag):
                found[event.step] = Image.open(io.BytesIO(event.encoded_image_string)).convert("RGB")
    if not found:
        raise SystemExit(f"{run}: its TensorBoard log has no image {tag!r}")
    return found


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run folders (each with a tensorboard/ folder)")
    parser.add_argument("--labels", nargs="+", help="one label per run (default: the folders' names)")
    parser.add_argument("--tag", default=TAG, help=f"the image's tag (default {TAG})")
    parser.add_argument("--step", type=int, help="the step to show (default: the last step every run logged)")
    parser.add_argument("--scale", type=int, default=3, help="screen pixels per image pixel (default 3)")
    parser.add_argument("--out", required=True, help="the PNG to write")
    args = parser.parse_args(argv)
    labels = args.labels or [os.path.basename(os.path.normpath(run)) for run in args.runs]
    if len(labels) != len(args.runs):
        parser.error(f"--labels: {len(labels)} labels for {len(args.runs)} runs")
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    per_run = [_images(run, args.tag) for run in args.runs]
    common = set.intersection(*(set(images) for images in per_run))
    step = args.step if args.step is not None else (max(common) if common else None)
    if step is None or step not in common:
        parser.error(f"--step: no step every run logged {args.tag!r} at (common: {sorted(common)})")
    panels = []
    for label, images in zip(labels, per_run):
        image = images[step]
        image = image.resize((image.width * args.scale, image.height * args.scale), Image.NEAREST)
        panel = Image.new("RGB", (image.width, image.height + LABEL_HEIGHT), "white")
        ImageDraw.Draw(panel).text((2, 1), f"{label}, step {step}", fill="black")
        panel.paste(image, (0, LABEL_HEIGHT))
        panels.append(np.asarray(panel))
    width = max(panel.shape[1] for panel in panels)
    padded = [np.pad(p, ((0, 4), (0, width - p.shape[1]), (0, 0)), constant_values=255) for p in panels]
    from softrecon.utils.png import save_png

    save_png(args.out, np.concatenate(padded, axis=0))
    print(args.out)


if __name__ == "__main__":
    sys.exit(main())
