"""realcad and build_dataset against bad models, changed packages, concurrent builds and
split files that name missing meshes (docs/PROMISES.md, section 7): one bad model never
aborts a build, a dataset is never stale or silently short. (Names added with these
guarantees are imported inside the tests, so that each test shows its own failure on
code without them.)"""

import csv
import hashlib
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import time
import types

import numpy as np
import pytest
from realcad_fixtures import box_ac, chair_obj, make_deb, record_downloads, sh3f_library

from softrecon.dataset_builders import BuildOptions
from softrecon.dataset_builders.mesh_source import MeshEntry
from softrecon.dataset_builders.realcad import PACKAGES, build_realcad, download_debs, find_debs
from softrecon.dataset_builders.realcad.catalog import Candidate
from softrecon.dataset_builders.realcad.prepare import prepare
from softrecon.io.deb import DebError

REPO = pathlib.Path(__file__).resolve().parents[2]
CARS = "usr/share/games/torcs/cars"
FURNITURE = "usr/share/sweethome3d/furniture/Test.sh3f"
OPTIONS = BuildOptions(image_size=8, voxel_resolution=8)
PACKAGE = {package.name: package for package in PACKAGES}


def _quiet(line):
    pass


def _build(debs_folder, out, **kwargs):
    return build_realcad(
        out / "data", find_debs(debs_folder), out / "work", OPTIONS, progress=False, log=_quiet, **kwargs
    )


def _manifest(out):
    with open(out / "data" / "manifest.csv") as handle:
        return {row["model_id"]: row for row in csv.DictReader(handle)}


def _no_apt(*args, **kwargs):
    return types.SimpleNamespace(returncode=100, stdout="", stderr="")


# --- one bad model never aborts a build ------------------------------------------------


def test_models_that_crash_a_reader_are_listed_with_file_and_reason_and_the_build_goes_on(tmp_path, monkeypatch):
    debs = tmp_path / "debs"
    debs.mkdir()
    deep = "AC3Db\n" + "OBJECT group\nkids 1\n" * 3000 + "OBJECT poly\nkids 0\n"  # RecursionError before
    make_deb(
        debs / "torcs-data_1.3.7+dfsg-5_all.deb",
        {
            f"{CARS}/a/a.acc": box_ac((4, 1, 2), nose=(4.0, 0.5, 1.0)),
            f"{CARS}/b/b.acc": box_ac((3, 1, 1.5), nose=(3.0, 0.5, 0.75)),
            f"{CARS}/deep/deep.acc": deep.encode(),
        },
    )
    overflow = chair_obj(back_z=-0.25) + "f 1 2 99999999999999999999999\n"  # OverflowError before
    make_deb(
        debs / "sweethome3d-furniture_1.8-1_all.deb",
        {FURNITURE: sh3f_library({"Chair": chair_obj(back_z=-0.25), "Armchair": overflow})},
    )
    record_downloads(debs)
    # and a reader that fails in a way nobody foresaw, for one model
    from softrecon.dataset_builders.realcad import prepare as prepare_module

    real_read = prepare_module.read_ac3d

    def flaky(path):
        if path.endswith("b.acc"):
            raise KeyError("reader bug")
        return real_read(path)

    monkeypatch.setattr(prepare_module, "read_ac3d", flaky)
    report = _build(debs, tmp_path)
    rows = _manifest(tmp_path)
    assert sorted(m for m, r in rows.items() if r["split"]) == ["sh3d-Test-001-Chair", "torcs-a-a"]
    deep_row, overflow_row, bug_row = rows["torcs-deep-deep"], rows["sh3d-Test-002-Armchair"], rows["torcs-b-b"]
    assert deep_row["left_out"].startswith("unreadable: ") and "deep.acc" in deep_row["left_out"]
    assert "nesting_depth" in deep_row["left_out"]
    assert overflow_row["left_out"].startswith("unreadable: ") and "beyond any vertex" in overflow_row["left_out"]
    assert "Test.sh3f!lib/p2/model.obj" in overflow_row["left_out"]
    assert bug_row["left_out"] == f"unreadable: {CARS}/b/b.acc: KeyError: 'reader bug'"
    summary = (tmp_path / "data" / "build_report.txt").read_text()
    assert "could not read 3 models" in summary and f"torcs-b-b ({CARS}/b/b.acc)" in summary
    assert report.summary() + "\n" == summary
    # an unforeseen error is not cached: fixed, the next run reads the model
    monkeypatch.setattr(prepare_module, "read_ac3d", real_read)
    _build(debs, tmp_path)
    assert _manifest(tmp_path)["torcs-b-b"]["split"]


