"""realcad: the class mapping, the canonical pose, .deb unpacking and the whole builder on
tiny fake packages (no network)."""

import csv
import os
import re

import numpy as np
import pytest
from realcad_fixtures import box_ac, chair_obj, make_deb, record_downloads, sh3f_library

from softrecon.dataset_builders import BuildOptions
from softrecon.dataset_builders.realcad import build_realcad, load_rules
from softrecon.dataset_builders.realcad.catalog import NO_CLASS, SKIP, classify
from softrecon.dataset_builders.realcad.pose import CANONICAL_FRONT, FRONT_ROTATIONS, canonical_pose
from softrecon.dataset_builders.realcad.prepare import PREPARE_VERSION
from softrecon.datasets.classes import SHAPENET_CLASS_NAMES
from softrecon.io.deb import DebError, extract_deb

# Known models of the real packages and the class they must get (None: left out).
KNOWN = [
    ("sh3d", "Chair", "chair"),
    ("sh3d", "Bar stool", "chair"),
    ("sh3d", "Coffee table", "table"),
    ("sh3d", "Desk", "table"),
    ("sh3d", "Corner sofa", "sofa"),
    ("sh3d", "Desk lamp", "lamp"),
    ("sh3d", "Wardrobe", "cabinet"),
    ("sh3d", "TV 16:9", "display"),
    ("sh3d", "Speaker", "loudspeaker"),
    ("sh3d", "Mobile phone", "telephone"),
    ("sh3d", "Bench", "bench"),
    ("sh3d", "VW new beetle", "car"),
    ("sh3d", "Biplane", "airplane"),
    ("sh3d", "Rowboat", "watercraft"),
    ("sh3d", "Table tennis bat", None),
    ("sh3d", "Desk table", "table"),
    ("sh3d", "Opened convertible sofa BZ", None),
    ("sh3d", "Bookcase", None),
    ("fgai", "A320/Models/A320.ac", "airplane"),
    ("fgai", "A330-MRTT/Models/lights/flash.ac", None),
    ("fgai", "balloon/Models/balloon2.ac", None),
    ("fgai", "Jaguar-GR1/jaguar-gr1-low.ac", "airplane"),
    ("fgai", "Lightning/Models/light-red-flare.ac", None),
    ("fgai", "Lightning/Models/Lightning.ac", "airplane"),
    ("fgai", "c182/Models/lights.ac", None),
    ("fgai", "Ferry/FerryBoat1.ac", None),
    ("fgmod", "Maritime/Civilian/Trawler.ac", "watercraft"),
    ("fgmod", "Maritime/Misc/RedBuoy.ac", None),
    ("fgmod", "Maritime/Military/CG-57-high-detail/CG-57.ac", None),
    ("fgmod", "Geometry/Nimitz/vinson.ac", "watercraft"),
    ("fgmod", "Buildings/silo.ac", None),
    ("torcs", "p406/p406.acc", "car"),
    ("torcs", "p406/p406-lod3.acc", None),
]


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.mark.parametrize("source, key, expected", KNOWN)
def test_known_models_get_their_class(rules, source, key, expected):
    rule, reason = classify(rules, source, key)
    assert (rule.class_name if rule else None) == expected, reason


def test_every_class_is_shapenet_and_no_model_in_two_classes(rules):
    classes = {rule.class_id for rule in rules if rule.class_id != SKIP}
    assert classes <= set(SHAPENET_CLASS_NAMES) and len(classes) == 12  # all but rifle
    # Every listed name of a Sweet Home 3D class row goes to that class only.
    for rule in rules:
        if rule.source == "sh3d" and rule.class_id != SKIP:
            for name in re.fullmatch(r"\((.*)\)", rule.pattern.pattern).group(1).split("|"):
                found, _ = classify(rules, "sh3d", name)  # raises on two classes
                assert found is not None and found.class_id == rule.class_id, name


def test_bad_mapping_files_name_the_line(tmp_path):
    header = "source,pattern,class_id,class_name,front,note\n"
    for row, message in [
        ("sh3d,chair,03001627,table,+z,", "not a ShapeNet class"),
        ("nope,chair,03001627,chair,+z,", "unknown source"),
        ("sh3d,(chair,03001627,chair,+z,", "invalid pattern"),
        ("sh3d,chair,03001627,chair,up,", "front must be"),
        ("sh3d,chair,skip,because,+z,", "skip reason"),
    ]:
        path = tmp_path / "classes.csv"
        path.write_text("# comment\n" + header + row + "\n")
        with pytest.raises(ValueError, match=message) as info:
            load_rules(path)
        assert "line 3" in str(info.value)
    path.write_text(header + "sh3d,chair,03001627,chair,+z,\nsh3d,ch.*,04379243,table,+z,\n")
    with pytest.raises(ValueError, match="matches the classes"):
        classify(load_rules(path), "sh3d", "chair")
    assert classify(load_rules(path), "sh3d", "sofa") == (None, NO_CLASS)


