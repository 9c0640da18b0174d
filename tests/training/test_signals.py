"""SIGTERM / SIGUSR1 (what SLURM and Kubernetes send before a kill): training writes a
checkpoint of the current iteration at the next boundary and exits; resuming from it
ends with the bits of an uninterrupted run. Under SLURM a time-limit signal requeues the
job (here against a stand-in ``scontrol`` that records its arguments)."""

import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest
from repo_files import load_repo_file
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.runtime.distributed import first_host, launch_environment
from softrecon.runtime.signals import Interrupted, StopRequest, hand_over, slurm_job_id
from softrecon.training import Trainer, list_checkpoints, train

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOTAL = 7


def _compare_runs():
    return load_repo_file("scripts/compare_runs.py")


def _overrides(dataset, folder, **extra):
    logged = {"logging": "default", "logging.progress": "false", "trainer.log_every": 1, "trainer.checkpoint_every": 5}
    logged["trainer.keep_checkpoints"] = 1  # the stop's extra checkpoint is gone by the end
    logged.update(extra)
    return tiny_overrides(dataset, str(folder), iterations=TOTAL, **logged)


def _signal_during(trainer, iteration, signum):
    """Make the step at ``iteration`` receive ``signum`` (as from outside, mid-step)."""
    step = trainer.loop.step

    def step_and_signal():
        if trainer.loop.iteration == iteration:
            signal.raise_signal(signum)
        return step()

    trainer.loop.step = step_and_signal


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGUSR1])
def test_a_signal_checkpoints_the_current_iteration_and_the_resume_is_bit_exact(tiny_dataset, tmp_path, signum):
    straight = tmp_path / "straight"
    Trainer(compose_config("train", _overrides(tiny_dataset, straight))).fit()

    interrupted = tmp_path / "interrupted"
    trainer = Trainer(compose_config("train", _overrides(tiny_dataset, interrupted)))
    _signal_during(trainer, 2, signum)
    handler = signal.getsignal(signum)
    trainer.fit()
    # The step that got the signal finished; the loop stopped after it, with its checkpoint.
    assert trainer.stopped_by == signum and trainer.iteration == 3
    assert [os.path.basename(p) for p in list_checkpoints(str(interrupted / "checkpoints"))] == ["step_000000003.pt"]
    assert trainer.stop_checkpoint.endswith("step_000000003.pt")
    assert signal.getsignal(signum) is handler  # the previous handler is back

    Trainer(compose_config("train", _overrides(tiny_dataset, interrupted, resume="true"))).fit()
    # Equal: the last checkpoint's tensors, RNG and sampler, every scalar (the step logged
    # just before the stop is kept, later ones of the interrupted run are dropped).
    ignored = ["paths.run_dir", "paths.log_dir", "resume"]
    assert _compare_runs().main([str(straight), str(interrupted), "--ignore-config", *ignored]) == 0


def test_train_exits_with_128_plus_the_signal_after_its_checkpoint(tiny_dataset, tmp_path, monkeypatch):
    import softrecon.training.trainer as trainer_module

    real = trainer_module.Trainer

    class SignalledTrainer(real):
        def __init__(self, cfg):
            super().__init__(cfg)
            _signal_during(self, 1, signal.SIGTERM)

    monkeypatch.setattr(trainer_module, "Trainer", SignalledTrainer)
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    with pytest.raises(Interrupted) as caught:
        train(compose_config("train", _overrides(tiny_dataset, tmp_path / "run")))
    assert caught.value.code == 128 + signal.SIGTERM and "step_000000002.pt" in caught.value.message


def test_hand_over_calls_the_previous_python_handler_or_requeues_under_slurm(monkeypatch):
    calls = []
    request = StopRequest(signals=(signal.SIGUSR2,))
    previous = signal.signal(signal.SIGUSR2, lambda signum, frame: calls.append(("submitit", signum)))
    try:
        with request:
            pass
        hand_over(request, signal.SIGUSR2, True, "saved")
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert calls == [("submitit", signal.SIGUSR2)]

    import softrecon.runtime.signals as signals

    monkeypatch.setattr(signals, "requeue_slurm_job", lambda job: calls.append(("requeue", job)) or True)
    monkeypatch.setenv("SLURM_JOB_ID", "77")
    request = StopRequest(signals=(signal.SIGUSR1, signal.SIGTERM))
    with request:
        pass
    assert "requeued" in hand_over(request, signal.SIGUSR1, True, "saved").message
    hand_over(request, signal.SIGUSR1, False, "saved")  # other ranks never requeue
    hand_over(request, signal.SIGTERM, True, "saved")  # SIGTERM: the scheduler decides
    assert calls[1:] == [("requeue", "77")]


def test_slurm_job_ids_and_the_srun_environment():
    assert slurm_job_id({"SLURM_JOB_ID": "12", "SLURM_ARRAY_JOB_ID": "10", "SLURM_ARRAY_TASK_ID": "2"}) == "10_2"
    assert slurm_job_id({}) is None
    assert first_host("gpu[07-09,12],cpu1") == "gpu07" and first_host("node3") == "node3"
    assert first_host("a-b[001,003]") == "a-b001"
    with pytest.raises(ValueError, match="node list"):
        first_host("")
    step = {
        "SLURM_JOB_ID": "1234",
        "SLURM_PROCID": "3",
        "SLURM_STEP_NUM_TASKS": "4",
        "SLURM_LOCALID": "1",
        "SLURM_STEP_NODELIST": "n[5-6]",
    }
    assert launch_environment(step) == {
        "RANK": "3",
        "WORLD_SIZE": "4",
        "LOCAL_RANK": "1",
        "MASTER_ADDR": "n5",
        "MASTER_PORT": str(15000 + 1234),
    }
    # The batch script itself (no step) is one process whatever --ntasks says.
    batch = {"SLURM_JOB_ID": "1", "SLURM_PROCID": "0", "SLURM_NTASKS": "4"}
    assert launch_environment(batch)["WORLD_SIZE"] == "1"
    # torchrun inside a SLURM job wins.
    assert launch_environment(dict(step, RANK="0", WORLD_SIZE="2"))["WORLD_SIZE"] == "2"


def test_a_real_sigusr1_from_outside_checkpoints_and_requeues_the_slurm_job(tiny_dataset, tmp_path):
    """The whole path in a process of its own: the time-limit signal, the checkpoint of
    that iteration, ``scontrol requeue <job>`` (a stand-in here), exit status 138."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "scontrol.args"
    (bin_dir / "scontrol").write_text(f'#!/bin/sh\necho "$@" > {record}\n')
    (bin_dir / "scontrol").chmod(0o755)
    env = dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        PYTHONPATH=str(ROOT),
        OMP_NUM_THREADS="1",
        SLURM_JOB_ID="4242",
    )
    run_dir = tmp_path / "run"
    args = tiny_overrides(tiny_dataset, str(run_dir), iterations=100000, **{"trainer.checkpoint_every": 1000})
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "train.py"), *args], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.time() + 120
        while not (run_dir / "config.yaml").exists():  # written when the loop starts
            assert process.poll() is None and time.time() < deadline, process.stderr.read()[-3000:]
            time.sleep(0.2)
        time.sleep(1.0)
        process.send_signal(signal.SIGUSR1)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGUSR1, err[-3000:]
    assert record.read_text().split() == ["requeue", "4242"]
    saved = list_checkpoints(str(run_dir / "checkpoints"))
    assert len(saved) == 1 and f"{os.path.basename(saved[0])}" in err and "SLURM job 4242 requeued" in err
