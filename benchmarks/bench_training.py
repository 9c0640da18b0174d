"""Training throughput on this machine, and where each iteration's time goes.

For each preset, builds the real ``Trainer`` (same config composition as train.py),
runs a few warm-up iterations, then times N iterations with the trainer's explicit
phase timers:

- data: drawing the batch of view pairs (reading, decoding, resizing, device copy);
- network: encoder + decoder forward, their backward (with DDP's all-reduce), Adam;
- renderer + losses: rendering the 4 silhouettes per pair, soft IoU, Laplacian,
  flatten, forward and backward down to the predicted vertices.

The paper preset runs on the synthetic dataset (the NMR renders are not needed to
time it) at its batch of 64 and 64 x 64 images. Usage::

    python benchmarks/bench_training.py                 # both presets
    python benchmarks/bench_training.py --presets quick_cpu --iterations 20
    python benchmarks/bench_training.py --override data.batch_size=8 model.template_level=2
    python benchmarks/bench_training.py --presets paper_silhouette --iterations 500 --run-dir runs/gpu   # then eval.py ckpt_path=runs/gpu

On a GPU the phase timers synchronize around each phase (trainer.profile=true), which
costs a little throughput; the it/s are those of the profiled run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from softrecon.config import compose_config  # noqa: E402
from softrecon.dataset_builders.run_data import ensure_run_data  # noqa: E402
from softrecon.training import Trainer  # noqa: E402

# The synthetic dataset stands in for the NMR renders of the paper preset.
PAPER_ON_SYNTHETIC = ["data=synthetic", "data.image_size=64", "data.batch_size=64"]
PHASES = {
    "data": ("data",),
    "network": ("network_forward", "network_backward", "optimizer"),
    "renderer + losses": ("render_and_loss",),
}


def bench(preset: str, iterations: int, warmup: int, data_root: str, extra, run_dir: str = "") -> dict:
    overrides = [
        f"experiment={preset}",
        "logging=quiet",
        "trainer.val_every=0",
        "trainer.checkpoint_every=1000000000",
        "trainer.profile=true",
    ]
    if preset == "paper_silhouette":
        overrides += PAPER_ON_SYNTHETIC
    if data_root:
        overrides.append(f"data.root={data_root}")
    keep = bool(run_dir)
    with contextlib.nullcontext(run_dir) if keep else tempfile.TemporaryDirectory() as run_dir:
        overrides += [f"paths.run_dir={run_dir}", f"trainer.iterations={warmup + iterations}", *extra]
        cfg = compose_config("train", overrides)
        ensure_run_data(cfg.data)  # as train.py: the embedded synthetic dataset, made on first use
        trainer = Trainer(cfg)
        for _ in range(warmup):
            trainer.loop.step()
        trainer.timer.reset()
        start = time.perf_counter()
        for _ in range(iterations):
            trainer.loop.step()
        elapsed = time.perf_counter() - start
        trainer.loop.batches.close()
        if keep:
            trainer.save_checkpoint()  # <run_dir>/checkpoints: eval.py can score the run
    totals = trainer.timer.totals
    timed = sum(totals.values())
    return {
        "preset": preset,
        "device": str(trainer.context.device),
        "batch": int(cfg.data.batch_size),
        "image": int(cfg.data.image_size),
        "vertices": trainer.model.num_vertices,
        "it/s": iterations / elapsed,
        "pairs/s": iterations * int(cfg.data.batch_size) / elapsed,
        **{name: sum(totals.get(p, 0.0) for p in parts) / timed for name, parts in PHASES.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["quick_cpu", "paper_silhouette"])
    parser.add_argument("--iterations", type=int, default=10, help="timed iterations per preset")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--data-root", default="", help="synthetic dataset folder (default: the configs' data.root)")
    parser.add_argument("--override", nargs="*", default=[], help="extra Hydra overrides for every preset")
    parser.add_argument("--run-dir", default="", help="keep the run (and its final checkpoint) here; one preset only")
    args = parser.parse_args()
    if args.run_dir and len(args.presets) != 1:
        parser.error("--run-dir needs exactly one preset")
    rows = [bench(p, args.iterations, args.warmup, args.data_root, args.override, args.run_dir) for p in args.presets]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; renderer backend: {os.environ.get('SOFTRECON_BACKEND', 'auto')}"
    )
    print("| preset | device | batch | image | V | it/s | view pairs/s | data | network | renderer + losses |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['preset']} | {r['device']} | {r['batch']} | {r['image']} | {r['vertices']} | {r['it/s']:.3f} | {r['pairs/s']:.1f} "
            f"| {100 * r['data']:.1f}% | {100 * r['network']:.1f}% | {100 * r['renderer + losses']:.1f}% |"
        )


if __name__ == "__main__":
    main()
