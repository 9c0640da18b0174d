"""Do two training run folders hold the same training? For refactors that must not change
behaviour: ``python scripts/compare_runs.py <run A> <run B>``.

Compared exactly (bit for bit): every checkpoint's tensors (model, optimizer state), its
sampler position, RNG states and iteration; every TensorBoard scalar (except the
``perf/*`` timings) and image; every mesh file. The stored configs are compared after
``softrecon.config.legacy.upgrade_stored_config`` (keys that moved between versions),
ignoring the keys listed with ``--ignore-config`` (by default the run folder paths).

Prints one line per difference and a summary; exit status 0 when equal, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from softrecon.config.legacy import upgrade_stored_config  # noqa: E402
from softrecon.rundir.checkpoint import CHECKPOINT_DIR  # noqa: E402
from softrecon.rundir.logger import MESH_DIR, TENSORBOARD_DIR  # noqa: E402

TIMING_PREFIX = "perf/"  # wall-clock scalars: differ between any two runs


def _equal(a, b, where: str, out: list) -> None:
    """Append to ``out`` a line for each place where nested a and b differ."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        same = (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and torch.equal(a, b)
        )
        if not same:
            out.append(f"{where}: tensors differ")
    elif isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                out.append(f"{where}.{key}: only in {'B' if key not in a else 'A'}")
            else:
                _equal(a[key], b[key], f"{where}.{key}", out)
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b)):
            _equal(x, y, f"{where}[{index}]", out)
    elif a != b:
        out.append(f"{where}: {a!r} != {b!r}")


def _drop(config: dict, dotted_keys) -> dict:
    """``config`` without the given dotted keys (in place)."""
    for dotted in dotted_keys:
        node = config
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(parts[-1], None)
    return config


def compare_checkpoints(run_a: str, run_b: str, ignore_config, out: list) -> int:
    files_a = sorted(os.listdir(os.path.join(run_a, CHECKPOINT_DIR)))
    files_b = sorted(os.listdir(os.path.join(run_b, CHECKPOINT_DIR)))
    if files_a != files_b:
        out.append(f"checkpoint files differ: {files_a} vs {files_b}")
    compared = 0
    for name in sorted(set(files_a) & set(files_b)):
        if not name.endswith(".pt"):
            continue
        a = torch.load(os.path.join(run_a, CHECKPOINT_DIR, name), weights_only=True)
        b = torch.load(os.path.join(run_b, CHECKPOINT_DIR, name), weights_only=True)
        config_a = _drop(upgrade_stored_config(a.pop("config", {})), ignore_config)
        config_b = _drop(upgrade_stored_config(b.pop("config", {})), ignore_config)
        _equal(a, b, name, out)
        _equal(config_a, config_b, f"{name}:config", out)
        compared += 1
    return compared


def _events(run: str):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(os.path.join(run, TENSORBOARD_DIR), size_guidance={"scalars": 0, "images": 0})
    accumulator.Reload()
    scalars = {
        tag: [(event.step, event.value) for event in accumulator.Scalars(tag)]
        for tag in accumulator.Tags()["scalars"]
        if not tag.startswith(TIMING_PREFIX)
    }
    images = {
        tag: [(event.step, event.encoded_image_string) for event in accumulator.Images(tag)]
        for tag in accumulator.Tags()["images"]
    }
    return scalars, images


def compare_events(run_a: str, run_b: str, out: list) -> tuple:
    scalars_a, images_a = _events(run_a)
    scalars_b, images_b = _events(run_b)
    _equal(scalars_a, scalars_b, "scalars", out)
    _equal(images_a, images_b, "images", out)
    return sum(len(v) for v in scalars_a.values()), sum(len(v) for v in images_a.values())


def compare_meshes(run_a: str, run_b: str, out: list) -> int:
    def files(run):
        root = os.path.join(run, MESH_DIR)
        found = {}
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    found[os.path.relpath(path, root)] = handle.read()
        return found

    a, b = files(run_a), files(run_b)
    if sorted(a) != sorted(b):
        out.append(f"mesh files differ: {sorted(set(a) ^ set(b))}")
    for name in sorted(set(a) & set(b)):
        if a[name] != b[name]:
            out.append(f"meshes/{name}: contents differ")
    return len(a)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_a", help="a run folder (holds checkpoints/, tensorboard/, meshes/)")
    parser.add_argument("run_b", help="the run folder to compare it with")
    parser.add_argument(
        "--ignore-config",
        nargs="*",
        default=["paths.run_dir", "paths.root_dir", "paths.data_dir", "paths.log_dir"],
        help="dotted keys of the stored config not compared (default: the paths)",
    )
    args = parser.parse_args(argv)
    out: list = []
    checkpoints = compare_checkpoints(args.run_a, args.run_b, args.ignore_config, out)
    scalars, images = compare_events(args.run_a, args.run_b, out)
    meshes = compare_meshes(args.run_a, args.run_b, out)
    for line in out:
        print(line)
    verdict = "EQUAL" if not out else f"{len(out)} DIFFERENCES"
    print(
        f"{verdict}: {checkpoints} checkpoints, {scalars} scalar values (perf/* excluded), {images} images, "
        f"{meshes} mesh files compared"
    )
    return 0 if not out else 1


if __name__ == "__main__":
    sys.exit(main())
