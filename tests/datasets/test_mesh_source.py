"""Mesh-folder discovery (ShapeNet v1/v2 and flat layouts), split files and seeded splits."""

import json

import pytest

from softrecon.dataset_builders.mesh_source import (
    assign_by_fractions,
    assign_from_file,
    discover_meshes,
    read_split_file,
)

OBJ = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"


def test_shapenet_v1_and_v2_layouts(tmp_path):
    (tmp_path / "02691156" / "aaa").mkdir(parents=True)
    (tmp_path / "02691156" / "aaa" / "model.obj").write_text(OBJ)  # v1
    (tmp_path / "02691156" / "bbb" / "models").mkdir(parents=True)
    (tmp_path / "02691156" / "bbb" / "models" / "model_normalized.obj").write_text(OBJ)  # v2
    (tmp_path / "03001627" / "ccc").mkdir(parents=True)
    (tmp_path / "03001627" / "ccc" / "model.obj").write_text(OBJ)
    (tmp_path / "03001627" / "no_model").mkdir()
    entries = discover_meshes(tmp_path)
    assert [(e.class_id, e.model_id) for e in entries] == [
        ("02691156", "aaa"),
        ("02691156", "bbb"),
        ("03001627", "ccc"),
    ]
    assert entries[1].path.endswith("model_normalized.obj")


def test_flat_layouts_and_missing_class_id(tmp_path):
    (tmp_path / "mug.obj").write_text(OBJ)
    (tmp_path / "vases").mkdir()
    (tmp_path / "vases" / "tall.obj").write_text(OBJ)
    with pytest.raises(ValueError, match="class"):
        discover_meshes(tmp_path)
    entries = discover_meshes(tmp_path, "flat", class_id="cups")
    assert [(e.class_id, e.model_id) for e in entries] == [("cups", "mug"), ("vases", "tall")]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        discover_meshes(tmp_path / "nope")
    with pytest.raises(ValueError, match="no mesh files"):
        discover_meshes(tmp_path / "vases", "shapenet")


def test_split_files_json_and_text(tmp_path):
    (tmp_path / "a.obj").write_text(OBJ)
    (tmp_path / "b.obj").write_text(OBJ)
    (tmp_path / "c.obj").write_text(OBJ)
    entries = discover_meshes(tmp_path, class_id="k")
    flat_json = tmp_path / "s.json"
    flat_json.write_text(json.dumps({"train": ["a", "b"], "test": ["c"]}))
    per_class = tmp_path / "p.json"
    per_class.write_text(json.dumps({"k": {"val": ["b"]}, "train": ["b", "a"]}))  # per-class entries win
    text = tmp_path / "s.txt"
    text.write_text("# comment\ntrain a\nk test c\n\n")
    by_id = lambda assigned: {e.model_id: s for e, s in assigned.items()}  # noqa: E731
    assert by_id(assign_from_file(entries, read_split_file(flat_json))) == {"a": "train", "b": "train", "c": "test"}
    assert by_id(assign_from_file(entries, read_split_file(per_class))) == {"a": "train", "b": "val"}
    assert by_id(assign_from_file(entries, read_split_file(text))) == {"a": "train", "c": "test"}
    text.write_text("train a\ntest a\n")
    with pytest.raises(ValueError, match="line 2"):
        read_split_file(text)


def test_seeded_fraction_split_is_deterministic_and_complete(tmp_path):
    for k in range(10):
        (tmp_path / f"m{k}.obj").write_text(OBJ)
    entries = discover_meshes(tmp_path, class_id="k")
    fractions = {"train": 0.7, "val": 0.1, "test": 0.2}
    first = assign_by_fractions(entries, fractions, seed=1)
    assert first == assign_by_fractions(entries, fractions, seed=1)
    assert first != assign_by_fractions(entries, fractions, seed=2)
    assert sorted(first.values()).count("train") == 7 and sorted(first.values()).count("test") == 2
    with pytest.raises(ValueError, match="sum to 1"):
        assign_by_fractions(entries, {"train": 0.5}, seed=0)
