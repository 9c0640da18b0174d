"""Benchmark of the soft rasterizer implementations on the paper's workloads.

    python benchmarks/bench_rasterize.py [--quick] [--threads T] [--dist-cdf CDF] [--aggr-alpha A]

Cases (float32, as in training):
  paper-train  256 silhouettes 64 x 64 of a level-3 icosphere (642 vertices, 1280 faces)
               of radius 0.5 seen from 2.732 with a 15 degree half-angle; sigma 1e-4,
               dist_eps 1e-10, 'prod' alpha, alpha only.
  large        8 images 256 x 256 of a level-5 icosphere (20480 faces), softmax colour
               with per-vertex colours, sigma 1e-5, gamma 1e-4.
  jrender-280, jrender-3.3k, jrender-39k
               the loads of jrender's comparison table: forward + backward of ONE
               1024 x 1024 soft colour render of a mesh of 280, 3.3k or 39k faces
               (here latitude-longitude spheres of exactly 280, 3300 and 39000 faces,
               deterministic, seen by the paper's camera), SoftRas' default settings
               (sigma 1e-5, gamma 1e-4, dist_eps 1e-4, softmax colour, 'prod' alpha).
               The published times (official SoftRas, PyTorch3D, jrender; one unstated
               GPU) are printed beside ours in a second table.

--dist-cdf / --aggr-alpha replace those settings in every case (GenDR's CDFs and
T-conorms; 'cauchy' has tails so heavy that its cut-off covers the whole image, so it
costs what a dense rasterizer does).

Implementations: the compiled CPU kernel, the CUDA kernel where a GPU exists, and the
dense reference. The dense reference is too slow for the full loads: it is timed on a
subset (fewer images and, for 'large', a lower resolution of the same scene) and scaled
linearly by the number of (pixel, face) pairs, which is how its cost grows; the table
marks those rows '(scaled)'.

Each (implementation, case) runs in its own subprocess. Peak memory: for CPU runs the
growth of the process' maximum resident set size (resource.getrusage ru_maxrss) from
after the inputs are built to after the warm-up and timed runs (so it includes the
outputs, saved tensors and gradients); for CUDA runs torch.cuda.max_memory_allocated. Times are medians of several runs (wall clock).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Optional, Tuple

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests", "renderer"))  # the kernel tests' input factories

from scene_factories import mesh_scene, uv_sphere  # noqa: E402

from softrecon.geometry import icosphere  # noqa: E402
from softrecon.renderer import (  # noqa: E402
    AggrAlpha,
    DistCDF,
    RasterSettings,
    _kernels,  # noqa: E402
    rasterize_reference,
)

# Timed repetitions per measurement (median reported); --quick uses QUICK_REPEATS.
REPEATS = 5
QUICK_REPEATS = 2
# Seed of the scenes' random orientations.
SEED = 0


@dataclass(frozen=True)
class Case:
    name: str
    level: int  # icosphere level (when uv is None)
    images: int  # N
    settings: RasterSettings
    colors: bool  # render colour (softmax) as well as alpha
    dense_images: int  # images the dense reference renders
    dense_size: int  # resolution at which the dense reference renders
    uv: Optional[Tuple[int, int]] = None  # (rings, segments) of a uv_sphere instead of an icosphere
    published_ms: Optional[Tuple[float, float, float]] = None  # fwd+bwd: official SoftRas, PyTorch3D, jrender

    def mesh(self):
        """The case's mesh: vertices (V, 3) float64, faces (F, 3) long."""
        return uv_sphere(*self.uv) if self.uv else icosphere(self.level)  # float32 as before: same inputs


# SoftRas' default rasterization settings (SoftRasterizer's constructor), 1024 x 1024.
JRENDER_SETTINGS = RasterSettings(
    image_size=1024, sigma=1e-5, gamma=1e-4, dist_eps=1e-4, aggr_rgb="softmax", aggr_alpha="prod"
)
# Published fwd+bwd ms for the 280 / 3.3k / 39k-face loads (jrender's comparison table).
PUBLISHED_METHODS = ("official SoftRas", "PyTorch3D", "jrender")


