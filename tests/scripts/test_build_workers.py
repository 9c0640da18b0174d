"""A dataset build with several workers never waits forever for a worker that died (the
out-of-memory killer's SIGKILL): the object it was building is retried alone, then
skipped and named, and every other object is built."""

import json
import os
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT_S = 240  # the build takes well under a minute; before the fix it hung for good

PRODUCER = """
import os, signal
from softrecon.dataset_builders import ObjectRecord
from softrecon.dataset_builders.primitives import box

def produce(task):
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

tasks = [BuildTask("c0", "train", name) for name in ("a", "oom", "b", "c")]
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
        [sys.executable, "-c", BUILD, str(tmp_path), str(tmp_path / "out"), str(tmp_path / "work")],
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
