"""One live run per folder, and "the latest checkpoint" is the one written last
(docs/PROMISES.md, "One run per folder")."""

import os
import signal
import subprocess
import sys

import pytest
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.rundir.lock import RunFolderBusy, RunLock
from softrecon.training import Trainer, list_checkpoints, load_checkpoint, resolve_checkpoint

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _config(dataset, run_dir, **extra):
    iterations = extra.pop("iterations", 2)
    return compose_config("train", tiny_overrides(dataset, str(run_dir), iterations=iterations, **extra))


def _names(folder):
    return [os.path.basename(p) for p in list_checkpoints(os.path.join(str(folder), "checkpoints"))]


def test_default_run_folders_of_two_processes_started_in_one_second_differ():
    """Hydra's run folder was named to the second; it now ends with the launching pid."""
    cfg = compose_config("train", return_hydra_config=True)
    assert cfg.hydra.run.dir.endswith(f"_{os.getpid()}")
    ids = {
        subprocess.run(
            [sys.executable, "-c", "from softrecon.config import launch_id; print(launch_id())"],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=REPO),
        ).stdout
        for _ in range(2)
    }
    assert len(ids) == 2


def test_a_second_run_in_a_busy_folder_stops_at_once_naming_the_other(tiny_dataset, tmp_path):
    first = Trainer(_config(tiny_dataset, tmp_path / "run"))
    with pytest.raises(RunFolderBusy, match=rf"{tmp_path / 'run'}.*pid {os.getpid()}"):
        Trainer(_config(tiny_dataset, tmp_path / "run"))
    first.fit()  # releases the folder at the end
    resumed = Trainer(_config(tiny_dataset, tmp_path / "run", resume="true", iterations=3))
    assert resumed.iteration == 2
    resumed.loop.batches.close()
    resumed.lock.release()


def test_the_lock_of_a_killed_run_does_not_block_a_resume(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from softrecon.rundir.lock import RunLock; "
            "lock = RunLock(sys.argv[1]).acquire(); print('locked', flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=REPO),
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunFolderBusy, match=f"pid {holder.pid}"):
            RunLock(str(tmp_path)).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert RunLock(str(tmp_path)).holder()["pid"] == holder.pid  # the stale file is still there...
    with RunLock(str(tmp_path)) as lock:  # ...and does not block
        assert lock.held and lock.holder()["pid"] == os.getpid()


def test_a_fresh_run_into_a_folder_with_checkpoints_is_refused(tiny_dataset, tmp_path):
    Trainer(_config(tiny_dataset, tmp_path / "run")).fit()
    with pytest.raises(ValueError, match="already holds checkpoints.*resume=true"):
        Trainer(_config(tiny_dataset, tmp_path / "run", **{"optim.lr": 3e-4}))
    assert _names(tmp_path / "run") == ["step_000000002.pt"]


def test_branching_from_an_older_checkpoint_makes_the_branch_the_latest(tiny_dataset, tmp_path):
    run = tmp_path / "run"
    Trainer(
        _config(tiny_dataset, run, iterations=6, **{"trainer.checkpoint_every": 2, "trainer.keep_checkpoints": 2})
    ).fit()
    assert _names(run) == ["step_000000004.pt", "step_000000006.pt"]
    step_4 = os.path.join(str(run), "checkpoints", "step_000000004.pt")
    branch = Trainer(
        compose_config(
            "train",
            tiny_overrides(
                tiny_dataset,
                None,
                iterations=5,
                **{
                    "paths.run_dir": "null",
                    "ckpt_path": step_4,
                    "trainer.checkpoint_every": 2,
                    "trainer.keep_checkpoints": 2,
                },
            ),
        )
    )
    assert branch.run_dir == str(run)
    with pytest.warns(UserWarning, match="abandoned trajectory"):
        branch.fit()
    # The branch's checkpoints are kept (step_4 was not rotated out), the old step_6 moved aside, not lost.
    assert _names(run) == ["step_000000004.pt", "step_000000005.pt"]
    superseded = [n for n in os.listdir(os.path.join(str(run), "checkpoints")) if n.startswith("superseded_")]
    assert len(superseded) == 1
    assert os.listdir(os.path.join(str(run), "checkpoints", superseded[0])) == ["step_000000006.pt"]
    latest = resolve_checkpoint(str(run))  # what eval.py ckpt_path=<run> and resume=true use
    assert os.path.basename(latest) == "step_000000005.pt"
    assert load_checkpoint(os.path.join(str(run), "checkpoints", "last.pt"))["iteration"] == 5
    resumed = Trainer(_config(tiny_dataset, run, resume="true", iterations=5))
    assert resumed.iteration == 5 and resumed.resumed_from == latest
    resumed.fit()


def test_run_folder_typos_and_short_iterations_fail_with_a_named_value(tiny_dataset, tmp_path):
    with pytest.raises(ValueError, match=r"paths.run_dir=.*no_such_run.*does not exist.*mkdir -p"):
        Trainer(_config(tiny_dataset, tmp_path / "no_such_run", resume="true"))
    assert not os.path.exists(tmp_path / "no_such_run")
    os.makedirs(tmp_path / "empty")
    with pytest.warns(UserWarning, match="holds no checkpoint yet"):
        Trainer(_config(tiny_dataset, tmp_path / "empty", resume="true")).fit()
    with pytest.raises(
        ValueError, match=r"trainer.iterations=1 is below the iteration of checkpoint .*step_000000002.pt"
    ):
        Trainer(_config(tiny_dataset, tmp_path / "empty", resume="true", iterations=1))