@pytest.mark.parametrize("front", sorted(FRONT_ROTATIONS))
def test_canonical_pose_turns_front_to_minus_z_and_keeps_up(front):
    axis = {"x": 0, "z": 2}[front[1]]
    direction = np.zeros(3)
    direction[axis] = 1.0 if front[0] == "+" else -1.0
    rotation = FRONT_ROTATIONS[front]
    np.testing.assert_allclose(rotation @ direction, CANONICAL_FRONT, atol=1e-12)
    np.testing.assert_allclose(rotation @ [0, 1, 0], [0, 1, 0], atol=1e-12)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    points = np.random.default_rng(0).normal(size=(50, 3)) * [3, 1, 2] + 7
    posed = canonical_pose(points, front)
    assert np.ptp(posed, axis=0).max() == pytest.approx(1.0)
    np.testing.assert_allclose((posed.max(0) + posed.min(0)) / 2, 0, atol=1e-12)
    with pytest.raises(ValueError, match="same point"):
        canonical_pose(np.ones((4, 3)), front)


def test_deb_extraction_and_bad_debs(tmp_path):
    deb = tmp_path / "pkg_1_all.deb"
    make_deb(deb, {"usr/share/a/x.ac": b"abc", "usr/share/a/y.txt": b"defg"})
    written = extract_deb(deb, tmp_path / "out", keep=lambda name: name.endswith(".ac"))
    assert written == ["usr/share/a/x.ac"] and (tmp_path / "out/usr/share/a/x.ac").read_bytes() == b"abc"
    truncated = tmp_path / "truncated.deb"
    truncated.write_bytes(deb.read_bytes()[:-50])
    with pytest.raises(DebError, match="truncated"):
        extract_deb(truncated, tmp_path / "t")
    garbage = tmp_path / "garbage.deb"
    garbage.write_bytes(b"PK\x03\x04 not a deb")
    with pytest.raises(DebError, match="not a Debian package"):
        extract_deb(garbage, tmp_path / "g")
    with pytest.raises(DebError, match="cannot read"):
        extract_deb(tmp_path / "missing.deb", tmp_path / "m")


@pytest.fixture(scope="module")
def fake_debs(tmp_path_factory):
    """Two good packages, a corrupt one and a missing one."""
    folder = tmp_path_factory.mktemp("debs")
    furniture = sh3f_library(
        {
            "Chair": chair_obj(back_z=-0.25),  # Sweet Home 3D front +z: the back is at -z
            "Armchair": chair_obj(back_z=-0.25, seat_height=0.4),
            "Oak chair": chair_obj(back_z=-0.25, seat_height=0.6),
            "Folding chair": chair_obj(back_z=-0.25),  # same geometry as "Chair": a duplicate
            "Opened convertible sofa BZ": chair_obj(back_z=-0.25),
            "Lamp": "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n",  # unreadable: index out of range
            "TV": "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 4 3\n",  # flat fragment
            "Vase": chair_obj(back_z=-0.25),  # no class
        }
    )
    make_deb(
        folder / "sweethome3d-furniture_1.8-1_all.deb",
        {
            "usr/share/sweethome3d/furniture/Test.sh3f": furniture,
            "usr/share/doc/sweethome3d-furniture/copyright": b"Format: test\n",
        },
    )
    cars = "usr/share/games/torcs/cars"
    make_deb(
        folder / "torcs-data_1.3.7+dfsg-5_all.deb",
        {
            f"{cars}/a/a.acc": box_ac((4, 1, 2), nose=(4.0, 0.5, 1.0)),  # TORCS: nose along +x
            f"{cars}/a/a-lod1.acc": box_ac((4, 1, 2)),
            f"{cars}/b/b.acc": box_ac((3, 1, 1.5), nose=(3.0, 0.5, 0.75)),
            f"{cars}/c/c.acc": b"AC3Db\nOBJECT world\nkids 1\nOBJECT poly\nnumvert 2\n",  # truncated
        },
    )
    (folder / "flightgear-data-ai_2020_all.deb").write_bytes(b"!<arch>\n" + b"x" * 70)  # corrupt
    record_downloads(folder)
    return folder


