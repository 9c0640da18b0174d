"""scripts/gpu_check.sh refuses cleanly where no NVIDIA GPU is listed: a message that
says so, exit status 2, nothing installed or written."""

import os
import subprocess

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
