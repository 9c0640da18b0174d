import math

import pytest
import torch

from softrecon.geometry import icosphere


@pytest.mark.parametrize("orientation", ["axes", "softras"])
@pytest.mark.parametrize(
    "level, num_vertices, num_faces", [(0, 12, 20), (1, 42, 80), (3, 642, 1280), (5, 10242, 20480)]
)
def test_counts_unit_radius_and_outward_ccw(level, num_vertices, num_faces, orientation):
    vertices, faces = icosphere(level, dtype=torch.float64, orientation=orientation)
    assert vertices.shape == (num_vertices, 3) and faces.shape == (num_faces, 3)
    assert faces.dtype == torch.int64
    torch.testing.assert_close(vertices.norm(dim=-1), torch.ones(num_vertices, dtype=torch.float64))
    corners = vertices[faces]
    normal = torch.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0], dim=-1)
    assert ((normal * corners.mean(dim=1)).sum(-1) > 0).all()  # outward
    # Closed 2-manifold: every undirected edge is shared by exactly two faces, once per direction.
    directed = torch.cat([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    assert torch.unique(directed, dim=0).shape[0] == directed.shape[0]
    assert torch.unique(directed.sort(dim=1).values, dim=0).shape[0] * 2 == directed.shape[0]
    assert faces.unique().numel() == num_vertices  # every vertex used


def test_deterministic_fresh_and_typed():
    v1, f1 = icosphere(2)
    v1.add_(1.0)  # editing a result must not touch the cache
    v2, f2 = icosphere(2)
    assert v2.dtype == torch.float32
    torch.testing.assert_close(v2.norm(dim=-1), torch.ones(162))
    assert torch.equal(f1, f2)


@pytest.mark.parametrize("level", [-1, 1.5, True, 11])
def test_bad_level(level):
    with pytest.raises(ValueError, match="level"):
        icosphere(level)


def test_bad_dtype():
    with pytest.raises(ValueError, match="dtype"):
        icosphere(1, dtype=torch.int64)


def test_softras_orientation_is_blenders_icosphere():
    """Poles on +-y, rings at y = +-1/sqrt(5) with the azimuths Blender uses, every later
    vertex a point of the flat subdivided icosahedron projected onto the sphere."""
    vertices, faces = icosphere(3, dtype=torch.float64, orientation="softras")
    degree = torch.bincount(faces.flatten(), minlength=642)  # faces per vertex = valence
    five_valent = vertices[degree == 5]
    assert five_valent.shape[0] == 12
    expected = [(0.0, 1.0, 0.0), (0.0, -1.0, 0.0)]
    radius, height = 2 / math.sqrt(5), 1 / math.sqrt(5)
    for k in range(5):
        expected.append((radius * math.cos(math.radians(72 * k)), height, radius * math.sin(math.radians(72 * k))))
        expected.append(
            (radius * math.cos(math.radians(36 + 72 * k)), -height, radius * math.sin(math.radians(36 + 72 * k)))
        )
    distance = torch.cdist(torch.tensor(expected, dtype=torch.float64), five_valent)
    assert distance.min(dim=1).values.max() < 1e-12
    # Geodesic: vertex 12 onwards lie on the flat faces of the icosahedron before projection,
    # so level 1's new vertices are normalized flat edge midpoints.
    level0, faces0 = icosphere(0, dtype=torch.float64, orientation="softras")
    level1, _ = icosphere(1, dtype=torch.float64, orientation="softras")
    a, b = faces0[0, 0], faces0[0, 1]
    midpoint = (level0[a] + level0[b]) / (level0[a] + level0[b]).norm()
    assert torch.cdist(midpoint[None], level1).min() < 1e-12


def test_pinned_vertices_per_orientation():
    """Vertices with an exactly zero coordinate stay on that coordinate plane under the
    model's sign-keeping deformation: 90 of 642 for 'axes', 70 for 'softras'."""
    axes, _ = icosphere(3, dtype=torch.float64)
    softras, _ = icosphere(3, dtype=torch.float64, orientation="softras")
    assert int((axes == 0).any(dim=1).sum()) == 90
    assert int((softras == 0).any(dim=1).sum()) == 70


def test_bad_orientation():
    with pytest.raises(ValueError, match="orientation"):
        icosphere(1, orientation="blender")
