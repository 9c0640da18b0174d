import zipfile

import numpy as np
import pytest

from softrecon.io import MeshLoadError
from softrecon.io.sh3f import parse_properties, read_catalog, read_furniture_model

CATALOG = """# PluginFurnitureCatalog.properties
id=Test#Library
license=CC0 \\
  public domain

id#1=Test#chair
name#1=Chair \\u00e0 bascule
category#1=Living room
model#1=/lib/chair/chair.obj
creator#1=Someone
modelRotation#1=1 0 0 0 0 1 0 -1 0

id#2=Test#lost
name#2=Lost
model#2=/lib/lost/lost.obj
"""
OBJ = "mtllib chair.mtl\nv 0 0 0\nv 1 0 0\nv 0 0 2\nusemtl wood\nf 1 2 3\nf 1 2\n"  # a line as a face: dropped
MTL = "newmtl wood\nKd 0.5 0.25 0\n"


@pytest.fixture
def library(tmp_path):
    path = tmp_path / "Test.sh3f"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("PluginFurnitureCatalog.properties", CATALOG.encode("latin-1"))
        archive.writestr("lib/chair/chair.obj", OBJ)
        archive.writestr("lib/chair/chair.mtl", MTL)
    return path


def test_properties_continuations_and_escapes():
    props = parse_properties(CATALOG)
    assert props["license"] == "CC0 public domain"
    assert props["name#1"] == "Chair \u00e0 bascule"


def test_catalog_entries(library):
    first, second = read_catalog(library)
    assert (first.library, first.index, first.name, first.category, first.model, first.creator, first.license) == (
        "Test",
        1,
        "Chair \u00e0 bascule",
        "Living room",
        "lib/chair/chair.obj",
        "Someone",
        "CC0 public domain",
    )
    assert first.model_rotation == (1, 0, 0, 0, 0, 1, 0, -1, 0)
    assert second.model_rotation is None and second.name == "Lost"


def test_model_read_with_material_colors_and_rotation(library):
    entry = read_catalog(library)[0]
    raw = read_furniture_model(library, entry)
    # modelRotation rows (1 0 0), (0 0 1), (0 -1 0) applied as v' = M v: (x, y, z) -> (x, z, -y)
    np.testing.assert_allclose(raw.vertices, [[0, 0, 0], [1, 0, 0], [0, 2, 0]])
    assert raw.faces.tolist() == [[0, 1, 2]]
    np.testing.assert_allclose(raw.colors, [[0.5, 0.25, 0]] * 3)


def test_missing_model_and_bad_library(library, tmp_path):
    with pytest.raises(MeshLoadError, match="missing from the library"):
        read_furniture_model(library, read_catalog(library)[1])
    bad = tmp_path / "bad.sh3f"
    bad.write_bytes(b"not a zip")
    with pytest.raises(MeshLoadError, match="not a readable furniture library"):
        read_catalog(bad)
