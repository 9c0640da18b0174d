"""Benchmark of the batched voxelizer against ``voxelize`` (NumPy, one mesh at a time).

    python benchmarks/bench_voxelize.py [--meshes 256] [--resolution 32] [--threads 2] [--repeats 5]
    python benchmarks/bench_voxelize.py --checkpoint <run>/checkpoints/last.pt   # a trained model's predictions

Load: a batch of predicted meshes as the reconstruction model outputs them (the paper's
decoder on its 642-vertex, 1280-face icosphere template, random weights and latents,
deterministic: crumpled, self-intersecting shapes, harder than trained predictions), or
with --checkpoint a trained model's predictions on the first validation views; voxelized
at 32^3 with the flood fill (what evaluation does).

Rows: ``voxelize`` mesh by mesh (today's evaluation; timed on --baseline-meshes of the
batch, the cost is per mesh), ``voxelize_batch`` with the Numba kernel on the whole
batch, the torch path on the CPU (the GPU's path, slow on a CPU: timed on the
baseline's meshes) and the torch path on the GPU on the whole batch where one exists. Median and min of
--repeats rounds, per mesh, and the speed-up against ``voxelize`` measured in the same run.
Every row's cells are checked against ``voxelize`` before timing (the table says so).
The rows are timed in rounds (each row once per round), so on a shared machine every
row sees the same load; the speed-up is the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from softrecon.geometry import icosphere  # noqa: E402
from softrecon.models.decoder import TemplateDecoder  # noqa: E402
from softrecon.voxel import voxelize, voxelize_batch  # noqa: E402

# Seed of the decoder weights and latents.
SEED = 0
# Latent size and hidden layer of the stand-in decoder (the meshes' shape statistics come
# from the template and the output activations, not from these).
LATENT = 64
HIDDEN = 256
# Template level of the paper's model (642 vertices, 1280 faces).
TEMPLATE_LEVEL = 3


def predicted_meshes(count: int):
    """(count, 642, 3) float32 vertices and (1280, 3) faces, as the decoder outputs them."""
    torch.manual_seed(SEED)
    vertices, faces = icosphere(TEMPLATE_LEVEL, dtype=torch.float32)
    decoder = TemplateDecoder(LATENT, vertices, faces, [HIDDEN])
    with torch.no_grad():
        return decoder(torch.randn(count, LATENT)), faces


def checkpoint_meshes(path: str, count: int, data_root: str):
    """A trained model's predictions: (count, V, 3) vertices from the first ``count``
    views (object by object) of its data's validation split, and its (F, 3) faces."""
    from softrecon.datasets import iterate_views
    from softrecon.datasets.open import checkpoint_dataset
    from softrecon.evaluation import load_model, reconstruct
    from softrecon.rundir.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(path, map_location="cpu")
    model = load_model(checkpoint, torch.device("cpu"))
    images, _, _ = next(iterate_views(checkpoint_dataset(checkpoint, data_root=data_root), count))
    return reconstruct(model, images, int(checkpoint["config"]["model"]["image_size"])), model.faces


def _interleaved(fns, repeats: int, syncs):
    """Times every function once per round, ``repeats`` rounds (after one warm-up round,
    which compiles the Numba kernel on a first run), so that all rows see the same load
    of a shared machine. Returns per function the list of seconds."""
    for fn, sync in zip(fns, syncs):
        fn()
        sync()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for k, (fn, sync) in enumerate(zip(fns, syncs)):
            start = time.perf_counter()
            fn()
            sync()
            times[k].append(time.perf_counter() - start)
    return times


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meshes", type=int, default=256, help="batch size (default 256)")
    parser.add_argument("--resolution", type=int, default=32, help="voxels per axis (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for torch and the Numba kernel (default 2)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per row (default 5)")
    parser.add_argument(
        "--baseline-meshes", type=int, default=32, help="meshes voxelize is timed on per run (default 32)"
    )
    parser.add_argument(
        "--checkpoint", default="", help="use this trained checkpoint's predictions on its validation images instead"
    )
    parser.add_argument(
        "--data-root", default="", help="with --checkpoint: its dataset folder, if not where the run stored it"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.checkpoint:
        vertices, faces = checkpoint_meshes(args.checkpoint, args.meshes, args.data_root)
    else:
        vertices, faces = predicted_meshes(args.meshes)
    resolution = args.resolution
    subset = vertices[: args.baseline_meshes].double().numpy()
    face_array = faces.numpy()

    reference = np.stack([voxelize(v, face_array, resolution) for v in vertices.double().numpy()])
    # (name, device, backend, meshes): the torch path on the CPU (the GPU's path, slow
    # there) is timed on the baseline's subset only.
    runs = [
        ("voxelize_batch numba", "cpu", "numba", args.meshes),
        ("voxelize_batch torch", "cpu", "torch", len(subset)),
    ]
    if torch.cuda.is_available():
        runs.append(("voxelize_batch torch", "cuda", "torch", args.meshes))
    names = [f"voxelize (NumPy, mesh by mesh; {len(subset)} meshes)"]
    fns, syncs, counts, devices, cells = (
        [lambda: [voxelize(v, face_array, resolution) for v in subset]],
        [lambda: None],
        [len(subset)],
        ["cpu"],
        ["reference"],
    )
    for name, device, backend, count in runs:
        x, f = vertices[:count].to(device), faces.to(device)
        same = np.array_equal(voxelize_batch(x, f, resolution, backend=backend).cpu().numpy(), reference[:count])
        names.append(f"{name} ({count} meshes)")
        fns.append(lambda x=x, f=f, backend=backend: voxelize_batch(x, f, resolution, backend=backend))
        syncs.append(torch.cuda.synchronize if device == "cuda" else (lambda: None))
        counts.append(count)
        devices.append(device)
        cells.append("identical" if same else "DIFFERENT")
    times = _interleaved(fns, args.repeats, syncs)
    per_mesh = [[t / count for t in row] for row, count in zip(times, counts)]
    rows = []
    for k in range(len(fns)):
        ratios = [base / own for base, own in zip(per_mesh[0], per_mesh[k])]  # same round: same load
        rows.append(
            (
                names[k],
                devices[k],
                statistics.median(per_mesh[k]),
                min(per_mesh[k]),
                statistics.median(ratios),
                cells[k],
            )
        )

    source = f"predictions of {args.checkpoint}" if args.checkpoint else "random-weight decoder outputs"
    print(
        f"voxelizer: {len(vertices)} predicted meshes ({source}; {vertices.shape[1]} vertices, {len(faces)} faces), {resolution}^3, flood fill, "
        f"{args.threads} CPU threads, {args.repeats} rounds"
    )
    print(
        "| implementation | device | median ms / mesh | min ms / mesh | speed-up vs voxelize (median of the rounds' ratios) | cells vs voxelize |"
    )
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for name, device, median, best, ratio, same in rows:
        print(f"| {name} | {device} | {median * 1e3:.3f} | {best * 1e3:.3f} | {ratio:.1f}x | {same} |")


if __name__ == "__main__":
    main()