CASES = {
    "paper-train": Case(
        "paper-train", 3, 256,
        RasterSettings(image_size=64, sigma=1e-4, dist_eps=1e-10, aggr_alpha="prod"),
        colors=False, dense_images=2, dense_size=64,
    ),
    "large": Case(
        "large", 5, 8,
        RasterSettings(image_size=256, sigma=1e-5, gamma=1e-4, dist_eps=1e-10, aggr_rgb="softmax"),
        colors=True, dense_images=1, dense_size=32,
    ),
    "jrender-280": Case("jrender-280", 0, 1, JRENDER_SETTINGS, colors=True, dense_images=1, dense_size=128, uv=(10, 14), published_ms=(9.2, 48.3, 7.3)),
    "jrender-3.3k": Case("jrender-3.3k", 0, 1, JRENDER_SETTINGS, colors=True, dense_images=1, dense_size=64, uv=(33, 50), published_ms=(44.1, 53.3, 11.5)),
    "jrender-39k": Case("jrender-39k", 0, 1, JRENDER_SETTINGS, colors=True, dense_images=1, dense_size=32, uv=(130, 150), published_ms=(404.9, 82.9, 35.5)),
}  # fmt: skip


def _timed(fn, repeats, device):
    times = []
    for _ in range(repeats):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _maxrss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def worker(impl: str, case_name: str, repeats: int, overrides: dict) -> dict:
    """Runs one (implementation, case) in this process and returns its measurements."""
    case = CASES[case_name]
    device = "cuda" if impl == "cuda" else "cpu"
    images, settings = case.images, case.settings.replace(**overrides)
    if impl == "dense":
        images, settings = case.dense_images, settings.replace(image_size=case.dense_size)
    fv, fc = mesh_scene(*case.mesh(), images, torch.Generator().manual_seed(SEED), dtype=torch.float32)
    fv, fc = fv.to(device), (fc.to(device) if case.colors else None)
    render = rasterize_reference if impl == "dense" else _kernels.rasterize_kernel
    upstream = torch.rand(images, (3 if case.colors else 0) + 1, settings.height, settings.width, device=device)

    def forward():
        with torch.no_grad():
            render(fv, fc, settings)

    def forward_backward():
        v = fv.detach().requires_grad_(True)
        c = None if fc is None else fc.detach().requires_grad_(True)
        image = render(v, c, settings)
        torch.autograd.backward(image, upstream)

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    base = _maxrss_mib()  # inputs built, nothing rendered yet
    forward_backward()  # warm-up
    result = {
        "forward_s": _timed(forward, repeats, device),
        "forward_backward_s": _timed(forward_backward, repeats, device),
    }
    result["peak_mib"] = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else _maxrss_mib() - base
    pairs = images * settings.height * settings.width * fv.shape[1]
    result["dense_pairs"] = pairs
    if impl == "cpu":
        stats = _kernels.kernel_statistics(fv, settings)
        result.update(
            pairs_listed=stats["pairs_listed"], pairs_evaluated=stats["pairs_evaluated"], threads=stats["threads_used"]
        )
    if impl == "dense":  # scale to the full case by (pixel, face) pairs
        full_pairs = case.images * case.settings.height * case.settings.width * fv.shape[1]
        factor = full_pairs / pairs
        result["scale"] = factor
        result["forward_s"] *= factor
        result["forward_backward_s"] *= factor
        result["dense_pairs"] = full_pairs
    return result