@pytest.fixture(scope="module")
def built(fake_debs, tmp_path_factory):
    from softrecon.dataset_builders.realcad import find_debs

    out = tmp_path_factory.mktemp("realcad")
    options = BuildOptions(image_size=16, voxel_resolution=16)
    report = build_realcad(
        out / "data", find_debs(fake_debs), out / "work", options, progress=False, log=lambda line: None
    )
    return out, report, options


def test_builder_on_fake_packages(built, fake_debs):
    out, report, options = built
    rows = {row["model_id"]: row for row in csv.DictReader(open(out / "data" / "manifest.csv"))}
    placed = {m: r for m, r in rows.items() if r["split"]}
    assert sorted(placed) == [
        "sh3d-Test-001-Chair",
        "sh3d-Test-002-Armchair",
        "sh3d-Test-003-Oak-chair",
        "torcs-a-a",
        "torcs-b-b",
    ]
    left = {m: r["left_out"] for m, r in rows.items() if not r["split"]}
    assert left["sh3d-Test-004-Folding-chair"].startswith("duplicate: same geometry as sh3d-Test-001-Chair")
    assert left["sh3d-Test-005-Opened-convertible-sofa-BZ"].startswith("duplicate")
    assert left["sh3d-Test-006-Lamp"].startswith("unreadable") and "out of range" in left["sh3d-Test-006-Lamp"]
    assert left["sh3d-Test-007-TV"].startswith("flat fragment")
    assert left["sh3d-Test-008-Vase"] == NO_CLASS
    assert left["torcs-a-a-lod1"].startswith("lod")
    assert left["torcs-c-c"].startswith("unreadable")
    chair = placed["sh3d-Test-001-Chair"]
    assert (chair["class_id"], chair["class_name"], chair["license"], chair["creator"], chair["faces"]) == (
        "03001627",
        "chair",
        "CC0",
        "Maker 1",
        "36",
    )
    assert chair["path"] == "usr/share/sweethome3d/furniture/Test.sh3f!lib/p1/model.obj"
    assert chair["deb"] == "sweethome3d-furniture_1.8-1_all.deb"
    problems = dict(report.package_problems)
    assert "bad ar member" in problems["flightgear-data-ai"] and "no .deb" in problems["flightgear-data-models"]
    # the dataset: every placed model once, in its class and split files, with its ids
    for class_id, members in (("03001627", 3), ("02958343", 2)):
        ids = []
        for split in ("train", "val", "test"):
            ids_file = out / "data" / f"{class_id}_{split}_ids.txt"
            if ids_file.exists():
                ids += ids_file.read_text().split()
                with np.load(out / "data" / f"{class_id}_{split}_images.npz") as images:
                    assert images[images.files[0]].shape[1:] == (24, 4, 16, 16)
                assert (out / "data" / f"{class_id}_{split}.h5").exists()
        assert sorted(ids) == sorted(m for m, r in placed.items() if r["class_id"] == class_id)
    assert "chair" in (out / "data" / "build_report.txt").read_text()


def prepared_path(meshes, model_id, front):
    """The one prepared mesh of a model in the cache (content-keyed names)."""
    import glob

    (found,) = glob.glob(os.path.join(meshes, glob.escape(model_id) + f"@{front}.*.v{PREPARE_VERSION}.npz"))
    return found


def test_builder_poses_and_resume(built, fake_debs):
    out, report, options = built
    # the chair's back (its top) is behind the seat: +z (front -z); the car's nose is at -z
    with np.load(prepared_path(str(out / "work" / "meshes"), "sh3d-Test-001-Chair", "+z")) as chair:
        vertices = chair["vertices"]
    top = vertices[vertices[:, 1] > vertices[:, 1].max() - 0.05]
    assert top[:, 2].mean() > 0.15  # the seat spans z in [-0.25, 0.25]
    with np.load(prepared_path(str(out / "work" / "meshes"), "torcs-a-a", "+x")) as car:
        vertices = car["vertices"]
    assert vertices[:, 2].min() == pytest.approx(-0.5) and abs(vertices[:, 0]).max() < 0.3  # long along z, nose at -z
    from softrecon.dataset_builders.realcad import find_debs

    again = build_realcad(
        out / "data", find_debs(fake_debs), out / "work", options, progress=False, log=lambda line: None
    )
    assert again.build.cached == 5 and not again.build.failures
    assert again.rows == report.rows


