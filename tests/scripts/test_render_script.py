"""scripts/render.py on a tiny mesh: PNG, GIF, options and errors (small images)."""

import os
import pathlib
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from script_helpers import load_script

from softrecon.geometry import icosphere
from softrecon.io import save_obj

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "render.py"


@pytest.fixture(scope="module")
def render():
    return load_script("render")


@pytest.fixture()
def mesh_file(tmp_path):
    vertices, faces = icosphere(1)
    path = tmp_path / "ball.obj"
    save_obj(path, vertices * 3 + 10, faces)  # off-centre and large: normalization matters
    return path


def test_png_single_view(render, mesh_file, tmp_path, capsys):
    output = tmp_path / "ball.png"
    path = render.main([str(mesh_file), "-o", str(output), "--image-size", "16", "--sigma", "1e-4"])
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(output) == path
    image = iio.imread(output)
    assert image.shape == (16, 16, 4) and image.dtype == np.uint8
    alpha = image[..., 3]
    assert alpha[8, 8] == 255 and alpha[0, 0] == 0  # normalized to the unit box, centred
    # Grey default colour, shaded by the default light from above: lighter at the top.
    assert image[4, 8, 0] > image[12, 8, 0]
    assert (image[0, 0] == [255, 255, 255, 0]).all()  # white background by default


def test_several_views_are_tiled_and_hard_mode(render, mesh_file, tmp_path):
    output = tmp_path / "views.png"
    render.main(
        [
            str(mesh_file),
            "-o",
            str(output),
            "--image-size",
            "8",
            "10",
            "--view",
            "0",
            "6",
            "--mode",
            "hard",
            "--antialias",
            "2",
        ]
    )
    image = iio.imread(output)
    assert image.shape == (8, 20, 4)


def test_turntable_gif(render, tmp_path, capsys):
    vertices, faces = icosphere(1)
    mesh_file = tmp_path / "cigar.obj"
    save_obj(mesh_file, vertices * torch.tensor([3.0, 1.0, 1.0]), faces)  # frames differ as it turns
    output = tmp_path / "spin.gif"
    render.main(
        [str(mesh_file), "-o", str(output), "--image-size", "8", "--turntable", "3", "--no-lighting", "--fps", "5"]
    )
    frames = iio.imread(output, index=None)
    assert frames.shape[:3] == (3, 8, 8)
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(output)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--sigma", "-1"], "sigma"),
        (["--image-size", "1", "2", "3"], "--image-size"),
        (["--turntable", "0", "-o", "x.gif"], "--turntable"),
        (["--view", "24"], "view_index"),
        (["-o", "out.jpg"], "--output"),
        (["-o", "missing_folder/out.png"], "--output folder"),
        (["--light-direction", "0", "0", "0"], "direction"),
        (["--texture-res", "0"], "--texture-res"),
    ],
)
def test_bad_options_exit_2_naming_the_option(render, mesh_file, tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        render.main([str(mesh_file), "--image-size", "8"] + extra)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_texture_res_bakes_the_uv_texture(render, tmp_path):
    """A square whose UV texture is red on its left half and green on its right: baked
    per face, the two pure colours show; sampled at the four corners (pure red on the
    left, pure green on the right) and interpolated, they blend across the square."""
    from PIL import Image

    texture = np.zeros((1, 8, 3), dtype=np.uint8)
    texture[0, :4] = (255, 0, 0)
    texture[0, 4:] = (0, 255, 0)
    Image.fromarray(texture).save(tmp_path / "tex.png")
    (tmp_path / "square.mtl").write_text("newmtl paint\nKd 1 1 1\nmap_Kd tex.png\n")
    (tmp_path / "square.obj").write_text(  # in the z = 0 plane, seen from either side (--double-sided)
        "mtllib square.mtl\nv -1 -1 0\nv 1 -1 0\nv 1 1 0\nv -1 1 0\n"  # u from the first texel's centre to the last's
        "vt 0.0625 0.5\nvt 0.9375 0.5\nvt 0.9375 0.5\nvt 0.0625 0.5\nusemtl paint\nf 1/1 2/2 3/3\nf 1/1 3/3 4/4\n"
    )
    common = [
        str(tmp_path / "square.obj"),
        "--image-size",
        "16",
        "--mode",
        "hard",
        "--no-lighting",
        "--double-sided",
        "--backend",
        "reference",
    ]
    render.main(common + ["-o", str(tmp_path / "baked.png"), "--texture-res", "4"])
    render.main(common + ["-o", str(tmp_path / "vertex.png")])
    baked, vertex = iio.imread(tmp_path / "baked.png"), iio.imread(tmp_path / "vertex.png")
    assert baked.shape == vertex.shape == (16, 16, 4)
    middle = 8  # the image's middle row crosses the square from left to right
    covered = baked[middle, :, 3] == 255
    assert covered.sum() > 6 and (vertex[middle, :, 3] == 255).sum() == covered.sum()
    pure = {(255, 0, 0), (0, 255, 0)}
    assert {tuple(int(v) for v in c) for c in baked[middle, covered, :3]} == pure  # red, then green: no blend
    assert not pure & {tuple(int(v) for v in c) for c in vertex[middle, covered, :3]}  # blended at every pixel


def test_missing_mesh_file_names_it(render, tmp_path, capsys):
    missing = tmp_path / "nothing.obj"
    with pytest.raises(SystemExit) as info:
        render.main([str(missing), "-o", str(tmp_path / "x.png")])
    assert info.value.code == 2 and str(missing) in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_help_runs_as_a_script():
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0
    for option in (
        "--sigma",
        "--gamma",
        "--dist-func",
        "--aggr-alpha",
        "--aggr-rgb",
        "--antialias",
        "--view",
        "--turntable",
        "--light-direction",
        "--texture-res",
    ):
        assert option in result.stdout
