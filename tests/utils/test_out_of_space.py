"""A full disk gives a named error and leaves nothing behind (docs/PROMISES.md).

The disk is "filled" by a file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored, so a
write past it fails with EFBIG) in a child process: no root, no tmpfs. Before the fix
the HDF5 case died with SIGSEGV (as on a really full disk, reproduced on a 2 MB tmpfs)
and the checkpoint case raised torch's bare "[enforce fail at inline_container.cc]".
"""

import json
import os
import resource
import signal
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIMIT_BYTES = 300_000  # each write below needs more

CHILD = r"""
import json, os, sys
import numpy as np, torch
from softrecon.dataset_builders import write_split
from softrecon.training import save_checkpoint
try:
    from softrecon.utils.atomic import OutOfSpaceError
except ImportError:  # the code before the fix: any error
    OutOfSpaceError = Exception

folder = sys.argv[1]
rng = np.random.default_rng(0)
images = rng.integers(0, 256, (20, 24, 4, 32, 32), dtype=np.uint8)  # 2 MB, incompressible
voxels = rng.random((20, 32, 32, 32)) > 0.5
results = {}
for name, write in (
    ("hdf5", lambda: write_split(folder, "c0", "train", images, voxels, formats=("hdf5",))),
    ("npz", lambda: write_split(folder, "c0", "train", images, voxels, formats=("npz",))),
    ("checkpoint", lambda: save_checkpoint(os.path.join(folder, "checkpoints"), 2, {"model": {"w": torch.randn(10 ** 6)}}, keep=1)),
):
    try:
        write()
        results[name] = "written"
    except OutOfSpaceError as error:
        results[name] = str(error)
print(json.dumps(results))
"""


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT_BYTES, LIMIT_BYTES))


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_out_of_space_names_the_file_and_leaves_nothing_behind(tmp_path):
    import torch

    from softrecon.training import save_checkpoint

    earlier = save_checkpoint(str(tmp_path / "checkpoints"), 1, {"model": {"w": torch.ones(3)}}, keep=1)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=REPO),
        preexec_fn=_limit_file_size,
        timeout=300,
    )
    assert child.returncode == 0, f"exit status {child.returncode}:\n{child.stderr[-2000:]}"
    results = json.loads(child.stdout.strip().splitlines()[-1])
    for name, final in (("hdf5", "c0_train.h5"), ("npz", "c0_train_images.npz"), ("checkpoint", "step_000000002.pt")):
        assert "File too large while writing" in results[name] and final in results[name], (name, results[name])
    leftover = sorted(os.listdir(tmp_path)) + sorted(os.listdir(tmp_path / "checkpoints"))
    assert leftover == ["checkpoints", "last.pt", "step_000000001.pt"]  # no partial or temporary file
    assert torch.load(os.path.join(str(tmp_path / "checkpoints"), "last.pt"), weights_only=True)["iteration"] == 1
    assert os.path.isfile(earlier)
