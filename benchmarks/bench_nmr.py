"""Benchmark of the NMR renderer's compiled CPU kernel beside the soft rasterizer's.

    python benchmarks/bench_nmr.py [--rounds R] [--repeats K] [--threads T] [--build DIR ...]

Cases (float32, alpha only, one thread unless --threads):
  quick-train  32 silhouettes 32 x 32 of a level-3 icosphere (1280 faces) seen by the
               paper's camera, one random orientation each: one training step's render in
               the quick preset (batch 16 x 2 views).
  cow-fit      1 silhouette 64 x 64 of the shipped cow (5856 faces): one step of
               softrecon-fit-pose on the cow.

Renderers: 'soft' (the soft rasterizer, the quick preset's settings: sigma 4e-4, 'prod'
alpha) and 'nmr' (``NmrSettings``), both the compiled CPU kernel. Times are the forward
and the forward + backward of ``alpha.sum()``, R rounds of K repetitions each: the median
of the rounds' medians, and the minimum of every repetition.

``--build DIR`` (repeatable) times the softrecon package found in DIR (a checkout with its
extension built) instead of this one; the builds run alternately, round by round, each in
its own subprocess, so a loaded machine slows them alike. The table gives NMR over soft
within a build, and each build over the first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CASES = ("quick-train", "cow-fit")
RENDERERS = ("soft", "nmr")


def _scene(case: str):
    """Face vertices (N, F, 3, 3) float32 and the image size of a case."""
    import torch

    sys.path.insert(0, os.path.join(REPO, "tests", "renderer"))
    from scene_factories import mesh_scene

    generator = torch.Generator().manual_seed(0)
    if case == "quick-train":
        from softrecon.geometry import icosphere

        vertices, faces = icosphere(3)
        return mesh_scene(vertices, faces, 32, generator, dtype=torch.float32)[0], 32
    from softrecon.io import load_mesh
    from softrecon.io.normalize import normalize_to_unit_box

    mesh = load_mesh(os.path.join(REPO, "softrecon", "assets", "meshes", "cow", "cow.obj"), dtype=torch.float64)
    vertices = 2 * normalize_to_unit_box(mesh.vertices[0])  # |v| <= 1, as mesh_scene expects
    return mesh_scene(vertices, mesh.faces[0], 1, generator, dtype=torch.float32)[0], 64


def worker(case: str, renderer: str, repeats: int, threads: int) -> dict:
    """Time one (case, renderer) in this process: {'forward': [s], 'both': [s]}."""
    import torch

    from softrecon.renderer import NmrSettings, RasterSettings, soft_rasterize

    torch.set_num_threads(threads)
    face_vertices, size = _scene(case)
    if renderer == "nmr":
        settings = NmrSettings(image_size=size)
    else:
        settings = RasterSettings(image_size=size, sigma=4e-4, dist_eps=1e-10, aggr_alpha="prod")
    vertices = face_vertices.clone().requires_grad_(True)
    forward, both = [], []
    for k in range(repeats + 1):  # the first is a warm-up
        start = time.perf_counter()
        image = soft_rasterize(vertices, None, settings, backend="cpu")
        middle = time.perf_counter()
        image[:, -1].sum().backward()
        end = time.perf_counter()
        vertices.grad = None
        if k:
            forward.append(middle - start)
            both.append(end - start)
    import softrecon

    return {"forward": forward, "both": both, "package": os.path.dirname(softrecon.__file__)}


def _run_worker(build: str, case: str, renderer: str, repeats: int, threads: int) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", case, renderer]
    cmd += ["--repeats", str(repeats), "--threads", str(threads)]
    env = dict(os.environ, PYTHONPATH=build)
    out = subprocess.run(cmd, env=env, cwd=build, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if os.path.dirname(result["package"]) != build:
        raise RuntimeError(f"--build {build}: the worker imported softrecon from {result['package']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds, builds alternating (default 3)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions a round (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES, help="default: all")
    parser.add_argument(
        "--build", action="append", default=None, help="a checkout to time (repeatable; default: this one)"
    )
    parser.add_argument("--worker", nargs=2, metavar=("CASE", "RENDERER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rounds < 1 or args.repeats < 1 or args.threads < 1:
        parser.error("--rounds, --repeats and --threads must be at least 1")
    if args.worker:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(worker(args.worker[0], args.worker[1], args.repeats, args.threads)))
        return
    builds = [os.path.abspath(b) for b in (args.build or [REPO])]
    for build in builds:
        if not os.path.isdir(os.path.join(build, "softrecon")):
            parser.error(f"--build {build}: no softrecon package there")
    rounds = {}  # (build, case, renderer) -> {'forward': [medians], 'both': [medians]}
    for _ in range(args.rounds):
        for case in args.cases:
            for renderer in RENDERERS:
                for build in builds:
                    times = _run_worker(build, case, renderer, args.repeats, args.threads)
                    entry = rounds.setdefault((build, case, renderer), {"forward": [], "both": [], "all": {}})
                    for key in ("forward", "both"):
                        entry[key].append(statistics.median(times[key]))
                        entry["all"].setdefault(key, []).extend(times[key])
    print(f"{args.rounds} rounds x {args.repeats} repetitions, {args.threads} thread(s); ms, median [min]")
    print("| build | case | renderer | forward | forward + backward | fwd+bwd / soft | fwd+bwd / first build |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for case in args.cases:
        for renderer in RENDERERS:
            for build in builds:
                entry = rounds[(build, case, renderer)]
                both = statistics.median(entry["both"])
                soft = statistics.median(rounds[(build, case, "soft")]["both"])
                first = statistics.median(rounds[(builds[0], case, renderer)]["both"])
                print(
                    f"| {os.path.basename(build)} | {case} | {renderer} "
                    f"| {1e3 * statistics.median(entry['forward']):.1f} [{1e3 * min(entry['all']['forward']):.1f}] "
                    f"| {1e3 * both:.1f} [{1e3 * min(entry['all']['both']):.1f}] "
                    f"| {both / soft:.2f} | {both / first:.2f} |"
                )


if __name__ == "__main__":
    main()
