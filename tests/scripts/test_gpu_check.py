"""scripts/gpu_check.sh refuses cleanly where no NVIDIA GPU is listed (a message that says
so, exit status 2, nothing installed or written), picks its offline mode where no package
index answers, and refuses unknown options."""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_gpu_check_stops_with_a_clear_message_without_a_gpu(tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, NVIDIA_SMI="false", GPU_CHECK_VENV=str(tmp_path / "venv"))  # an nvidia-smi that lists no GPU
    result = subprocess.run(
        ["bash", os.path.join(REPO, "scripts", "gpu_check.sh"), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no NVIDIA GPU found" in result.stderr and "Nothing was installed" in result.stderr
    assert not out.exists() and not (tmp_path / "venv").exists()


def _stand_in_gpu(tmp_path):
    """An nvidia-smi that answers the script's query for one H100."""
    smi = tmp_path / "nvidia-smi"
    smi.write_text('#!/bin/sh\necho "NVIDIA H100 80GB HBM3, 9.0, 580.159.04, 81559 MiB"\n')
    smi.chmod(0o755)
    return str(smi)


def test_offline_mode_is_chosen_where_no_index_answers_and_the_summary_comes_last(tmp_path):
    """No package index for pip (an unreachable one, and --no-index): the offline mode, with
    the machine's python (here one whose torch is a stand-in CPU build, which it refuses by
    name before building), the later stages skipped, the summary written to the folder
    given and printed last."""
    out = tmp_path / "out"
    fake = tmp_path / "fake"
    (fake / "torch").mkdir(parents=True)
    (fake / "torch" / "__init__.py").write_text(
        "import types\n__version__ = '0.0+cpu'\nversion = types.SimpleNamespace(cuda=None)\n"
    )
    python = tmp_path / "python3"
    python.write_text(f'#!/bin/sh\nPYTHONPATH="{fake}" exec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(
        NVIDIA_SMI=_stand_in_gpu(tmp_path),
        PYTHON=str(python),
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL="http://127.0.0.1:9/",
        PIP_NO_INDEX="1",
        GPU_CHECK_SITE=str(tmp_path / "site"),
        GPU_CHECK_WHEELS=str(tmp_path / "no-wheels"),
    )
    result = subprocess.run(
        ["bash", os.path.join(REPO, "scripts", "gpu_check.sh"), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "mode offline (no package index answered" in result.stdout
    summary = (out / "summary.md").read_text()
    assert result.stdout.rstrip().endswith(summary.rstrip())
    assert "| install | FAILED (exit 1) |" in summary and "| build | skipped (no install) |" in summary
    assert "is a CPU build" in (out / "install.log").read_text()


def test_unknown_options_are_refused(tmp_path):
    env = dict(os.environ, NVIDIA_SMI=_stand_in_gpu(tmp_path))
    result = subprocess.run(
        ["bash", os.path.join(REPO, "scripts", "gpu_check.sh"), "--ofline", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "unknown option '--ofline'" in result.stderr
    assert not (tmp_path / "out").exists()
