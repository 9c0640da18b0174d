import struct

import numpy as np
import pytest
import torch

from softrecon.io import MeshLoadError, load_mesh, read_ply

VERTICES = np.array([[0.0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]])
# A quad (triangulated as a fan) and a triangle.
POLYGONS = [[0, 1, 2, 3], [0, 4, 1]]
EXPECTED_FACES = [[0, 1, 2], [0, 2, 3], [0, 4, 1]]
COLORS = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0]], dtype=np.uint8)


def _header(fmt, with_colors, extra_element=False):
    lines = ["ply", f"format {fmt} 1.0", "comment test", f"element vertex {len(VERTICES)}"]
    lines += [f"property float {a}" for a in "xyz"]
    if with_colors:
        lines += [f"property uchar {c}" for c in ("red", "green", "blue")]
    lines += [f"element face {len(POLYGONS)}", "property list uchar int vertex_indices"]
    if extra_element:
        lines += ["element edge 1", "property int vertex1", "property int vertex2"]
    lines += ["end_header"]
    return ("\n".join(lines) + "\n").encode()


def _ascii(with_colors):
    body = _header("ascii", with_colors)
    for v, c in zip(VERTICES, COLORS):
        body += (
            " ".join(str(x) for x in v) + (" " + " ".join(str(x) for x in c) if with_colors else "") + "\n"
        ).encode()
    for p in POLYGONS:
        body += (f"{len(p)} " + " ".join(map(str, p)) + "\n").encode()
    return body


def _binary(order, with_colors, extra_element=False):
    fmt = {"<": "binary_little_endian", ">": "binary_big_endian"}[order]
    body = _header(fmt, with_colors, extra_element)
    for v, c in zip(VERTICES, COLORS):
        body += struct.pack(order + "3f", *v) + (struct.pack("3B", *c) if with_colors else b"")
    for p in POLYGONS:
        body += struct.pack(order + "B", len(p)) + struct.pack(order + f"{len(p)}i", *p)
    if extra_element:
        body += struct.pack(order + "2i", 0, 1)
    return body


@pytest.mark.parametrize("maker", [lambda c: _ascii(c), lambda c: _binary("<", c), lambda c: _binary(">", c)])
@pytest.mark.parametrize("with_colors", [False, True])
def test_formats_polygons_and_colors(tmp_path, maker, with_colors):
    path = tmp_path / "m.ply"
    path.write_bytes(maker(with_colors))
    mesh = load_mesh(path)
    np.testing.assert_allclose(mesh.vertices[0].numpy(), VERTICES)
    assert mesh.faces[0].tolist() == EXPECTED_FACES
    if with_colors:
        np.testing.assert_allclose(mesh.colors[0].numpy(), COLORS / 255.0, rtol=1e-6)
    else:
        assert mesh.colors is None


def test_binary_triangles_fast_path_and_trailing_element(tmp_path):
    path = tmp_path / "tri.ply"
    path.write_bytes(_binary("<", False, extra_element=True))
    raw = read_ply(str(path))
    assert raw.faces.tolist() == EXPECTED_FACES


def test_bad_files(tmp_path):
    path = tmp_path / "bad.ply"
    path.write_bytes(b"not a ply\n")
    with pytest.raises(MeshLoadError, match="malformed"):
        load_mesh(path)
    path.write_bytes(_binary("<", False)[:-6])  # truncated
    with pytest.raises(MeshLoadError, match="ends early") as info:
        load_mesh(path)
    assert str(path) in str(info.value)
    bad = _ascii(False).replace(b"4 0 1 2 3", b"4 0 1 2 7")
    path.write_bytes(bad)
    with pytest.raises(MeshLoadError, match="out of range"):
        load_mesh(path)
    no_faces = _ascii(False).replace(f"element face {len(POLYGONS)}".encode(), b"element face 0")
    path.write_bytes(no_faces)
    with pytest.raises(MeshLoadError, match="no faces"):
        load_mesh(path)


def test_nan_coordinates(tmp_path):
    path = tmp_path / "nan.ply"
    path.write_bytes(_ascii(False).replace(b"\n1.0 0.0 0.0\n", b"\nnan 0.0 0.0\n", 1))
    with pytest.raises(MeshLoadError, match="NaN"):
        load_mesh(path)


def test_dtype_option(tmp_path):
    path = tmp_path / "m.ply"
    path.write_bytes(_ascii(False))
    assert load_mesh(path, dtype=torch.float64).vertices.dtype == torch.float64
