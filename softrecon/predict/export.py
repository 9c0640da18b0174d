"""``softrecon-export-model RUN -o model.pt``: one shareable model file.

RUN is a run folder (its latest checkpoint) or a checkpoint file. The file holds the
weights, the model's config, the image protocol (framed size, framing measured on the
run's training images, channel layout), the classes, the softrecon version and the
commits (``softrecon.predict.model_file``); it loads with ``torch.load(weights_only=True)``
and needs neither the run folder nor the data. The last line printed is its path.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from softrecon.rundir.checkpoint import CheckpointError, load_checkpoint

from .model_file import ModelFileError, export_payload, save_model_file


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="run folder or checkpoint file")
    parser.add_argument("-o", "--output", required=True, help="the model file to write (e.g. model.pt)")
    parser.add_argument(
        "--data-root", default=None, help="the run's training data, if not where the run stored it (for the framing)"
    )
    parser.add_argument(
        "--training-commit", default=None, help="the commit the run was trained at (checkpoints do not record it)"
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> str:
    parser = build_parser()
    args = parser.parse_args(argv)
    if os.path.isdir(args.output):
        parser.error(f"--output {args.output!r} is a folder; give a file name such as model.pt")
    try:
        checkpoint = load_checkpoint(args.run, map_location="cpu")
        payload = export_payload(checkpoint, data_root=args.data_root, training_commit=args.training_commit)
        path = save_model_file(args.output, payload)
    except (CheckpointError, ModelFileError) as error:
        parser.error(str(error))
    framing = payload["framing"]
    print(
        f"exported {checkpoint['path']} (iteration {payload['provenance']['iteration']}): "
        f"classes {[name for _, name in payload['classes']]}, framing fill {framing['fill']:.3f} "
        f"centre ({framing['center'][0]:.3f}, {framing['center'][1]:.3f}) of {framing['image_size']} px "
        f"({framing['source']}), {os.path.getsize(path) / 2**20:.1f} MiB",
        flush=True,
    )
    print(path, flush=True)
    return path


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(0)
