"""Fault injection (docs/PROMISES.md): training and dataset building are killed (SIGKILL) at
random moments many times and resumed with the same command; every resumed result has
the same bits as an uninterrupted run. Two concurrent runs never share a folder.

Slow (minutes: every restart pays Python's and torch's start-up): run with -m slow.
"""

import contextlib
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from tiny_runs import tiny_overrides

from softrecon.dataset_builders.primitives import box
from softrecon.datasets import MultiViewDataset
from softrecon.io import save_obj

pytestmark = pytest.mark.slow

ROOT = str(pathlib.Path(__file__).resolve().parents[2])
ITERATIONS = 12
KILLS = 6  # per trial: kill, resume, ... until a run finishes
STATE_KEYS = ("model", "optimizer", "rng", "sampler", "iteration")


def _env():
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), OMP_NUM_THREADS="1")


def _start(script, args, cwd):
    return subprocess.Popen(
        [sys.executable, os.path.join(ROOT, script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=cwd,
    )


def _kill_at_random(process, rng, progress, longest_s):
    """SIGKILL ``process`` at a random moment, unless it ends first. Every other kill is
    at a random time from the start (often during start-up); the others wait until
    ``progress()`` changes (a checkpoint or cached object was written), then a random
    fraction of a second more, so kills land inside the work too. True: it was killed."""
    after_progress = rng.random() < 0.5
    start = progress()
    deadline = time.monotonic() + (rng.uniform(0.0, 1.5) if after_progress else rng.uniform(0.5, longest_s))
    waited_for_progress = not after_progress
    while True:
        if process.poll() is not None:
            return False
        if not waited_for_progress and progress() != start:
            waited_for_progress = True
            deadline = time.monotonic() + rng.uniform(0.0, 1.5)
        if waited_for_progress and time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    return True


def _listing(folder):
    """What a folder (recursively) holds, with sizes and times: changes when work is written."""
    found = []
    for current, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                info = os.stat(os.path.join(current, name))
                found.append((current, name, info.st_size, info.st_mtime_ns))
    return sorted(found)


def _same_bits(a, b, where=""):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for key in a:
            _same_bits(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b)):
            _same_bits(x, y, f"{where}[{index}]")
    else:
        assert a == b, where


def _final_state(run_dir):
    state = torch.load(os.path.join(run_dir, "checkpoints", "last.pt"), weights_only=True)
    assert state["iteration"] == ITERATIONS
    return {key: state[key] for key in STATE_KEYS}


def test_training_killed_at_random_resumes_to_the_same_bits(tiny_dataset, tmp_path):
    extra = {"trainer.checkpoint_every": 1, "trainer.keep_checkpoints": 2, "trainer.num_threads": 1}
    reference = str(tmp_path / "reference")
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "train.py"), *tiny_overrides(tiny_dataset, reference, ITERATIONS, **extra)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=str(tmp_path),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    expected = _final_state(reference)
    rng = random.Random(9)
    kills = 0
    for trial in range(2):
        run_dir = str(tmp_path / f"killed_{trial}")
        os.makedirs(run_dir)
        args = tiny_overrides(tiny_dataset, run_dir, ITERATIONS, resume="true", **extra)
        for _ in range(100):
            process = _start("train.py", args, str(tmp_path))
            progress = lambda: _listing(os.path.join(run_dir, "checkpoints"))  # noqa: E731
            if kills < KILLS * (trial + 1) and _kill_at_random(process, rng, progress, longest_s=15.0):
                kills += 1
                continue
            out, err = process.communicate(timeout=600)
            assert process.returncode == 0, err[-3000:]
            break
        _same_bits(_final_state(run_dir), expected, run_dir)
        leftovers = [n for n in os.listdir(os.path.join(run_dir, "checkpoints")) if n.endswith(".tmp")]
        assert leftovers == []
    assert kills >= KILLS  # the kills really happened (not all runs finished first)


