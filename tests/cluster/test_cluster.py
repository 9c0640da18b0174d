"""softrecon.cluster without a cluster: settings, scontrol parsing, the job callables."""

import os
import signal

import pytest

from softrecon.cluster import ChildSignalledCall, ScriptFunction, load_launcher_settings
from softrecon.cluster.states import parse_scontrol
from softrecon.experiments import cluster_runs

SCONTROL = """JobId=12 ArrayJobId=10 ArrayTaskId=2 JobName=x JobState=RUNNING Reason=None Restarts=1 ExitCode=0:0 RunTime=00:01:02
JobId=10 ArrayJobId=10 ArrayTaskId=3-5%2 JobState=PENDING Reason=Priority Restarts=0 ExitCode=0:0 RunTime=00:00:00
JobId=13 ArrayJobId=10 ArrayTaskId=0 JobState=FAILED Reason=NonZeroExitCode Restarts=0 ExitCode=1:0 RunTime=00:00:09
JobId=20 JobName=plain JobState=COMPLETED Reason=None Restarts=0 ExitCode=0:0 RunTime=00:00:03
"""


def test_scontrol_lines_give_each_array_task_its_state():
    states = parse_scontrol(SCONTROL)
    assert set(states) == {"10_2", "10_3", "10_4", "10_5", "10_0", "20"}
    assert states["10_2"].state == "RUNNING" and states["10_2"].restarts == 1 and states["10_2"].active
    assert states["10_4"].reason == "Priority" and states["10_4"].active
    assert not states["10_0"].active and states["10_0"].exit_code == "1:0"


def test_launcher_settings_come_from_the_hydra_launcher_config_with_overrides():
    settings = load_launcher_settings(cluster_runs.LAUNCHER_CONFIG, ["partition=gpu", "mem_gb=null", "timeout_min=60"])
    assert settings["partition"] == "gpu" and settings["mem_gb"] is None and settings["timeout_min"] == 60
    assert settings["gpus_per_node"] == 1 and settings["additional_parameters"] == {"requeue": True}
    assert "submitit_folder" not in settings and "_target_" not in settings
    with pytest.raises(ValueError, match="partitoin=gpu"):
        load_launcher_settings(cluster_runs.LAUNCHER_CONFIG, ["partitoin=gpu"])


def _script(tmp_path):
    path = tmp_path / "script.py"
    path.write_text(
        "import os, signal\ndef work(x, signum=None):\n    if signum:\n        os.kill(os.getpid(), signum)\n    return x * 2\n"
    )
    return str(path)


def test_a_script_function_runs_and_a_signal_during_it_ends_the_job_without_result(tmp_path):
    assert ScriptFunction(_script(tmp_path), "work", 21)() == 42
    assert ChildSignalledCall(ScriptFunction(_script(tmp_path), "work", 1))() == 2
    before = signal.getsignal(signal.SIGUSR2)
    with pytest.raises(SystemExit) as ended:
        ChildSignalledCall(ScriptFunction(_script(tmp_path), "work", 1, signum=signal.SIGUSR2))()
    assert ended.value.code == 128 + signal.SIGUSR2 and signal.getsignal(signal.SIGUSR2) is before
    with pytest.raises(ValueError, match="not a file"):
        ScriptFunction(os.path.join(str(tmp_path), "missing.py"), "work")


def test_run_states_without_any_job(tmp_path):
    statuses = cluster_runs.run_statuses(str(tmp_path), ["a", "b"], {"a": True, "b": False})
    assert [(s.name, s.state) for s in statuses] == [("a", "done"), ("b", "not submitted")]
