"""Tiny fake Debian packages for the realcad tests, written in pure Python (ar + tar.xz)."""

import hashlib
import io
import json
import os
import tarfile
import zipfile
from typing import Dict

AR_MAGIC = b"!<arch>\n"


def _ar_member(name: str, data: bytes) -> bytes:
    header = f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode()
    assert len(header) == 60
    return header + data + (b"\n" if len(data) % 2 else b"")


def make_deb(path, files: Dict[str, bytes]) -> None:
    """Write a .deb whose data.tar.xz holds ``files`` ({'usr/share/...': bytes})."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo("./" + name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    control = io.BytesIO()
    with tarfile.open(fileobj=control, mode="w:xz"):
        pass
    with open(path, "wb") as handle:
        handle.write(
            AR_MAGIC
            + _ar_member("debian-binary", b"2.0\n")
            + _ar_member("control.tar.xz", control.getvalue())
            + _ar_member("data.tar.xz", buffer.getvalue())
        )


def record_downloads(folder) -> None:
    """Write ``verified.json`` for every .deb in ``folder`` as ``download_debs`` does after
    ``apt-get download`` (size and sha256 as the archive's index would give them)."""
    records = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".deb"):
            data = open(os.path.join(folder, name), "rb").read()
            records[name] = dict(size=len(data), sha256=hashlib.sha256(data).hexdigest(), source="a test's index")
    with open(os.path.join(folder, "verified.json"), "w") as handle:
        json.dump(records, handle)


def box_ac(size=(1.0, 1.0, 1.0), offset=(0.0, 0.0, 0.0), nose=None) -> bytes:
    """An AC3D closed box of the given size at ``offset`` (quads), optionally with a
    small second box (a 'nose' or 'fin') at the given centre, as a kid object."""
    sx, sy, sz = size
    ox, oy, oz = offset
    corners = [(ox + x * sx, oy + y * sy, oz + z * sz) for x in (0, 1) for y in (0, 1) for z in (0, 1)]
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]

    def block(name, points):
        lines = ["OBJECT poly", f'name "{name}"', f"numvert {len(points)}"]
        lines += [f"{x} {y} {z}" for x, y, z in points]
        lines.append(f"numsurf {len(quads)}")
        for quad in quads:
            lines += ["SURF 0x10", "mat 0", "refs 4"] + [f"{i} 0 0" for i in quad]
        return lines

    lines = [
        "AC3Db",
        'MATERIAL "grey" rgb 0.6 0.6 0.6 amb 0.2 0.2 0.2 emis 0 0 0 spec 0 0 0 shi 0 trans 0',
        "OBJECT world",
        "kids 1",
    ]
    lines += block("body", corners)
    if nose is None:
        lines.append("kids 0")
    else:
        cx, cy, cz = nose
        small = [
            (cx - 0.1 + 0.2 * x, cy - 0.1 + 0.2 * y, cz - 0.1 + 0.2 * z) for x in (0, 1) for y in (0, 1) for z in (0, 1)
        ]
        lines += ["kids 1"] + block("nose", small) + ["kids 0"]
    return ("\n".join(lines) + "\n").encode()


def sh3f_library(pieces: Dict[str, str], license_line: str = "CC0") -> bytes:
    """A .sh3f zip with one OBJ per piece {name: obj text} (folder = piece index)."""
    buffer = io.BytesIO()
    lines = ["id=Test#Lib", f"license={license_line}"]
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, (name, obj) in enumerate(pieces.items(), start=1):
            lines += [
                f"id#{index}=Test#{index}",
                f"name#{index}={name}",
                f"model#{index}=/lib/p{index}/model.obj",
                f"creator#{index}=Maker {index}",
            ]
            archive.writestr(f"lib/p{index}/model.obj", obj)
        archive.writestr("PluginFurnitureCatalog.properties", "\n".join(lines) + "\n")
    return buffer.getvalue()


def chair_obj(back_z: float, seat_height: float = 0.5) -> str:
    """A crude chair: a closed seat slab and a closed back slab at z = back_z (y up)."""

    def slab(x0, y0, z0, x1, y1, z1, base):
        v = [(x, y, z) for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)]
        quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
        return [f"v {x} {y} {z}" for x, y, z in v], [f"f {' '.join(str(base + i + 1) for i in q)}" for q in quads]

    sv, sf = slab(-0.25, seat_height - 0.05, -0.25, 0.25, seat_height, 0.25, 0)
    z0, z1 = (back_z - 0.05, back_z) if back_z > 0 else (back_z, back_z + 0.05)
    bv, bf = slab(-0.25, seat_height, z0, 0.25, seat_height + 0.5, z1, 8)
    lv, lf = slab(-0.25, 0.0, -0.25, 0.25, seat_height - 0.05, 0.25, 16)
    return "\n".join(sv + bv + lv + sf + bf + lf) + "\n"