def test_detached_and_effect_objects_are_dropped(tmp_path):
    from softrecon.dataset_builders.realcad.prepare import object_mask
    from softrecon.io.ac3d import read_ac3d

    body = box_ac((10, 2, 3)).decode()
    # append two kids to the world: a 'Wake' plane and a buoy far away
    far = (
        box_ac((0.5, 0.5, 0.5), offset=(60, 0, 0))
        .decode()
        .split("OBJECT world\nkids 1\n", 1)[1]
        .replace('"body"', '"towed"')
    )
    wake = 'OBJECT poly\nname "Wake"\nnumvert 3\n0 0 0\n5 0 0\n0 0 5\nnumsurf 1\nSURF 0x0\nmat 0\nrefs 3\n0 0 0\n1 0 0\n2 0 0\nkids 0\n'
    text = body.replace("OBJECT world\nkids 1\n", "OBJECT world\nkids 3\n") + far + wake
    path = tmp_path / "ship.ac"
    path.write_text(text)
    mesh = read_ac3d(path)
    keep = object_mask(mesh)
    kept = {mesh.object_names[i] for i in np.unique(mesh.face_objects[keep])}
    assert kept == {"body"} and keep.sum() == 12
    # the prepared mesh keeps only the body's vertices, so it normalizes on the body alone
    from softrecon.dataset_builders.realcad.catalog import Candidate
    from softrecon.dataset_builders.realcad.prepare import read_candidate

    vertices, faces, colors = read_candidate(Candidate("m", "fgmod", "k", "p", "p", str(path), "GPL"))
    assert len(vertices) == 8 and faces.max() == 7 and np.ptp(vertices, axis=0).tolist() == [10, 2, 3]


def test_render_selected_views_equal_those_of_all_views():
    from softrecon.dataset_builders.render import render_benchmark_views
    from softrecon.geometry import icosphere

    vertices, faces = icosphere(1)
    vertices = vertices.numpy() * 0.4
    everything = render_benchmark_views(vertices, faces.numpy(), None, 16)
    np.testing.assert_array_equal(
        render_benchmark_views(vertices, faces.numpy(), None, 16, views=[3, 0]), everything[[3, 0]]
    )
    with pytest.raises(ValueError, match="views"):
        render_benchmark_views(vertices, faces.numpy(), None, 16, views=[24])


# Known real models and what their canonical pose must show. Run against a real build:
#   SOFTRECON_REALCAD_WORK=data/realcad/.work python -m pytest tests/datasets/test_realcad.py -k real
REAR_IS_HIGHEST = [  # the tail fin / chair or sofa back is the highest part and behind (+z)
    "fgai-A320-Models-A320",
    "fgai-738-Models-737-800",
    "fgai-c172-Models-c172p",
    "fgai-SpaceShuttle-SpaceShuttle",
    "fgai-747-Models-744",
    "sh3d-Scopia-029-Chair",
    "sh3d-Scopia-092-Chair",
    "sh3d-KatorLegaz-047-Armchair",
    "sh3d-BlendSwap-CC-BY-116-Chair",
]
LONG_ALONG_Z = [  # vehicles: the longest side is front to back (z)
    "torcs-p406-p406",
    "torcs-car1-trb1-car1-trb1",
    "sh3d-BlendSwap-CC-BY-094-Ford-Focus",
    "sh3d-KatorLegaz-069-VW-new-beetle",
    "fgmod-Maritime-Civilian-Trawler",
    "fgmod-Maritime-Military-CG-57-CG57",
    "fgmod-Maritime-Civilian-ContainerShip",
]


def _real_mesh(model_id):
    import glob

    work = os.environ.get("SOFTRECON_REALCAD_WORK")
    if not work:
        pytest.skip("set SOFTRECON_REALCAD_WORK to a realcad build's work folder")
    from softrecon.dataset_builders.realcad.prepare import PREPARE_VERSION

    found = glob.glob(os.path.join(work, "meshes", glob.escape(model_id) + f"@*.v{PREPARE_VERSION}.npz"))
    if not found:
        pytest.skip(f"{model_id} is not in {work}")
    with np.load(found[0]) as mesh:
        return mesh["vertices"]


@pytest.mark.parametrize("model_id", REAR_IS_HIGHEST)
def test_real_models_up_and_facing(model_id):
    vertices = _real_mesh(model_id)
    top = vertices[vertices[:, 1] > vertices[:, 1].max() - 0.02]
    assert top[:, 2].mean() > 0.05, "the highest part should be at the rear (+z): front is -z"
    assert vertices[:, 1].min() == pytest.approx(-np.ptp(vertices[:, 1]) / 2)  # normalized


@pytest.mark.parametrize("model_id", LONG_ALONG_Z)
def test_real_vehicles_lie_along_z(model_id):
    vertices = _real_mesh(model_id)
    sides = np.ptp(vertices, axis=0)
    assert sides[2] == pytest.approx(1.0) and sides[1] < sides[2]
