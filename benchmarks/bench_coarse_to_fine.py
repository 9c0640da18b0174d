"""Coarse-to-fine shape fitting against the single-level fit: the table of docs/FITTING.md.

    PYTHONPATH=. python benchmarks/bench_coarse_to_fine.py --out c2f_bench
    PYTHONPATH=. python benchmarks/bench_coarse_to_fine.py --targets mesh.obj --override image_size=128

For each target (default: the cow, the airplane and the thin-legged quadruped of
``benchmarks/thin_parts/make_quadruped.py``, written into --out), the fitting is run from
images + cameras as a user would (``scripts/make_fit_targets.py``: 24 views at 64 x 64,
4 held out, --image-size; the normalized mesh as the reference for the voxel IoU):

- single level: the default fit (1280 faces, ``steps`` = 300), and the same with as
  many steps as the coarse-to-fine run in all (``steps`` = 300 + 2 x 150);
- coarse-to-fine: ``subdivisions=2`` (1280 -> 5120 -> 20480 faces, 150 steps each
  refinement); its ``stages`` give the metrics after every level.

Every run writes its usual folder (metrics.json, fitted.obj) under --out; the table is
built from those. Times are the optimization's, on whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from types import SimpleNamespace
from typing import List

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "scripts"))
sys.path.insert(0, os.path.join(REPO, "benchmarks", "thin_parts"))

from hydra import compose, initialize_config_dir  # noqa: E402
from make_fit_targets import make_targets  # noqa: E402
from make_quadruped import quadruped  # noqa: E402

from softrecon.fitting.config import register_configs  # noqa: E402
from softrecon.fitting.run_shape import run_fit_mesh  # noqa: E402
from softrecon.io import save_obj  # noqa: E402

CONFIG_DIR = os.path.join(REPO, "configs")
SAMPLE_MESHES = os.path.join(REPO, "softrecon", "assets", "meshes")  # shipped sample meshes
SUBDIVISIONS = 2
REFINE_STEPS = 150
COARSE_STEPS = 300


def _compose(overrides: List[str]):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("fit_mesh", overrides=overrides)


def _run(name: str, out: str, overrides: List[str]) -> dict:
    run_dir = os.path.join(out, name)
    os.makedirs(run_dir, exist_ok=True)
    metrics = json.load(open(run_fit_mesh(_compose(overrides), run_dir)))
    print(f"{name}: done ({metrics['fit_time_s']:.0f} s)", file=sys.stderr, flush=True)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(REPO, "outputs", "bench_coarse_to_fine"))
    parser.add_argument("--targets", nargs="*", default=None, help="mesh files (default: cow, airplane, quadruped)")
    parser.add_argument("--num-threads", type=int, default=1)
    parser.add_argument("--image-size", type=int, default=64, help="target image size")
    parser.add_argument("--skip-long", action="store_true", help="skip the longer single-level run")
    parser.add_argument("--override", nargs="*", default=[], help="extra config overrides for every run")
    args = parser.parse_args()
    register_configs()
    os.makedirs(args.out, exist_ok=True)
    targets = args.targets
    if targets is None:
        quadruped_path = os.path.join(args.out, "quadruped.obj")
        save_obj(quadruped_path, *quadruped())
        targets = [
            os.path.join(SAMPLE_MESHES, "cow", "cow.obj"),
            os.path.join(SAMPLE_MESHES, "airplane.ply"),
            quadruped_path,
        ]
    common = [f"num_threads={args.num_threads}", "progress=false", "gif_every=0", *args.override]
    rows = []
    for target in targets:
        name = os.path.splitext(os.path.basename(target))[0]
        folder = os.path.join(args.out, f"{name}_targets")
        make_targets(SimpleNamespace(mesh=target, out=folder, num_views=24, elevations=[30.0, -30.0], distance=2.732,
                                     viewing_angle=15.0, image_size=args.image_size, layout="npy"))  # fmt: skip
        data = [
            f"images={folder}/images.npy",
            f"cameras={folder}/cameras.npy",
            f"reference={folder}/reference.obj",
            *common,
        ]
        single = _run(f"{name}_single", args.out, data)
        longer = (
            None
            if args.skip_long
            else _run(f"{name}_single_long", args.out, [*data, f"steps={COARSE_STEPS + SUBDIVISIONS * REFINE_STEPS}"])
        )
        c2f = _run(f"{name}_c2f", args.out, [*data, f"subdivisions={SUBDIVISIONS}", f"refine_steps={REFINE_STEPS}"])
        rows.append((name, single, longer, c2f))

    print("| mesh | run | faces | steps | held-out silhouette IoU | voxel IoU 32^3 | Chamfer (squared) | fit s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, single, longer, c2f in rows:
        initial = single["initial"]
        print(
            f"| {name} | template sphere | 1280 | 0 | {initial['heldout_silhouette_iou']:.3f} | {initial['voxel_iou']:.3f} | {initial['chamfer']:.2e} | |"
        )
        for label, m in (("single level", single), ("single level, longer", longer)):
            if m is None:
                continue
            s = m["stages"][0]
            print(
                f"| {name} | {label} | {s['faces']} | {s['steps']} | {s['heldout_silhouette_iou']:.3f} | {s['voxel_iou']:.3f} | {s['chamfer']:.2e} | {s['fit_time_s']:.0f} |"
            )
        steps = elapsed = 0
        for level, s in enumerate(c2f["stages"]):
            steps += s["steps"]
            elapsed += s["fit_time_s"]
            label = "coarse-to-fine, level 0" if level == 0 else f"coarse-to-fine, after level {level}"
            print(
                f"| {name} | {label} | {s['faces']} | {steps} | {s['heldout_silhouette_iou']:.3f} | {s['voxel_iou']:.3f} | {s['chamfer']:.2e} | {elapsed:.0f} |"
            )


if __name__ == "__main__":
    main()
