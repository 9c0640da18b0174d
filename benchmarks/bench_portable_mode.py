"""What the portable mode costs, and whether it changes the bits on this CPU.

    python benchmarks/bench_portable_mode.py [--iterations 30] [--repeats 3] [--out bench_portable]

Trains the quickstart preset (``python train.py``, one intra-op thread) for
--iterations iterations, --repeats times in the default mode and --repeats times in the
portable mode (docs/MEASUREMENTS.md, "Reproducibility"), alternating so that both modes
see the same machine load. The portable mode is the default run with these environment
variables set before Python starts (torch reads them when it loads its libraries):

- ``DNNL_MAX_CPU_ISA=AVX2``: oneDNN (the convolutions) uses no instruction set above AVX2;
- ``MKL_CBWR=COMPATIBLE``: MKL (the fully connected layers) runs its SSE2 code path, the
  one branch of its conditional numerical reproducibility that it honours on AMD CPUs as
  well as on Intel ones (others fall back to ``AUTO`` on AMD: ``MKL_VERBOSE=1`` shows it);
- ``ATEN_CPU_CAPABILITY=avx2``: PyTorch's own vectorized kernels use AVX2.

Prints one table: wall time of the whole command (median and min over the repeats), the
ratio of the medians, and a fingerprint of the final weights (SHA-256 of every tensor of
the model's state, in order) so that a change of a single bit shows. The dataset is
built once into --out before the first timed run; each run writes its own run folder
there.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import subprocess
import sys
import time

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The portable mode: instruction sets capped at AVX2 in every library that picks its code
# path by the CPU (docs/MEASUREMENTS.md, "Reproducibility").
PORTABLE_ENV = {"DNNL_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "avx2"}


def cpu_model() -> str:
    """The CPU's model name as /proc/cpuinfo gives it (or the platform's processor)."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags() -> str:
    """The widest vector extensions the CPU reports: 'avx512f' / 'avx2' / 'avx' or 'none'."""
    try:
        with open("/proc/cpuinfo") as handle:
            flags = next(line for line in handle if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "unknown"
    return next((flag for flag in ("avx512f", "avx2", "avx") if flag in flags), "none")


def weights_fingerprint(checkpoint: str) -> str:
    """SHA-256 over the model's state tensors of a checkpoint, first 16 hex digits."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)["model"]
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def run_training(out: str, name: str, iterations: int, extra_env: dict) -> tuple:
    """One ``train.py`` run into ``out/name``: (wall seconds, weights fingerprint)."""
    run_dir = os.path.join(out, name)
    command = [
        sys.executable,
        os.path.join(REPO, "train.py"),
        f"trainer.iterations={iterations}",
        f"trainer.checkpoint_every={iterations}",
        f"paths.data_dir={os.path.join(out, 'data')}",
        f"paths.run_dir={run_dir}",
        f"hydra.run.dir={os.path.join(run_dir, 'hydra')}",
    ]
    env = dict(os.environ, **extra_env)
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return seconds, weights_fingerprint(os.path.join(run_dir, "checkpoints", "last.pt"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=30, help="training iterations per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per mode")
    parser.add_argument("--out", default="bench_portable", help="folder for the dataset and the run folders")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    print(f"CPU: {cpu_model()} (widest vector extension: {cpu_flags()}); torch {torch.__version__}")
    run_training(args.out, "warmup", 1, {})  # builds the dataset once, outside the timings
    modes = {"default": {}, "portable": PORTABLE_ENV}
    seconds = {mode: [] for mode in modes}
    prints = {mode: set() for mode in modes}
    for repeat in range(args.repeats):
        for mode, extra_env in modes.items():
            wall, fingerprint = run_training(args.out, f"{mode}_{repeat}", args.iterations, extra_env)
            seconds[mode].append(wall)
            prints[mode].add(fingerprint)

    base = statistics.median(seconds["default"])
    print(f"\n{args.iterations} iterations of `python train.py`, {args.repeats} runs per mode\n")
    print("| mode | median s | min s | ratio | weights (SHA-256, first 16) |")
    print("| --- | --- | --- | --- | --- |")
    for mode in modes:
        median = statistics.median(seconds[mode])
        print(
            f"| {mode} | {median:.1f} | {min(seconds[mode]):.1f} | {median / base:.3f} | {', '.join(sorted(prints[mode]))} |"
        )
    same = prints["default"] == prints["portable"] and len(prints["default"]) == 1
    print(f"\nportable mode gives the default mode's bits on this CPU: {'yes' if same else 'no'}")


if __name__ == "__main__":
    main()
