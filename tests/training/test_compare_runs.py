"""scripts/compare_runs.py: two runs of the same training compare equal, another seed does not."""

from repo_files import load_repo_file
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.training import Trainer


def _compare_runs():
    return load_repo_file("scripts/compare_runs.py")


def _run(tiny_dataset, folder, seed):
    logged = {"logging": "default", "logging.progress": "false", "trainer.log_every": 1, "trainer.seed": seed}
    logged.update({"trainer.image_every": 2, "trainer.mesh_every": 2, "logging.mesh_samples": 1})
    Trainer(compose_config("train", tiny_overrides(tiny_dataset, str(folder), iterations=2, **logged))).fit()
    return str(folder)


def test_same_training_is_equal_and_another_seed_differs(tiny_dataset, tmp_path, capsys):
    compare = _compare_runs()
    first, again = _run(tiny_dataset, tmp_path / "a", 0), _run(tiny_dataset, tmp_path / "b", 0)
    other = _run(tiny_dataset, tmp_path / "c", 1)
    assert compare.main([first, again]) == 0
    assert "EQUAL: 2 checkpoints" in capsys.readouterr().out
    assert compare.main([first, other]) == 1
    out = capsys.readouterr().out
    assert "tensors differ" in out and "trainer.seed: 0 != 1" in out and "scalars" in out