def test_a_model_missing_at_prepare_time_is_not_cached_as_unreadable(tmp_path):
    model = tmp_path / "pkg" / "car.acc"
    candidate = Candidate("torcs-car", "torcs", "car/car.acc", "torcs-data", "car/car.acc", str(model), "GPL-2+")
    result = prepare(candidate, "+x", str(tmp_path / "meshes"))
    assert result.path is None and result.reason.startswith("unreadable") and "car.acc" in result.reason
    assert not list((tmp_path / "meshes").glob("*")) if (tmp_path / "meshes").exists() else True
    model.parent.mkdir()
    model.write_bytes(box_ac((4, 1, 2)))  # the file appears (a concurrent unpack finished)
    assert prepare(candidate, "+x", str(tmp_path / "meshes")).path is not None


def test_a_damaged_cache_entry_is_prepared_again(tmp_path):
    model = tmp_path / "car.acc"
    model.write_bytes(box_ac((4, 1, 2)))
    candidate = Candidate("torcs-car", "torcs", "car/car.acc", "torcs-data", "car/car.acc", str(model), "GPL-2+")
    first = prepare(candidate, "+x", str(tmp_path / "meshes"))
    pathlib.Path(first.path).write_bytes(b"PK\x03\x04 damaged")
    again = prepare(candidate, "+x", str(tmp_path / "meshes"))
    assert again.path == first.path and again.signature == first.signature
    assert np.load(again.path)["vertices"].shape[1] == 3


# --- never stale --------------------------------------------------------------------


def test_a_changed_package_rebuilds_what_changed(tmp_path):
    debs = tmp_path / "debs"
    debs.mkdir()
    old = debs / "torcs-data_1.3.7+dfsg-5_all.deb"
    make_deb(old, {f"{CARS}/a/a.acc": box_ac((4, 1, 2), nose=(4.0, 0.5, 1.0))})
    record_downloads(debs)
    _build(debs, tmp_path)
    before = np.load(tmp_path / "data" / "02958343_train_images.npz")["images"]
    # a newer version with another car of the same id
    old.unlink()
    make_deb(debs / "torcs-data_1.3.8-1_all.deb", {f"{CARS}/a/a.acc": box_ac((2, 1, 2), nose=(2.0, 0.5, 1.0))})
    record_downloads(debs)
    _build(debs, tmp_path)
    assert _manifest(tmp_path)["torcs-a-a"]["deb"] == "torcs-data_1.3.8-1_all.deb"
    after = np.load(tmp_path / "data" / "02958343_train_images.npz")["images"]
    assert not np.array_equal(before, after)
    fresh = tmp_path / "fresh"
    _build(debs, fresh)
    assert np.array_equal(after, np.load(fresh / "data" / "02958343_train_images.npz")["images"])
    assert len(list((tmp_path / "work" / "meshes").glob("torcs-a-a@*"))) == 1  # the old entry is gone


def test_newest_deb_by_debian_version(tmp_path):
    for version in ("1.3.7+dfsg-5", "1.3.10-1", "1.3.9-1", "1.3.10~rc1-1"):
        (tmp_path / f"torcs-data_{version}_all.deb").write_bytes(b"")
    assert os.path.basename(find_debs(tmp_path)["torcs-data"]) == "torcs-data_1.3.10-1_all.deb"
    for version in ("2024.1-1", "1%3a2020.3.16+dfsg-1"):  # an epoch, as apt writes it in file names
        (tmp_path / f"flightgear-data-ai_{version}_all.deb").write_bytes(b"")
    assert (
        os.path.basename(find_debs(tmp_path)["flightgear-data-ai"]) == "flightgear-data-ai_1%3a2020.3.16+dfsg-1_all.deb"
    )


