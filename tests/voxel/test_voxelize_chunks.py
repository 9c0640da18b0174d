"""Voxelizing the triangles a chunk at a time (to bound memory) marks
the same cells as all at once."""

import importlib

import numpy as np
import pytest
import torch

from softrecon.dataset_builders.primitives import box
from softrecon.geometry import icosphere
from softrecon.voxel import voxelize

voxelize_module = importlib.import_module(
    "softrecon.voxel.voxelize"
)  # the module (the package exports a function of that name)


@pytest.mark.parametrize("surface", ["exact", "softras"])
@pytest.mark.parametrize("fill", ["flood", "carve", "none"])
def test_chunked_voxelization_equals_all_at_once(monkeypatch, surface, fill):
    sphere_v, sphere_f = icosphere(2, dtype=torch.float64)
    box_v, box_f = box((0.3, -0.2, 0.1), (0.5, 0.4, 0.6))  # pokes out of the unit grid: a grown work grid
    meshes = [(sphere_v.numpy() * 0.45, sphere_f.numpy()), (box_v, box_f)]
    whole = [voxelize(v, f, 16, fill, surface) for v, f in meshes]
    monkeypatch.setattr(voxelize_module, "FACES_PER_CHUNK", 7)
    for (v, f), expected in zip(meshes, whole):
        assert expected.any()
        assert np.array_equal(voxelize(v, f, 16, fill, surface), expected)
