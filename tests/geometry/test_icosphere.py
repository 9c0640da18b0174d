import pytest
import torch

from softrecon.geometry import icosphere


@pytest.mark.parametrize("level, num_vertices, num_faces", [(0, 12, 20), (1, 42, 80), (3, 642, 1280), (5, 10242, 20480)])
def test_counts_unit_radius_and_outward_ccw(level, num_vertices, num_faces):
    vertices, faces = icosphere(level, dtype=torch.float64)
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