# --- every package checked, and the manifest says how -----------------------------------


def test_a_supplied_deb_must_match_the_recorded_size_and_hash(tmp_path):
    from softrecon.dataset_builders.realcad.packages import verify_deb

    fake = tmp_path / "torcs-data_1.3.7+dfsg-5_all.deb"  # the recorded version's name, other bytes
    make_deb(fake, {f"{CARS}/a/a.acc": box_ac((4, 1, 2))})
    with pytest.raises(DebError, match="bytes, but Debian bookworm's signed index .* says 333308448"):
        verify_deb(str(fake), PACKAGE["torcs-data"], run=_no_apt)
    with pytest.raises(DebError, match="bytes, but"):  # accepting unverified packages never accepts a mismatch
        verify_deb(str(fake), PACKAGE["torcs-data"], accept_unverified=True, run=_no_apt)
    report = _build(tmp_path, tmp_path / "out")
    assert "333308448" in dict(report.package_problems)["torcs-data"]


def test_a_supplied_deb_of_an_unknown_version_needs_consent_and_is_marked(tmp_path):
    from softrecon.dataset_builders.realcad.packages import verify_deb

    debs = tmp_path / "debs"
    debs.mkdir()
    deb = debs / "torcs-data_9.9-1_all.deb"
    make_deb(deb, {f"{CARS}/a/a.acc": box_ac((4, 1, 2), nose=(4.0, 0.5, 1.0))})
    with pytest.raises(DebError, match="cannot be verified"):
        verify_deb(str(deb), PACKAGE["torcs-data"], run=_no_apt)
    assert verify_deb(str(deb), PACKAGE["torcs-data"], True, run=_no_apt).how.startswith("supplied; unverified")
    index = "Package: torcs-data\nVersion: 9.9-1\nSize: {size}\nSHA256: {sha}\n".format(
        size=deb.stat().st_size, sha=hashlib.sha256(deb.read_bytes()).hexdigest()
    )
    apt = lambda *a, **k: types.SimpleNamespace(returncode=0, stdout=index, stderr="")  # noqa: E731
    if sys.platform.startswith("linux") and __import__("shutil").which("apt-cache"):
        assert "apt index" in verify_deb(str(deb), PACKAGE["torcs-data"], run=apt).how
    report = _build(debs, tmp_path / "out", prepare_only=True)
    assert "cannot be verified" in dict(report.package_problems)["torcs-data"]
    _build(debs, tmp_path / "out", prepare_only=True, accept_unverified=True)
    assert _manifest(tmp_path / "out")["torcs-a-a"]["deb_check"] == "supplied; unverified (accepted by the user)"


