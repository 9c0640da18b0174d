"""A dataset build with several workers never waits forever for a worker that died (the
out-of-memory killer's SIGKILL): the object it was building is retried alone, then
skipped and named, and every other object is built."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT_S = 240  # the build takes well under a minute; before the fix it hung for good

PRODUCER = """
import os, signal
from softrecon.dataset_builders import ObjectRecord
from softrecon.dataset_builders.primitives import box

def produce(task):
    if task.model_id.startswith("busy"):  # a long object: records its worker, then works on
        open(os.path.join(os.path.dirname(__file__), f"worker_{os.getpid()}"), "w").close()
        import time
        time.sleep(600)
    if task.model_id == "oom":  # what the out-of-memory killer does to a worker
        os.kill(os.getpid(), signal.SIGKILL)
    vertices, faces = box((0.0, 0.0, 0.0), (0.4, 0.5, 0.6))
    return ObjectRecord(vertices, faces)
"""

BUILD = """
import json, sys, warnings
sys.path.insert(0, sys.argv[1])
import killing_producer
from softrecon.dataset_builders import BuildOptions, BuildTask, run_build

tasks = [BuildTask("c0", "train", name) for name in sys.argv[4].split(",")]
options = BuildOptions(image_size=8, voxel_resolution=8, formats=("npz",))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    report = run_build(tasks, killing_producer.produce, sys.argv[2], sys.argv[3], options, workers=2, progress=False)
print(json.dumps({
    "counts": {"/".join(k): v for k, v in report.counts.items()},
    "failures": [[t.model_id, reason] for t, reason in report.failures],
    "warnings": [str(w.message) for w in caught],
}))
"""


def test_a_killed_worker_is_detected_and_its_object_skipped_and_named(tmp_path):
    (tmp_path / "killing_producer.py").write_text(textwrap.dedent(PRODUCER))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(tmp_path), str(tmp_path / "out"), str(tmp_path / "work"), "a,oom,b,c"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["counts"] == {"c0/train": 3}
    assert len(result["failures"]) == 1 and result["failures"][0][0] == "oom"
    assert "worker process died" in result["failures"][0][1]
    assert any("worker process died" in w and "oom" in w for w in result["warnings"])
    ids = (tmp_path / "out" / "c0_train_ids.txt").read_text().split()
    assert ids == ["a", "b", "c"]


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (an orphan nobody reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_the_workers_of_a_killed_build_end_with_it(tmp_path):
    """A build killed with SIGKILL (its own OOM, a cluster's kill) leaves no worker behind,
    not even one busy with an object: each notices that its parent is gone."""
    (tmp_path / "killing_producer.py").write_text(textwrap.dedent(PRODUCER))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-c", BUILD, str(tmp_path), str(tmp_path / "out"), str(tmp_path / "work"), "busy1,busy2"]
    build = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while len(workers := [int(p.name[7:]) for p in tmp_path.glob("worker_*")]) < 2:
            assert time.monotonic() < deadline and build.poll() is None, "the workers never started"
            time.sleep(0.5)
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait()
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = [pid for pid in workers if _running(pid)]
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers {left} outlived their build"
