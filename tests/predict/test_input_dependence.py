"""scripts/input_dependence.py: own-object against other-object IoU, on hand-made voxels
and on a tiny trained run."""

import pytest
import torch
from repo_files import load_repo_file


@pytest.fixture(scope="module")
def script():
    return load_repo_file("scripts/input_dependence.py")


def _boxes():
    """Three disjoint 2 x 2 x 2 boxes in a 4 x 4 x 4 grid, and a fourth covering two of them."""
    voxels = torch.zeros(4, 4, 4, 4, dtype=torch.bool)
    voxels[0, :2, :2, :2] = True
    voxels[1, 2:, 2:, :2] = True
    voxels[2, :2, 2:, 2:] = True
    voxels[3] = voxels[0] | voxels[1]
    return voxels


def test_a_perfect_predictor_and_a_collapsed_one(script):
    target = _boxes()
    perfect = script.input_dependence(target, target)
    assert perfect["own"] == 1.0
    assert perfect["predictions alike"] == pytest.approx(perfect["objects alike"])
    # pairs (0,3), (3,0), (1,3), (3,1) have IoU 1/2, the 8 other pairs 0: 2 / 12
    assert perfect["others"] == pytest.approx(2 / 12)
    assert perfect["own - others"] == pytest.approx(1 - 2 / 12)
    collapsed = script.input_dependence(target[3:4].expand(4, -1, -1, -1), target)
    assert collapsed["predictions alike"] == 1.0
    # the one shape S = box 0 | box 1 against each object: 1/2, 1/2, 0, 1; every object
    # is met three times among the pairs i != j too, so own = others = 1/2
    assert collapsed["own"] == pytest.approx(0.5)
    assert collapsed["others"] == pytest.approx(0.5)
    assert collapsed["own - others"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="must both be"):
        script.input_dependence(target[:1], target[:1])


def test_runs_on_a_trained_run(script, tiny_run, capsys):
    root, run = tiny_run
    script.main([run, "--data-root", root, "--split", "val", "--per-class", "2"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("| run | objects | own | others")
    cells = [c.strip() for c in lines[-1].strip("|").split("|")]
    assert cells[0] == run and int(cells[1]) >= 2
    assert all(0.0 <= float(c) <= 1.0 for c in cells[2:4] + cells[5:])
    with pytest.raises(SystemExit, match="--view 99"):
        script.main([run, "--data-root", root, "--split", "val", "--view", "99"])