def test_downloads_are_checked_against_the_index_and_recorded(tmp_path, monkeypatch):
    from softrecon.dataset_builders.realcad.packages import VERIFIED_NAME

    debs = tmp_path / "debs"
    payload = tmp_path / "payload.deb"
    make_deb(payload, {f"{CARS}/a/a.acc": box_ac((4, 1, 2), nose=(4.0, 0.5, 1.0))})
    name = "torcs-data_1.3.7+dfsg-5_all.deb"
    data = payload.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    monkeypatch.setattr("shutil.which", lambda program: "/usr/bin/" + program)

    def apt_get(argv, cwd=None, **kwargs):
        if "--print-uris" in argv:
            stdout = f"'http://deb.example/pool/t/{name}' {name} {len(data)} SHA256:{digest}\n"
            return types.SimpleNamespace(returncode=0, stdout=stdout, stderr="")
        (pathlib.Path(cwd) / name).write_bytes(served)
        return types.SimpleNamespace(returncode=0)

    served = data[:-1] + b"\0"  # a mirror serving other bytes of the same size
    with pytest.raises(RuntimeError, match="sha256 .* says"):
        download_debs(str(debs), ["torcs-data"], run=apt_get)
    assert not (debs / VERIFIED_NAME).exists()
    served = data
    download_debs(str(debs), ["torcs-data"], run=apt_get)
    assert json.loads((debs / VERIFIED_NAME).read_text())[name]["sha256"] == digest
    monkeypatch.undo()
    _build(debs, tmp_path / "out", prepare_only=True)
    check = _manifest(tmp_path / "out")["torcs-a-a"]["deb_check"]
    assert check == "downloaded; size and sha256 match the archive's signed index (apt)"
    (debs / name).write_bytes(data[:-1] + b"\1")  # replaced after the download
    report = _build(debs, tmp_path / "out", prepare_only=True)
    assert "a damaged or different package" in dict(report.package_problems)["torcs-data"]


# --- one build at a time ------------------------------------------------------------


def test_a_second_build_on_a_busy_folder_stops_at_once_naming_the_first(tmp_path):
    from softrecon.dataset_builders.realcad.builder import LOCK_NAME, BuildFolderBusy

    debs = tmp_path / "debs"
    debs.mkdir()
    make_deb(debs / "torcs-data_1.3.7+dfsg-5_all.deb", {f"{CARS}/a/a.acc": box_ac((4, 1, 2))})
    record_downloads(debs)
    work = tmp_path / "out" / "work"
    work.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from softrecon.dataset_builders.realcad.builder import folder_lock\n"
            "with folder_lock(sys.argv[1]):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
            str(work),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with pytest.raises(BuildFolderBusy, match=rf"another realcad build .*\"pid\": {holder.pid}"):
            _build(debs, tmp_path / "out")
        assert time.monotonic() - start < 10
        assert not (tmp_path / "out" / "data" / "manifest.csv").exists()
        assert (work / LOCK_NAME).exists()
    finally:
        holder.kill()
        holder.wait()
    _build(debs, tmp_path / "out")  # the lock of a killed build does not block the next
    assert _manifest(tmp_path / "out")["torcs-a-a"]["split"]


# --- split files naming ids without a mesh (build_dataset) ---------------------------------


def _build_dataset_script():
    return importlib.import_module("softrecon.cli.build_dataset")  # behind scripts/build_dataset.py


def test_unmatched_split_ids():
    from softrecon.dataset_builders.mesh_source import unmatched_split_ids

    entries = [MeshEntry("c1", "a", "a.obj"), MeshEntry("c2", "b", "b.obj")]
    assignment = {(None, "a"): "train", (None, "zz"): "val", ("c1", "b"): "test", ("c2", "b"): "train"}
    assert unmatched_split_ids(entries, assignment) == [(None, "zz", "val"), ("c1", "b", "test")]


def test_split_ids_without_a_mesh_are_named_and_refused_with_strict(tmp_path, capsys):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    (meshes / "cube.obj").write_text(chair_obj(back_z=-0.25))
    (tmp_path / "splits.txt").write_text("train cube\ntrain cube_v2\nval lost\n")
    script = _build_dataset_script()
    args = [str(meshes), str(tmp_path / "out"), "--class-id", "things", "--split-file", str(tmp_path / "splits.txt")]
    args += ["--image-size", "8", "--voxel-resolution", "8", "--no-progress"]
    assert script.main(args + ["--strict"]) == script.EXIT_SPLIT_IDS_WITHOUT_MESH
    err = capsys.readouterr().err
    assert "error: 2 ids of" in err and "cube_v2 (train)" in err and "lost (val)" in err
    assert not (tmp_path / "out" / "things_train_ids.txt").exists()  # nothing built
    assert script.main(args) == 0
    assert "warning: 2 ids of" in capsys.readouterr().err
    assert (tmp_path / "out" / "things_train_ids.txt").read_text() == "cube\n"
