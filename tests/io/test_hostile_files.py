"""Small crafted files must not take unbounded memory, disk or time: every reader
bounds what it allocates by what the file really holds and by the limits of
``softrecon.io.limits`` (docs/PROMISES.md, section 7). Each file here is a few hundred
bytes to a few KB; the readers before these limits hung, blocked, filled memory or
disk, or crashed with an error that did not name the file."""

import io
import lzma
import os
import tarfile
import warnings
import zipfile

import numpy as np
import pytest
from PIL import Image

from softrecon.io import MeshLoadError, limits, load_mesh, read_obj, read_ply
from softrecon.io.ac3d import read_ac3d
from softrecon.io.deb import DebError, ar_members, extract_deb
from softrecon.io.sh3f import read_catalog, read_furniture_model

TRIANGLE = "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\n"


def _ar(members):
    out = b"!<arch>\n"
    for name, data, size_field in members:
        header = f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{size_field:<10}`\n".encode()
        assert len(header) == 60
        out += header + data + (b"\n" if len(data) % 2 else b"")
    return out


def _deb(path, data_member: bytes, name="data.tar.xz"):
    path.write_bytes(_ar([("debian-binary", b"2.0\n", "4"), (name, data_member, str(len(data_member)))]))
    return path


def _tar_xz(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo("./" + name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _gnu_sparse_tar(name: str, real_size: int) -> bytes:
    """An old-GNU sparse tar member: one byte of data stored at the end of a file of
    ``real_size`` bytes (all holes before it)."""
    header = bytearray(512)
    header[0 : len(name)] = name.encode()
    header[100:108] = b"0000644\0"
    header[108:116] = header[116:124] = b"0000000\0"
    header[124:136] = b"%011o\0" % 1  # stored data: 1 byte
    header[136:148] = b"%011o\0" % 0
    header[156:157] = b"S"
    header[257:265] = b"ustar  \0"
    header[386:398] = b"%011o\0" % (real_size - 1)  # sparse map: (offset, bytes)
    header[398:410] = b"%011o\0" % 1
    header[483:495] = b"%011o\0" % real_size
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header) + b"x" + b"\0" * 511 + b"\0" * 1024


# --- .deb ---------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_a_negative_ar_member_size_is_refused_not_looped_on(tmp_path):
    deb = tmp_path / "neg.deb"
    deb.write_bytes(_ar([("debian-binary", b"", "-60")]))  # 68 bytes: the header points back at itself
    assert len(deb.read_bytes()) == 68
    with pytest.raises(DebError, match="bad ar member size '-60'"):
        ar_members(deb)


def test_a_sparse_tar_member_is_refused_before_writing(tmp_path):
    data = lzma.compress(_gnu_sparse_tar("./usr/share/big.ac", 64 << 20))
    deb = _deb(tmp_path / "sparse.deb", data)
    assert deb.stat().st_size < 500
    with pytest.raises(DebError, match="sparse"):
        extract_deb(deb, tmp_path / "out")
    written = sum(f.stat().st_size for f in (tmp_path / "out").rglob("*") if f.is_file())
    assert written == 0


def test_a_data_member_that_decompresses_past_its_budget_is_refused(tmp_path):
    deb = _deb(tmp_path / "bomb.deb", _tar_xz({"usr/share/zeros.ac": bytes(8 << 20)}))
    assert deb.stat().st_size < 4000  # 8 MiB of zeros in about 1.5 KB
    with limits.raised(expansion_floor_bytes=1 << 20):
        with pytest.raises(DebError, match="expansion_ratio.*SOFTRECON_LIMIT_EXPANSION_RATIO"):
            extract_deb(deb, tmp_path / "out")
        # skipped members count too: the budget bounds the time spent seeking over them
        with pytest.raises(DebError, match="expansion_ratio"):
            extract_deb(deb, tmp_path / "out2", keep=lambda name: False)
    assert extract_deb(deb, tmp_path / "out3") == ["usr/share/zeros.ac"]  # within the default limits


def test_member_size_and_entry_count_limits(tmp_path):
    deb = _deb(tmp_path / "p.deb", _tar_xz({f"usr/share/{k}.ac": b"x" * 2000 for k in range(5)}))
    with limits.raised(member_bytes=1000), pytest.raises(DebError, match="member_bytes"):
        extract_deb(deb, tmp_path / "a")
    with limits.raised(archive_bytes=5000), pytest.raises(DebError, match="archive_bytes"):
        extract_deb(deb, tmp_path / "b")
    with limits.raised(archive_members=3), pytest.raises(DebError, match="archive_members"):
        extract_deb(deb, tmp_path / "c")


# --- OBJ, materials and textures ----------------------------------------------------


def _textured_obj(folder, mtl_name="m.mtl", mtl_text=None, texture_name="t.png"):
    folder.mkdir(parents=True, exist_ok=True)
    obj = folder / "model.obj"
    obj.write_text(f"mtllib {mtl_name}\nusemtl red\n{TRIANGLE}f 1/1 2/2 3/3\n")
    if mtl_text is None:
        mtl_text = f"newmtl red\nKd 1 1 1\nmap_Kd {texture_name}\n"
    if not os.path.isabs(mtl_name) and "/" not in mtl_name:
        (folder / mtl_name).write_text(mtl_text)
    return obj


@pytest.mark.timeout(30)
def test_mtllib_naming_a_device_is_not_read(tmp_path):
    obj = tmp_path / "model.obj"
    obj.write_text(f"mtllib /dev/zero\nusemtl red\n{TRIANGLE}f 1 2 3\n")
    with pytest.warns(UserWarning, match="outside the folder"):
        raw = read_obj(str(obj))
    assert raw.colors is None and len(raw.faces) == 1


@pytest.mark.timeout(30)
def test_material_files_outside_the_folder_or_not_regular_are_refused(tmp_path):
    secret = tmp_path / "secret.mtl"
    secret.write_text("newmtl red\nKd 1 0 0\n")
    model = tmp_path / "model"
    model.mkdir()
    (model / "link.mtl").symlink_to(secret)
    os.mkfifo(model / "fifo.mtl")  # opening it for reading would block
    for name, message in (
        ("../secret.mtl", "outside the folder"),
        (str(secret), "outside the folder"),
        ("link.mtl", "outside the folder"),
        ("fifo.mtl", "not a regular file"),
    ):
        obj = model / "model.obj"
        obj.write_text(f"mtllib {name}\nusemtl red\n{TRIANGLE}f 1 2 3\n")
        with pytest.warns(UserWarning, match=message):
            assert read_obj(str(obj)).colors is None, name


def test_texture_outside_the_folder_is_refused(tmp_path):
    Image.new("RGB", (2, 2), (255, 0, 0)).save(tmp_path / "outside.png")
    obj = _textured_obj(tmp_path / "model", texture_name="../outside.png")
    with pytest.warns(UserWarning, match="outside the folder"):
        raw = read_obj(str(obj))
    assert raw.materials[0].texture is None


def test_texture_pixel_limit_and_uint8_storage(tmp_path):
    obj = _textured_obj(tmp_path / "model")
    Image.new("RGB", (300, 300), (255, 0, 0)).save(tmp_path / "model" / "t.png")  # 90000 pixels, ~1 KB
    raw = read_obj(str(obj))
    assert raw.materials[0].texture.dtype == np.uint8  # 3 bytes a pixel, not 24
    np.testing.assert_allclose(raw.colors, [[1, 0, 0]] * 3)
    with limits.raised(texture_pixels=10_000):
        with pytest.warns(UserWarning, match="300 x 300 pixels.*texture_pixels"):
            raw = read_obj(str(obj))
    assert raw.materials[0].texture is None  # Kd only
    mesh = load_mesh(obj, texture_resolution=2)  # baking converts the uint8 texture
    np.testing.assert_allclose(mesh.colors[0, 0].numpy(), [[1, 0, 0]] * 4, atol=1e-6)


def test_texture_file_size_limit(tmp_path):
    obj = _textured_obj(tmp_path / "model")
    Image.new("RGB", (8, 8)).save(tmp_path / "model" / "t.png")
    with limits.raised(texture_file_bytes=10), pytest.warns(UserWarning, match="texture_file_bytes"):
        assert read_obj(str(obj)).materials[0].texture is None


def test_obj_face_index_beyond_int64_names_the_file(tmp_path):
    obj = tmp_path / "big_index.obj"
    obj.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 99999999999999999999999\n")
    with pytest.raises(MeshLoadError, match=r"big_index\.obj: line 4: .*beyond any vertex"):
        read_obj(str(obj))


@pytest.mark.timeout(30)
def test_a_mesh_path_that_is_not_a_regular_file_is_refused(tmp_path):
    os.mkfifo(tmp_path / "pipe.obj")
    for reader in (read_obj, read_ply, read_ac3d):
        with pytest.raises(MeshLoadError, match="not a regular file"):
            reader(str(tmp_path / "pipe.obj"))


def test_mesh_size_and_count_limits(tmp_path):
    obj = tmp_path / "m.obj"
    obj.write_text(TRIANGLE + "f 1 2 3\nf 1 2 3\n")
    with limits.raised(mesh_file_bytes=20), pytest.raises(MeshLoadError, match="mesh_file_bytes"):
        read_obj(str(obj))
    with limits.raised(mesh_faces=1), pytest.raises(MeshLoadError, match="mesh_faces"):
        read_obj(str(obj))
    with limits.raised(mesh_vertices=2), pytest.raises(MeshLoadError, match="mesh_vertices"):
        read_obj(str(obj))


# --- PLY ----------------------------------------------------------------------------


def test_ply_counts_are_checked_against_the_file_and_the_limits(tmp_path):
    header = "ply\nformat binary_little_endian 1.0\nelement vertex {n}\nproperty float x\nproperty float y\nproperty float z\n"
    face = "element face 1\nproperty list uchar int vertex_indices\nend_header\n"
    good = tmp_path / "good.ply"
    good.write_bytes(
        (header.format(n=3) + face).encode()
        + np.array([0, 0, 0, 1, 0, 0, 0, 1, 0], "<f4").tobytes()
        + b"\x03"
        + np.array([0, 1, 2], "<i4").tobytes()
    )
    assert len(read_ply(str(good)).faces) == 1
    with limits.raised(mesh_vertices=2), pytest.raises(MeshLoadError, match="mesh_vertices"):
        read_ply(str(good))
    negative = tmp_path / "negative.ply"
    negative.write_bytes((header.format(n=-1) + face).encode() + bytes(64))
    with pytest.raises(MeshLoadError, match="negative element count"):
        read_ply(str(negative))
    signed = tmp_path / "signed.ply"  # a list length of -1 (a signed char count)
    signed.write_bytes(
        (header.format(n=3) + face.replace("uchar", "char")).encode()
        + np.array([0, 0, 0, 1, 0, 0, 0, 1, 0], "<f4").tobytes()
        + b"\xff"
        + bytes(4000)
    )
    with pytest.raises(MeshLoadError, match="list length"):
        read_ply(str(signed))


# --- AC3D ---------------------------------------------------------------------------


def test_deeply_nested_ac3d_objects_name_the_file_and_the_limit(tmp_path):
    depth = 3000  # past Python's recursion limit
    text = "AC3Db\n" + "OBJECT group\nkids 1\n" * depth + "OBJECT poly\nkids 0\n"
    path = tmp_path / "deep.ac"
    path.write_text(text)
    with pytest.raises(MeshLoadError, match=r"deep\.ac: .*nesting_depth"):
        read_ac3d(path)


def test_ac3d_polygon_corner_limit(tmp_path):
    corners = 50
    points = "\n".join(f"{np.cos(a)} {np.sin(a)} 0" for a in np.linspace(0, 6, corners))
    refs = "\n".join(f"{k} 0 0" for k in range(corners))
    path = tmp_path / "poly.ac"
    path.write_text(
        f"AC3Db\nOBJECT poly\nnumvert {corners}\n{points}\nnumsurf 1\nSURF 0x0\nrefs {corners}\n{refs}\nkids 0\n"
    )
    assert len(read_ac3d(path).faces) == corners - 2
    with limits.raised(polygon_corners=20), pytest.raises(MeshLoadError, match="polygon_corners"):
        read_ac3d(path)


# --- .sh3f (zip) --------------------------------------------------------------------


def _library(path, members):
    catalog = "id=L\nlicense=CC0\nid#1=L#1\nname#1=Box\nmodel#1=/lib/p1/model.obj\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("PluginFurnitureCatalog.properties", catalog)
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_zip_member_that_inflates_past_the_ratio_is_refused(tmp_path):
    library = _library(
        tmp_path / "bomb.sh3f", {"lib/p1/model.obj": TRIANGLE + "f 1 2 3\n", "lib/p1/t.png": bytes(8 << 20)}
    )
    assert library.stat().st_size < 20_000
    (entry,) = read_catalog(library)
    assert len(read_furniture_model(library, entry).faces) == 1  # 8 MiB within the default floor
    with limits.raised(expansion_floor_bytes=1 << 20):
        with pytest.raises(MeshLoadError, match=r"bomb\.sh3f!lib/p1/model\.obj: .*t\.png.*expansion_ratio"):
            read_furniture_model(library, entry)
    with limits.raised(member_bytes=1 << 20), pytest.raises(MeshLoadError, match="member_bytes"):
        read_furniture_model(library, entry)
    with limits.raised(archive_members=2), pytest.raises(MeshLoadError, match="archive_members"):
        read_catalog(library)


# --- the limits themselves ----------------------------------------------------------


def test_limits_are_raised_through_the_environment(monkeypatch):
    default = limits.ReadLimits().texture_pixels
    assert limits.current().texture_pixels == default
    monkeypatch.setenv("SOFTRECON_LIMIT_TEXTURE_PIXELS", "67_108_864")
    assert limits.current().texture_pixels == 67_108_864
    monkeypatch.setenv("SOFTRECON_LIMIT_TEXTURE_PIXELS", "-5")
    with pytest.raises(ValueError, match="SOFTRECON_LIMIT_TEXTURE_PIXELS must be a positive integer"):
        limits.current()
    monkeypatch.delenv("SOFTRECON_LIMIT_TEXTURE_PIXELS")
    monkeypatch.setenv("SOFTRECON_LIMIT_TEXTURE_PIXEL", "5")
    with pytest.raises(ValueError, match="no such limit"):
        limits.current()
    monkeypatch.delenv("SOFTRECON_LIMIT_TEXTURE_PIXEL")
    with limits.raised(texture_pixels=5):
        assert os.environ["SOFTRECON_LIMIT_TEXTURE_PIXELS"] == "5"
    assert "SOFTRECON_LIMIT_TEXTURE_PIXELS" not in os.environ
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="no such limit"), limits.raised(pixels=5):
            pass