def run_case(impl, case_name, repeats, threads, overrides):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", impl, case_name, "--repeats", str(repeats)]
    if threads:
        cmd += ["--threads", str(threads)]
    for key, value in overrides.items():
        cmd += [f"--{key.replace('_', '-')}", value]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (default: torch's choice)")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES), help="default: all")
    parser.add_argument(
        "--impls",
        nargs="+",
        choices=["cpu", "cuda", "dense"],
        default=["cpu", "cuda", "dense"],
        help="implementations to time (default: all; cuda only where built and a GPU exists; "
        "without 'dense' the speed-up column is '-')",
    )
    parser.add_argument("--worker", nargs=2, metavar=("IMPL", "CASE"), help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--dist-cdf", choices=[m.name.lower() for m in DistCDF], help="override the cases' CDF")
    parser.add_argument(
        "--aggr-alpha", choices=[m.name.lower() for m in AggrAlpha], help="override the cases' alpha aggregation"
    )
    parser.add_argument(
        "--cutoff-logit",
        help="GenDR's cut-off in every case: skip outside pairs with |x| >= this (300: GenDR's; default: none)",
    )
    parser.add_argument("--sigma", help="override the cases' sigma (e.g. a GenDR row's tuned scale)")
    args = parser.parse_args()
    overrides = {
        k: v
        for k, v in (
            ("dist_cdf", args.dist_cdf),
            ("aggr_alpha", args.aggr_alpha),
            ("cutoff_logit", args.cutoff_logit),
            ("sigma", args.sigma),
        )
        if v is not None
    }
    if args.threads:
        torch.set_num_threads(args.threads)
    repeats = args.repeats or (QUICK_REPEATS if args.quick else REPEATS)
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], repeats, overrides)))
        return
    if not _kernels.kernel_available("cpu"):
        sys.exit(f"the CPU kernel is not built: {_kernels.build_error()}")
    available = {"cpu": True, "cuda": _kernels.kernel_available("cuda"), "dense": True}
    impls = [impl for impl in ("cpu", "cuda", "dense") if impl in args.impls and available[impl]]
    variant = "".join(f", {k}={v}" for k, v in overrides.items())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, repeats {repeats}, float32{variant}")
    header = f"{'case':<12} {'impl':<16} {'forward s':>10} {'fwd+bwd s':>10} {'peak MiB':>9} {'pairs listed':>13} {'pairs evald':>13} {'dense pairs':>13} {'x vs dense':>10}"
    print(header)
    print("-" * len(header))
    published = []
    for case_name in args.cases:
        results = {impl: run_case(impl, case_name, repeats, args.threads, overrides) for impl in impls}
        if CASES[case_name].published_ms:
            published.append((case_name, results))
        dense = results.get("dense")
        for impl in impls:
            r = results[impl]
            label = impl + (" (scaled)" if impl == "dense" else "")
            speedup = f"{dense['forward_backward_s'] / r['forward_backward_s']:.1f}" if dense else "-"
            print(
                f"{case_name:<12} {label:<16} {r['forward_s']:>10.4f} {r['forward_backward_s']:>10.4f} {r['peak_mib']:>9.1f} "
                f"{r.get('pairs_listed', '-'):>13} {r.get('pairs_evaluated', '-'):>13} {r['dense_pairs']:>13} {speedup:>10}"
            )
    if published:
        ours = [impl for impl in impls if impl != "dense"]
        print()
        print("fwd+bwd of one 1024 x 1024 soft colour render, ms (published: one unstated GPU; ours: this machine)")
        print(
            "| load | faces | "
            + " | ".join(f"ours, {impl}" for impl in ours)
            + " | "
            + " | ".join(PUBLISHED_METHODS)
            + " |"
        )
        print("| --- | ---: |" + " ---: |" * (len(ours) + len(PUBLISHED_METHODS)))
        for case_name, results in published:
            case = CASES[case_name]
            faces = len(case.mesh()[1])
            cells = [f"{1e3 * results[impl]['forward_backward_s']:.1f}" for impl in ours] + [
                f"{ms:.1f}" for ms in case.published_ms
            ]
            print(f"| {case_name} | {faces} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
