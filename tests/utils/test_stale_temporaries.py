"""Temporary files of killed writers are removed by the next writer; a live writer's
never are (docs/PROMISES.md)."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import torch

from softrecon.dataset_builders import write_split
from softrecon.training import save_checkpoint
from softrecon.utils.atomic import atomic_write, remove_stale_temporaries

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Killed while writing a checkpoint and while writing a dataset split (HDF5 and npz).
CHILD = r"""
import os, sys, time
import numpy as np
from softrecon.dataset_builders.writer import SplitWriter
from softrecon.utils.atomic import atomic_write
checkpoints, data = sys.argv[1], sys.argv[2]
with atomic_write(os.path.join(checkpoints, "step_000000003.pt"), "wb") as handle:
    handle.write(b"x" * 1000)
    writer = SplitWriter(data, "c0", "train", 2, 8, 4)
    writer.append(np.zeros((24, 4, 8, 8), np.uint8), np.zeros((4, 4, 4), bool))
    print("writing", flush=True)
    time.sleep(60)
"""


def _temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def test_temporaries_of_a_killed_writer_are_removed_by_the_next_one(tmp_path):
    checkpoints, data = tmp_path / "checkpoints", tmp_path / "data"
    checkpoints.mkdir(), data.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(checkpoints), str(data)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=REPO),
    )
    try:
        assert child.stdout.readline().strip() == "writing"
        assert len(_temporaries(checkpoints)) == 1 and len(_temporaries(data)) == 3
        assert remove_stale_temporaries(str(data)) == []  # the writer is alive: nothing is touched
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert len(_temporaries(checkpoints)) == 1 and len(_temporaries(data)) == 3  # orphans now
    save_checkpoint(str(checkpoints), 4, {"model": {"w": torch.ones(2)}}, keep=2)
    assert _temporaries(checkpoints) == []
    write_split(str(data), "c1", "val", np.zeros((1, 24, 4, 8, 8), np.uint8), np.zeros((1, 4, 4, 4), bool))
    assert _temporaries(data) == []


def test_only_our_own_stale_temporaries_are_removed(tmp_path):
    with atomic_write(str(tmp_path / "live.json")) as handle:  # ours, writer alive
        foreign = tmp_path / ".notes.tmp"  # not an atomic-write name
        foreign.write_text("keep")
        old_unnamed = tmp_path / ".metrics.json.abcd1234.tmp"  # the older form, no pid: by age
        old_unnamed.write_text("")
        assert remove_stale_temporaries(str(tmp_path)) == []
        os.utime(old_unnamed, (time.time() - 2 * 86400,) * 2)
        assert remove_stale_temporaries(str(tmp_path)) == [str(old_unnamed)]
        handle.write("{}")
    assert sorted(os.listdir(tmp_path)) == [".notes.tmp", "live.json"]
