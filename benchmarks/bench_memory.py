#!/usr/bin/env python
"""Peak memory (RSS) of building one dataset object from a big mesh: load the .obj,
render the 24 views, voxelize; and of each stage alone; and of what ``fit_mesh`` does with
a target mesh (load, 24 hard silhouettes, voxelize: ``fit_target``).

    PYTHONPATH=. python benchmarks/bench_memory.py [--faces 100000 1000000 2000000]
        [--stages load render voxelize build fit_target] [--baseline /path/to/other/checkout]
        [--limit-gb 8]

Every (faces, stage) runs in a fresh process (peak = its VmHWM, Linux), one thread, as a ``build_dataset.py --workers N`` worker does; the table gives the peak
RSS in MB, the RSS of the bare process (Python + torch imported) and, with
``--baseline``, the same measured in another checkout (e.g. the code before a change)
in the same run, and the ratio. The mesh is a closed UV sphere with ripples (its faces
cover the views like a real object's) written as an .obj to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile

import numpy as np

STAGES = ("load", "render", "voxelize", "build", "fit_target")
IMAGE_SIZE = 64  # what build_dataset.py renders by default
VOXEL_RESOLUTION = 32


def rippled_sphere(num_faces: int):
    """A closed UV sphere of about ``num_faces`` faces (radius 0.5 with 3 % ripples).

    Returns:
        vertices (V, 3) float64, faces (F, 3) int64.
    """
    rows = max(3, int(round(math.sqrt(num_faces / 4))))
    cols = max(3, num_faces // (2 * rows))
    theta = np.linspace(0, np.pi, rows + 1)[1:-1]  # without the poles
    phi = np.linspace(0, 2 * np.pi, cols, endpoint=False)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    radius = 0.5 * (1 + 0.03 * np.sin(7 * t) * np.cos(5 * p))
    ring = np.stack([radius * np.sin(t) * np.cos(p), radius * np.cos(t), radius * np.sin(t) * np.sin(p)], -1).reshape(
        -1, 3
    )
    vertices = np.concatenate([ring, [[0, 0.5, 0], [0, -0.5, 0]]])
    top, bottom = len(ring), len(ring) + 1
    index = np.arange(len(ring)).reshape(rows - 1, cols)
    right = np.roll(index, -1, axis=1)
    quads_a = np.stack([index[:-1], right[:-1], index[1:]], -1).reshape(-1, 3)
    quads_b = np.stack([right[:-1], right[1:], index[1:]], -1).reshape(-1, 3)
    caps_top = np.stack([np.full(cols, top), right[0], index[0]], -1)
    caps_bottom = np.stack([np.full(cols, bottom), index[-1], right[-1]], -1)
    return vertices, np.concatenate([quads_a, quads_b, caps_top, caps_bottom]).astype(np.int64)


CHILD = r"""
import json, sys
import torch
def peak_mb():  # VmHWM: this process's own high-water mark (ru_maxrss can carry the parent's over fork)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
torch.set_num_threads(1)
from softrecon.dataset_builders import BuildOptions, BuildTask, build_object
from softrecon.dataset_builders.mesh_source import MeshSource, load_mesh_record
from softrecon.dataset_builders.render import render_benchmark_views
from softrecon.voxel import voxelize
path, stage = sys.argv[1], sys.argv[2]
bare = peak_mb()
record = load_mesh_record(BuildTask("c", "train", "m", MeshSource(path, True)))
if stage == "render":
    render_benchmark_views(record.vertices, record.faces, record.face_colors, {size})
elif stage == "voxelize":
    voxelize(record.vertices, record.faces, {resolution})
elif stage == "fit_target":  # what fit_mesh does with the target: its silhouettes from 24 views, voxels
    from softrecon.fitting.outputs import load_normalized_mesh
    from softrecon.fitting.shape import hard_silhouettes
    from softrecon.fitting.views import orbit_views
    del record
    vertices, faces, _ = load_normalized_mesh(path)
    assert hard_silhouettes(vertices, faces, orbit_views(24, [30.0, -30.0]), {size}).any()
    assert voxelize(vertices, faces, {resolution}).any()
    record = type("R", (), dict(faces=faces))
elif stage == "build":
    images, voxels = build_object(record, BuildOptions(image_size={size}, voxel_resolution={resolution}))
    assert images[:, 3].any() and voxels.any()
print(json.dumps({{"bare_mb": bare, "peak_mb": peak_mb(), "faces": len(record.faces)}}))
""".format(size=IMAGE_SIZE, resolution=VOXEL_RESOLUTION)


def measure(checkout: str, mesh_path: str, stage: str, limit_gb: float) -> dict:
    """Run one stage in a fresh process with ``checkout`` on PYTHONPATH; its peak RSS.
    The process's address space is capped at ``limit_gb`` (RLIMIT_AS), so that code
    that needs more fails with a MemoryError instead of waking the OOM killer."""
    env = dict(os.environ, PYTHONPATH=checkout, OMP_NUM_THREADS="1")
    cap = int(limit_gb * 2**30)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mesh_path, stage],
        capture_output=True,
        text=True,
        env=env,
        cwd=checkout,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap)),
    )
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        return {
            "error": f"over the {limit_gb:g} GB cap" if "memory" in last.lower() or "alloc" in last.lower() else last
        }
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", type=int, nargs="+", default=[100_000, 1_000_000, 2_000_000])
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument(
        "--baseline", default=None, help="another checkout to measure the same way (e.g. the code before)"
    )
    parser.add_argument(
        "--limit-gb", type=float, default=8.0, help="address-space cap of each measured process (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    from softrecon.io import save_obj

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    header = "| faces | stage | peak RSS MB | bare process MB |" + (
        " baseline peak MB | baseline / now |" if args.baseline else ""
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    with tempfile.TemporaryDirectory() as folder:
        for num_faces in args.faces:
            path = os.path.join(folder, f"sphere_{num_faces}.obj")
            save_obj(path, *rippled_sphere(num_faces))
            for stage in args.stages:
                now = measure(here, path, stage, args.limit_gb)
                row = [f"{num_faces:,}", stage]
                if "error" in now:
                    row += [f"failed: {now['error'][:60]}", "-"]
                else:
                    row += [f"{now['peak_mb']:.0f}", f"{now['bare_mb']:.0f}"]
                if args.baseline:
                    before = measure(args.baseline, path, stage, args.limit_gb)
                    if "error" in before or "error" in now:
                        row += [
                            before.get("error", f"{before.get('peak_mb', 0):.0f}")[:60],
                            "> cap / now" if "cap" in before.get("error", "") else "-",
                        ]
                    else:
                        row += [f"{before['peak_mb']:.0f}", f"{before['peak_mb'] / now['peak_mb']:.2f}"]
                print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
