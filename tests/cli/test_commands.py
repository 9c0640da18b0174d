"""The console commands: one table (softrecon/cli COMMANDS) behind pyproject's scripts,
the umbrella ``softrecon``, each command's --help under its real name, and the imports
a user types (``import softrecon._C`` alone; ``import softrecon`` without torch)."""

import importlib
import os
import pathlib
import subprocess
import sys

import pytest
import tomllib

from softrecon import cli
from softrecon.cli import entries

ROOT = pathlib.Path(__file__).resolve().parents[2]
HYDRA_COMMANDS = {"train", "eval", "fit-mesh", "fit-pose"}


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def test_pyproject_scripts_are_the_command_table():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    expected = {"softrecon": "softrecon.cli:main"}
    expected.update({f"softrecon-{c}": f"softrecon.cli.entries:{m}" for c, (m, _) in cli.COMMANDS.items()})
    assert scripts == expected
    for command, (module, _) in cli.COMMANDS.items():
        assert callable(getattr(entries, module))
        assert (ROOT / "softrecon" / "cli" / f"{module}.py").is_file()


@pytest.mark.parametrize("command", sorted(set(cli.COMMANDS) - HYDRA_COMMANDS))
def test_each_command_helps_under_its_real_name(command, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: softrecon {command}"), out[:200]
    assert "python scripts/" not in out and ".py" not in out.split("\n")[0]


def test_the_hydra_commands_help_under_their_names():
    for command in sorted(HYDRA_COMMANDS):
        help_file = ROOT / "softrecon" / "configs" / "hydra" / "help" / f"{cli.COMMANDS[command][0]}.yaml"
        assert f"app_name: softrecon-{command}\n" in help_file.read_text()
        module = importlib.import_module(f"softrecon.cli.{cli.COMMANDS[command][0]}")
        assert module.main.__wrapped__  # a @hydra.main app: run() hands it sys.argv


def test_the_umbrella_lists_the_commands_and_refuses_a_typo(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {command} " in out for command in cli.COMMANDS)
    assert cli.main(["trian"]) == 2
    assert "no command 'trian'; did you mean train?" in capsys.readouterr().err
    assert cli.main([]) == 2


def test_the_umbrella_runs_a_hydra_command_by_its_name(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "softrecon.cli", "train", "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=str(tmp_path),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("softrecon-train: single-view mesh reconstruction")
    assert "softrecon-train trainer.iterations=500" in done.stdout and "hydra/sweeper=optuna_val_iou" in done.stdout


def test_the_kernels_import_alone_and_the_package_without_torch(tmp_path):
    code = (
        "import sys, softrecon; light = 'torch' not in sys.modules; import softrecon._C as c; print(light, c.with_cuda)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=str(tmp_path), timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[0] == "True" and done.stdout.split()[1] in ("True", "False")
