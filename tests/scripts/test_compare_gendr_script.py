"""scripts/compare_gendr.py on a tiny mesh: the grid's size and content, and errors."""

import imageio.v3 as iio
import pytest
from script_helpers import load_script

from softrecon.geometry import icosphere
from softrecon.io import save_obj


@pytest.fixture(scope="module")
def script():
    return load_script("compare_gendr")


@pytest.fixture()
def mesh_file(tmp_path):
    vertices, faces = icosphere(1)
    path = tmp_path / "ball.obj"
    save_obj(path, vertices, faces)
    return path


def test_grid_has_a_cell_per_cdf_and_t_conorm(script, mesh_file, tmp_path, capsys):
    size = 24
    output = tmp_path / "grid.png"
    path = script.main([str(mesh_file), "-o", str(output), "--image-size", str(size), "--dist-eps", "1e-2"])
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(output) == path
    grid = iio.imread(output)
    rows, cols = len(script.CDFS), len(script.T_CONORMS)
    assert grid.shape == (script.LABEL_SIZE + rows * size, script.LABEL_SIZE * 4 + cols * size)
    for i in range(rows):
        for j in range(cols):
            top, left = script.LABEL_SIZE + i * size, script.LABEL_SIZE * 4 + j * size
            cell = grid[top : top + size, left : left + size]
            assert cell[size // 2, size // 2] > 100  # the ball covers the centre
            assert cell.max() > cell.min()  # and not the whole cell


@pytest.mark.parametrize(
    "option, value, named",
    [
        ("--view", "24", "--view"),
        ("--sigma", "-1", "sigma"),
        ("--image-size", "4", "--image-size"),
        ("-o", "x.jpg", "--output"),
    ],
)
def test_bad_options_exit_with_a_named_error(script, mesh_file, tmp_path, capsys, option, value, named):
    argv = [str(mesh_file), option, value] + ([] if option == "-o" else ["-o", str(tmp_path / "g.png")])
    with pytest.raises(SystemExit) as exit_info:
        script.main(argv)
    assert exit_info.value.code == script.BAD_INPUT_STATUS
    assert named in capsys.readouterr().err


def test_missing_mesh_is_named(script, tmp_path, capsys):
    with pytest.raises(SystemExit):
        script.main([str(tmp_path / "nope.obj"), "-o", str(tmp_path / "g.png")])
    assert "nope.obj" in capsys.readouterr().err
