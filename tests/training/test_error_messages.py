"""Smaller error messages name the file (docs/PROMISES.md)."""

import numpy as np
import pytest
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.dataset_builders import BuildTask
from softrecon.dataset_builders.mesh_source import MeshSource, load_mesh_record
from softrecon.fitting.outputs import load_normalized_mesh
from softrecon.io import save_obj
from softrecon.models import build_model
from softrecon.rundir.checkpoint import load_weights
from softrecon.training import CheckpointError, Trainer, load_checkpoint


def test_resuming_with_another_model_names_the_file_briefly(tiny_dataset, tmp_path):
    Trainer(compose_config("train", tiny_overrides(tiny_dataset, str(tmp_path / "run")))).fit()
    wider = tiny_overrides(
        tiny_dataset, str(tmp_path / "run"), iterations=4, resume="true", **{"model.encoder_fc": "[32]"}
    )
    with pytest.raises(
        ValueError, match=r"step_000000002.pt.*other settings.*model.encoder_fc: \[16\] -> \[32\]"
    ) as error:
        Trainer(compose_config("train", wider))  # refused by the resume's settings check, before any weight
    assert len(str(error.value)) < 1000
    state = load_checkpoint(str(tmp_path / "run"))
    with pytest.raises(CheckpointError, match=r"step_000000002.pt.*do not fit.*of another shape.*model=small") as error:
        load_weights(build_model(compose_config("train", wider).model), state["model"], state["path"])
    assert len(str(error.value)) < 1000


def test_an_empty_or_truncated_checkpoint_gives_a_reason(tmp_path):
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty.pt.*empty \(0 bytes\)"):
        load_checkpoint(str(empty))
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(b"PK\x03\x04" + bytes(10))
    with pytest.raises(CheckpointError, match=r"truncated.pt.*: \w+Error: \S"):
        load_checkpoint(str(truncated))


def test_degenerate_meshes_name_the_file(tmp_path):
    point = str(tmp_path / "point.obj")
    save_obj(point, np.zeros((3, 3)), np.array([[0, 1, 2]]))  # every vertex at one point
    line = str(tmp_path / "line.obj")
    save_obj(line, np.array([[0.0, 0, 0], [1, 0, 0], [2, 0, 0]]), np.array([[0, 1, 2]]))  # zero area
    with pytest.raises(ValueError, match="point.obj.*same point"):
        load_mesh_record(BuildTask("c", "train", "point", MeshSource(point, True)))
    with pytest.raises(ValueError, match="point.obj.*same point"):
        load_normalized_mesh(point)
    with pytest.raises(ValueError, match="line.obj.*no face has a positive area"):
        load_normalized_mesh(line)


def test_help_explains_how_to_quote_a_non_ascii_path():
    for name in ("train", "eval"):  # the footer of `python <name>.py --help` (in-process: quick)
        footer = compose_config(
            name, ["ckpt_path=x"] if name == "eval" else [], return_hydra_config=True
        ).hydra.help.footer
        assert """'data.root="/data/Modèles 3D"'""" in footer, name
    with pytest.raises(Exception, match="LexerNoViableAlt"):  # why: unquoted, Hydra's lexer fails
        compose_config("train", ["data.root=/data/Modèles"])
    assert compose_config("train", ['data.root="/data/Modèles 3D"']).data.root == "/data/Modèles 3D"
