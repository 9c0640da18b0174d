import numpy as np
import pytest

from softrecon.io import MeshLoadError
from softrecon.io.ac3d import read_ac3d, strip_triangles, triangulate_polygon

# Two materials; the world holds a quad (object with loc) whose kid is a triangle shifted
# again (nested loc) and rotated (rot), an L-shaped hexagon, a line that is skipped, and
# statements that are ignored (crease, subdiv, texture, data spanning two lines).
AC_FILE = """AC3Db
MATERIAL "red" rgb 1 0 0  amb 0.2 0.2 0.2  emis 0 0 0  spec 0.5 0.5 0.5  shi 10  trans 0
MATERIAL "blue" rgb 0 0 1  amb 0.2 0.2 0.2  emis 0 0 0  spec 0.5 0.5 0.5  shi 10  trans 0
OBJECT world
kids 3
OBJECT poly
name "quad"
data 11
hello
world
loc 10 0 0
texture "skin.png"
crease 45.0
subdiv 2
numvert 4
0 0 0
1 0 0
1 1 0
0 1 0
numsurf 2
SURF 0x10
mat 0
refs 4
0 0 0
1 1 0
2 1 1
3 0 1
SURF 0x2
mat 1
refs 2
0 0 0
2 1 1
kids 1
OBJECT poly
name "kid"
loc 0 5 0
rot 0 1 0 -1 0 0 0 0 1
numvert 3
1 0 0
0 1 0
0 0 1
numsurf 1
SURF 0x30
mat 1
refs 3
0 0 0
1 0 0
2 0 0
kids 0
OBJECT poly
name "L"
numvert 6
0 0 0
2 0 0
2 1 0
1 1 0
1 2 0
0 2 0
numsurf 1
SURF 0x0
mat 1
refs 6
0 0 0
1 0 0
2 0 0
3 0 0
4 0 0
5 0 0
kids 0
OBJECT group
name "empty group"
kids 0
"""


def _area(vertices, faces):
    tri = vertices[faces]
    return 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1).sum()


def test_objects_transforms_materials_and_polygons(tmp_path):
    path = tmp_path / "model.ac"
    path.write_text(AC_FILE)
    mesh = read_ac3d(path)
    assert mesh.object_names == ["", "quad", "kid", "L", "empty group"]
    # quad: 2 triangles, the line skipped; kid: 1; L hexagon: 4 (ear clipping)
    assert mesh.faces.shape == (7, 3)
    assert mesh.face_objects.tolist() == [1, 1, 2, 3, 3, 3, 3]
    np.testing.assert_allclose(mesh.face_colors[:2], [[1, 0, 0]] * 2)
    np.testing.assert_allclose(mesh.face_colors[2:], [[0, 0, 1]] * 5)
    quad = mesh.vertices[:4]
    np.testing.assert_allclose(quad, [[10, 0, 0], [11, 0, 0], [11, 1, 0], [10, 1, 0]])  # loc 10 0 0
    # kid: p_world = (p @ rot + loc_kid) + loc_parent, rot rows (0 1 0), (-1 0 0), (0 0 1)
    kid = mesh.vertices[4:7]
    np.testing.assert_allclose(kid, [[10, 6, 0], [9, 5, 0], [10, 5, 1]])
    # the L's area (3) is kept exactly: no triangle outside the polygon
    l_faces = mesh.faces[mesh.face_objects == 3]
    assert _area(mesh.vertices, l_faces) == pytest.approx(3.0)
    # winding kept: every L triangle has the polygon's normal (+z)
    tri = mesh.vertices[l_faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    assert (normals[:, 2] > 0).all()


def test_triangulate_polygon_convex_fan_and_concave():
    square = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], float)
    assert triangulate_polygon(square) == [(0, 1, 2), (0, 2, 3)]
    # a concave "arrow" where the fan from corner 0 would leave the polygon
    arrow = np.array([[0, 0, 0], [2, 1, 0], [0, 2, 0], [1, 1, 0]], float)
    triangles = triangulate_polygon(arrow)
    assert len(triangles) == 2
    assert _area(arrow, np.array(triangles)) == pytest.approx(1.0)  # the arrow's area


def test_triangle_strip_acc(tmp_path):
    # TORCS .acc: vertices carry normals, references several UV pairs, SURF type 4 = strip
    text = (
        'AC3Db\nMATERIAL "m" rgb 0.5 0.5 0.5 amb 1 1 1 emis 0 0 0 spec 0 0 0 shi 0 trans 0\n'
        'OBJECT world\nkids 1\nOBJECT poly\nname "strip"\n'
        'texture "a.rgb" base\ntexture "b.rgb" tiled\nnumvert 5\n'
        "0 0 0 0 0 1\n1 0 0 0 0 1\n0 1 0 0 0 1\n1 1 0 0 0 1\n2 1 0 0 0 1\nnumsurf 1\nSURF 0x34\nmat 0\nrefs 6\n"
        "0 0 0 0.1 0.1\n1 1 0 0.1 0.1\n2 0 1 0.1 0.1\n3 1 1 0.1 0.1\n3 1 1 0.1 0.1\n4 1 1 0.1 0.1\nkids 0\n"
    )
    path = tmp_path / "car.acc"
    path.write_text(text)
    mesh = read_ac3d(path)
    # strip 0 1 2 3 3 4: triangles (0 1 2), (2 1 3) flipped, then two degenerate ones dropped
    assert mesh.faces.tolist() == [[0, 1, 2], [2, 1, 3]]
    assert strip_triangles([0, 1, 2, 3, 3, 4]) == [(0, 1, 2), (2, 1, 3)]


def test_fewer_kids_than_announced_is_read_to_the_end(tmp_path):
    path = tmp_path / "short.ac"
    path.write_text(AC_FILE.replace("kids 3\n", "kids 7\n", 1))
    assert read_ac3d(path).faces.shape == (7, 3)


@pytest.mark.parametrize(
    "text, message",
    [
        ("hello\n", "not an AC3D file"),
        ("AC3Db\nOBJECT world\nkids 1\nOBJECT poly\nnumvert 3\n0 0 0\n1 0 0\n", "ends"),
        ("AC3Db\nOBJECT world\nkids 0\n", "no polygons"),
        (
            "AC3Db\nOBJECT poly\nnumvert 1\n0 0 0\nnumsurf 1\nSURF 0x0\nrefs 3\n0 0 0\n1 0 0\n2 0 0\nkids 0\n",
            "refers to vertex",
        ),
        ("AC3Db\nOBJECT poly\nnumvert 1\n0 0 x\nkids 0\n", "cannot parse the vertex"),
        ("AC3Db\nOBJECT poly\nbogus 1\nkids 0\n", "unknown statement"),
        ('AC3Db\nMATERIAL "m" amb 1 1 1\n', "MATERIAL without"),
    ],
)
def test_malformed_files_name_the_file_and_reason(tmp_path, text, message):
    path = tmp_path / "bad.ac"
    path.write_text(text)
    with pytest.raises(MeshLoadError, match=message) as info:
        read_ac3d(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(MeshLoadError, match="cannot read"):
        read_ac3d(tmp_path / "nope.ac")
