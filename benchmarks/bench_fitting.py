"""Measure the fitting figures reported in docs/FITTING.md.

    PYTHONPATH=. python benchmarks/bench_fitting.py                      # everything
    PYTHONPATH=. python benchmarks/bench_fitting.py --skip-shape         # pose only
    PYTHONPATH=. python benchmarks/bench_fitting.py --override steps=100 # any config key

Shape fitting: ``scripts/fit_mesh.py``'s body on each shape target with the default
config (64 x 64, 24 views, 4 held out). Pose fitting: ``scripts/fit_pose.py``'s body with
10 seeded random starts per (target, perturbation angle). Each run writes its usual
folder under --out; the tables printed at the end are built from their metrics.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from hydra import compose, initialize_config_dir  # noqa: E402

from softrecon.fitting.config import register_configs  # noqa: E402
from softrecon.fitting.run_pose import run_fit_pose  # noqa: E402
from softrecon.fitting.run_shape import run_fit_mesh  # noqa: E402

CONFIG_DIR = os.path.join(REPO, "configs")
SAMPLE_MESHES = os.path.join(REPO, "softrecon", "assets", "meshes")  # shipped sample meshes
DEFAULT_SHAPE_TARGETS = [os.path.join(SAMPLE_MESHES, "cow", "cow.obj"), os.path.join(SAMPLE_MESHES, "airplane.ply")]
DEFAULT_POSE_TARGETS = ["builtin", os.path.join(SAMPLE_MESHES, "cow", "cow.obj")]
DEFAULT_PERTURBATIONS = [30.0, 60.0]
NUM_STARTS = 10


def _compose(config_name: str, overrides: List[str]):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(config_name, overrides=overrides)


def _name(target: str) -> str:
    return os.path.splitext(os.path.basename(target))[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(REPO, "outputs", "bench_fitting"), help="folder for the runs")
    parser.add_argument("--shape-targets", nargs="*", default=DEFAULT_SHAPE_TARGETS)
    parser.add_argument("--pose-targets", nargs="*", default=DEFAULT_POSE_TARGETS)
    parser.add_argument(
        "--perturbations", nargs="*", type=float, default=DEFAULT_PERTURBATIONS, help="start rotation errors (deg)"
    )
    parser.add_argument("--num-threads", type=int, default=1, help="torch threads (0: torch's default)")
    parser.add_argument("--skip-shape", action="store_true")
    parser.add_argument("--skip-pose", action="store_true")
    parser.add_argument("--override", nargs="*", default=[], help="extra config overrides for every run (key=value)")
    args = parser.parse_args()
    register_configs()
    common = [f"num_threads={args.num_threads}", "progress=false", *args.override]

    shape_rows = []
    for target in [] if args.skip_shape else args.shape_targets:
        run_dir = os.path.join(args.out, f"shape_{_name(target)}")
        os.makedirs(run_dir, exist_ok=True)
        metrics = json.load(open(run_fit_mesh(_compose("fit_mesh", [f"target={target}", *common]), run_dir)))
        shape_rows.append((_name(target), metrics))
        print(f"shape {_name(target)}: done ({metrics['wall_time_s']:.0f} s)", file=sys.stderr)

    pose_rows = []
    for target in [] if args.skip_pose else args.pose_targets:
        for angle in args.perturbations:
            run_dir = os.path.join(args.out, f"pose_{_name(target)}_{angle:g}deg")
            os.makedirs(run_dir, exist_ok=True)
            overrides = [f"target={target}", f"num_starts={NUM_STARTS}", f"rotation_perturbation_deg={angle}", *common]
            metrics = json.load(open(run_fit_pose(_compose("fit_pose", overrides), run_dir)))
            pose_rows.append((_name(target), angle, metrics))
            print(f"pose {_name(target)} {angle:g} deg: done ({metrics['wall_time_s']:.0f} s)", file=sys.stderr)

    if shape_rows:
        print(
            "| mesh | held-out silhouette IoU (sphere -> fit) | voxel IoU 32^3 | Chamfer (squared) | fit s | wall s | backend |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for name, m in shape_rows:
            i = m["initial"]
            print(
                f"| {name} | {i['heldout_silhouette_iou']:.3f} -> {m['heldout_silhouette_iou']:.3f} "
                f"| {i['voxel_iou']:.3f} -> {m['voxel_iou']:.3f} | {i['chamfer']:.2e} -> {m['chamfer']:.2e} "
                f"| {m['fit_time_s']:.0f} | {m['wall_time_s']:.0f} | {m['renderer_backend']} |"
            )
    if pose_rows:
        print()
        print(
            "| object | start error (deg) | success (final error < threshold) | median rotation error (deg) | median translation error | hidden object fraction | wall s |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for name, angle, m in pose_rows:
            print(
                f"| {name} | {angle:g} | {round(m['success_rate'] * NUM_STARTS)}/{NUM_STARTS} (< {m['success_rotation_deg']:g} deg) | {m['median_rotation_error_deg']:.2f} "
                f"| {m['median_translation_error']:.4f} | {m['occluded_object_fraction']:.2f} | {m['wall_time_s']:.0f} |"
            )


if __name__ == "__main__":
    main()
