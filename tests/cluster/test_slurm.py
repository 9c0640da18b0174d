"""Against a real SLURM (``bash scripts/slurm_local.sh start``; skipped when none answers):
a Hydra sweep through the SLURM launcher, a training job requeued mid-run that ends
bit-equal to an uninterrupted run, ``reproduce.py --launcher slurm`` with a failing row,
and a two-task ``srun`` DDP run with gloo. Run with ``pytest -m slurm`` (minutes)."""

import glob
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest
import tiny_runs
import torch
from repo_files import load_repo_file

from softrecon.cluster import read_states
from softrecon.dataset_builders.synthetic import MARKER_NAME, SyntheticConfig

pytestmark = pytest.mark.slurm

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _slurm_up() -> bool:
    if shutil.which("sinfo") is None:
        return False
    try:
        return subprocess.run(["sinfo", "-h"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


if not _slurm_up():
    pytest.skip("no SLURM answers (start one: bash scripts/slurm_local.sh start)", allow_module_level=True)


compare_runs = load_repo_file("scripts/compare_runs.py")
ENV = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    return tiny_runs.write_tiny_dataset(root)


def _train_overrides(dataset, iterations, **extra):
    logged = {"logging": "default", "logging.progress": "false", "trainer.log_every": 10}
    logged.update({"trainer.checkpoint_every": 1000, "trainer.keep_checkpoints": 1}, **extra)
    overrides = tiny_runs.tiny_overrides(dataset, "X", iterations, **logged)
    return [o for o in overrides if not o.startswith("paths.run_dir=")]


def _job_state(job):
    return read_states([job]).get(job)


def _wait_job(job, timeout=300):
    """Wait until ``job`` left the queue; a requeued job is made eligible at once (SLURM
    holds a requeued job back for a while)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = _job_state(job)
        if state is not None and not state.active:
            return state
        if state is not None and state.state == "PENDING" and state.reason == "BeginTime":
            subprocess.run(["scontrol", "update", f"JobId={job}", "StartTime=now"], capture_output=True)
        time.sleep(1)
    subprocess.run(["scancel", job])
    raise AssertionError(f"job {job} did not finish in {timeout} s")


def test_a_hydra_sweep_of_two_runs_through_the_slurm_launcher(tiny, tmp_path):
    launcher = ["hydra/launcher=slurm", "hydra.launcher.gpus_per_node=null", "hydra.launcher.mem_gb=null"]
    launcher += ["hydra.launcher.cpus_per_task=1", "hydra.launcher.timeout_min=10", f"paths.log_dir={tmp_path}"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), "-m", *launcher, *_train_overrides(tiny, 3), "trainer.seed=0,1"],
        env=ENV,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # Both jobs in the one sweep folder the launcher made (its cached launch id).
    sweeps = glob.glob(str(tmp_path / "train" / "multiruns" / "*"))
    assert len(sweeps) == 1, sweeps
    for num, seed in ((0, 0), (1, 1)):
        state = torch.load(os.path.join(sweeps[0], str(num), "checkpoints", "last.pt"), weights_only=True)
        assert state["iteration"] == 3 and state["config"]["trainer"]["seed"] == seed


def test_a_job_requeued_mid_run_resumes_and_ends_bit_equal_to_an_uninterrupted_run(tiny, tmp_path):
    # Long enough that the requeue, sent half a second after the loop starts, always
    # lands mid-run (200 iterations of the tiny model take 2 s on an idle 2-core CPU).
    iterations = 1500
    overrides = _train_overrides(tiny, iterations)
    straight = tmp_path / "straight"
    done = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), *overrides, f"paths.run_dir={straight}"],
        env=ENV,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    # The shipped template, its GPU and memory lines dropped (this node has neither).
    template = (ROOT / "scripts" / "slurm" / "train_ddp.sbatch").read_text().splitlines()
    keep = [line for line in template if not line.startswith(("#SBATCH --gpus", "#SBATCH --mem"))]
    keep = [
        line.replace("--ntasks-per-node=4", "--ntasks-per-node=1").replace("--cpus-per-task=8", "--cpus-per-task=1")
        for line in keep
    ]
    script = tmp_path / "train.sbatch"
    script.write_text("\n".join(keep) + "\n")
    run_dir, log = tmp_path / "requeued", tmp_path / "job.log"
    env = dict(ENV, RUN_DIR=str(run_dir), PYTHON=sys.executable, SOFTRECON_DIR=str(ROOT))
    job = subprocess.run(
        ["sbatch", "--parsable", f"--output={log}", str(script), *overrides],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    try:
        deadline = time.time() + 120
        while not (run_dir / "config.yaml").exists():  # the loop has started
            assert time.time() < deadline, log.read_text() if log.exists() else "no log"
            time.sleep(0.2)
        time.sleep(0.5)
        subprocess.run(["scontrol", "requeue", job], check=True)
        final = _wait_job(job)
    finally:
        subprocess.run(["scancel", job], capture_output=True)
    text = log.read_text()
    assert final.state == "COMPLETED" and final.restarts == 1, (final, text[-3000:])
    assert "stopped by SIGTERM: checkpoint of iteration" in text and "resuming from" in text, text[-3000:]
    stopped_at = int(text.split("stopped by SIGTERM: checkpoint of iteration ")[1].split()[0])
    assert 0 < stopped_at < iterations
    ignored = ["paths.run_dir", "paths.log_dir", "resume", "hydra"]
    assert compare_runs.main([str(straight), str(run_dir), "--ignore-config", *ignored]) == 0


def test_reproduce_on_slurm_with_a_failing_row_status_and_collect(tiny, tmp_path):
    data_dir = tmp_path / "data"
    synthetic = data_dir / "generated" / "synthetic"  # the tiny dataset stands in for the synthetic one
    shutil.copytree(tiny, synthetic)
    (synthetic / MARKER_NAME).write_text(json.dumps({"config": SyntheticConfig().to_json()}))
    out = tmp_path / "tables"
    table_dir = out / "ablation" / "synthetic-quick"
    tiny_model = _train_overrides(str(synthetic), 3)
    tiny_model = [o for o in tiny_model if not o.startswith(("data.root=", "data.synthetic=", "logging"))]
    args = ["--table", "ablation", "--rows", "baseline,no_flatten", "--data-dir", str(data_dir), "--out", str(out)]
    args += ["--seeds", "0"] + [f"--override={o}" for o in tiny_model] + ["--poll", "1"]
    args += ["--slurm", "gpus_per_node=null", "--slurm", "mem_gb=null", "--slurm", "cpus_per_task=1"]
    # no_flatten is made to fail inside its job: its folder passes every check made before
    # submitting (its config.yaml is the one its row composes to), but the checkpoint it
    # resumes from is damaged, so its training stops with an error naming the file.
    from omegaconf import OmegaConf

    from softrecon.cli import reproduce as reproduce_command
    from softrecon.config import compose_config
    from softrecon.experiments import catalogue

    parsed = reproduce_command.parse_args(args)
    row = next(r for r in catalogue.get_table("ablation").rows if r.name == "no_flatten")
    row_dir = table_dir / "no_flatten"
    (row_dir / "checkpoints").mkdir(parents=True)
    (row_dir / "checkpoints" / "step_000000001.pt").write_bytes(b"not a checkpoint")
    overrides = [*reproduce_command._row_overrides(row, 0, parsed), *reproduce_command._data_dir(parsed)]
    composed = compose_config("train", [*overrides, f"paths.run_dir={row_dir}"])
    OmegaConf.save(composed, row_dir / "config.yaml", resolve=True)

    def reproduce(*more):
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "reproduce.py"), *args, *more],
            env=ENV,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    submitted = reproduce("--launcher", "slurm")
    assert "baseline                 submitted as SLURM job" in submitted and "2 job(s) submitted" in submitted
    # A run whose job is queued or running is not submitted twice (a failed one is: resubmitting is how it is retried).
    again = reproduce("--launcher", "slurm")
    assert "baseline                 submitted" not in again
    assert "baseline                 still queued or running" in again or "baseline                 done" in again
    waited = reproduce("--launcher", "slurm", "--wait")  # waits, then writes the table
    status = reproduce("--status")
    print(status)
    assert "baseline                 done" in status
    assert "no_flatten               failed" in status and "step_000000001.pt" in status
    table = (table_dir / "table.md").read_text()
    assert "| no_flatten |  |  |  | failed:" in table and "| baseline |" in table and "| done |" in table, waited
    collected = reproduce("--collect")
    assert "| no_flatten |  |  |  | failed:" in collected


def test_srun_two_task_ddp_with_gloo_matches_one_rank_of_the_same_global_batch(tiny, tmp_path):
    iterations = 40
    overrides = _train_overrides(tiny, iterations, **{"data.batch_size": 4, "trainer.log_every": 1})
    runs = {}
    for tasks in (1, 2):
        run_dir = tmp_path / f"ranks{tasks}"
        command = ["srun", f"--ntasks={tasks}", "--cpus-per-task=1", "--time=10", "--job-name=softrecon-ddp-test"]
        command += [sys.executable, str(ROOT / "train.py"), *overrides, f"paths.run_dir={run_dir}"]
        command += [f"hydra.run.dir={tmp_path}/hydra{tasks}"]
        done = subprocess.run(command, env=ENV, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
        assert state["iteration"] == iterations and state["world_size"] == tasks
        scalars, _ = compare_runs._events(str(run_dir))
        runs[tasks] = [value for _, value in scalars["loss/iou"]]
    # Each rank draws from its own shard of the objects, so the batches differ from the
    # one-rank run's: the curves agree statistically, not bit for bit. Measured on the
    # tiny dataset: the mean IoU loss of the last 20 iterations differs by a few percent.
    one, two = (sum(runs[t][-20:]) / 20 for t in (1, 2))
    print(f"mean IoU loss of the last 20 iterations: 1 rank {one:.4f}, 2 ranks {two:.4f}")
    assert abs(one - two) / one < 0.15, (one, two)