def test_two_concurrent_runs_never_share_a_folder(tiny_dataset, tmp_path):
    # Hydra's default folders, started in the same second with different settings.
    logs = str(tmp_path / "outputs")
    runs = [
        _start(
            "train.py",
            tiny_overrides(tiny_dataset, "null", 3, **{"optim.lr": lr, "paths.log_dir": logs}),
            str(tmp_path),
        )
        for lr in ("1e-4", "3e-4")
    ]
    folders = []
    for process in runs:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
        folders.append(out.strip().splitlines()[-1])
    assert folders[0] != folders[1]
    lrs = [
        torch.load(os.path.join(f, "checkpoints", "last.pt"), weights_only=True)["config"]["optim"]["lr"]
        for f in folders
    ]
    assert sorted(lrs) == [1e-4, 3e-4]
    # One shared paths.run_dir: one run gets it, the other stops at once naming the folder.
    shared = str(tmp_path / "shared")
    runs = [
        _start("train.py", tiny_overrides(tiny_dataset, shared, 30, **{"optim.lr": lr}), str(tmp_path))
        for lr in ("1e-4", "3e-4")
    ]
    results = [(p.communicate(timeout=600), p.returncode) for p in runs]
    assert sorted(code == 0 for _, code in results) == [False, True]
    (_, err), _ = next(r for r in results if r[1] != 0)
    assert shared in err and ("in use by another run" in err or "already holds checkpoints" in err), err[-2000:]


def _write_meshes(folder, count):
    rng = np.random.default_rng(0)
    os.makedirs(folder)
    for index in range(count):
        size = rng.uniform(0.2, 0.9, 3)
        save_obj(os.path.join(folder, f"m{index:02d}.obj"), *box(tuple(rng.uniform(-0.2, 0.2, 3)), tuple(size)))


def _dataset_arrays(folder):
    arrays = {}
    for split in ("train", "val"):
        for fmt in ("npz", "hdf5"):
            dataset = MultiViewDataset(folder, ["things"], split, fmt)
            arrays[(split, fmt)] = [
                (dataset.get_object_images_uint8(i), dataset.get_voxels(i).numpy()) for i in range(len(dataset))
            ]
        with open(os.path.join(folder, f"things_{split}_ids.txt")) as handle:
            arrays[(split, "ids")] = handle.read()
    return arrays


def test_dataset_building_killed_at_random_resumes_to_the_same_bits(tmp_path):
    meshes = str(tmp_path / "meshes")
    _write_meshes(meshes, 16)
    common = [
        "--class-id",
        "things",
        "--split-fractions",
        "0.75",
        "0.25",
        "0",
        "--image-size",
        "32",
        "--voxel-resolution",
        "16",
        "--no-progress",
    ]
    reference = str(tmp_path / "reference")
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "build_dataset.py"), meshes, reference, *common],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    expected = _dataset_arrays(reference)
    rng = random.Random(9)
    out = str(tmp_path / "killed")
    kills = 0
    for _ in range(100):
        process = _start(os.path.join("scripts", "build_dataset.py"), [meshes, out, *common], str(tmp_path))
        if kills < KILLS and _kill_at_random(process, rng, lambda: _listing(os.path.join(out, ".work")), longest_s=8.0):
            kills += 1
            continue
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
        if kills < KILLS:  # it finished before its kill: start the build over, to kill it more
            shutil.rmtree(out)
            continue
        break
    assert kills == KILLS
    got = _dataset_arrays(out)
    assert got.keys() == expected.keys()
    for key in expected:
        if key[1] == "ids":
            assert got[key] == expected[key]
        else:
            assert len(got[key]) == len(expected[key])
            for (images, voxels), (ref_images, ref_voxels) in zip(got[key], expected[key]):
                assert np.array_equal(images, ref_images) and np.array_equal(voxels, ref_voxels), key
    for folder, _, names in os.walk(out):
        assert not [n for n in names if n.endswith(".tmp")], folder
