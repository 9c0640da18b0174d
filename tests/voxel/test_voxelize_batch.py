"""voxelize_batch: exactly voxelize's cells, mesh for mesh, on both back ends (Numba on
the CPU, torch on any device): the analytic shapes of test_voxelize.py, meshes as the
model's decoder deforms its template, self-intersecting and out-of-grid meshes, every
fill mode, per-mesh faces, empty batches and bad inputs."""

import numpy as np
import pytest
import torch

from softrecon.dataset_builders.primitives import box, cylinder
from softrecon.geometry import icosphere
from softrecon.models.decoder import TemplateDecoder
from softrecon.voxel import voxelize, voxelize_batch

BACKENDS = ["numba", "torch"]
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _backend_device_pairs(torch_cpu_slow=False):
    """(backend, device) cases: Numba on the CPU, torch on every device (on the CPU
    marked slow where ``torch_cpu_slow``: the torch path is the GPU's, slow on a CPU)."""
    marks = [pytest.mark.slow] if torch_cpu_slow else []
    pairs = [("numba", "cpu"), pytest.param("torch", "cpu", marks=marks)]
    return pairs + [("torch", device) for device in DEVICES if device != "cpu"]


def _box_mesh(low, high):
    low, high = np.asarray(low, float), np.asarray(high, float)
    return box((low + high) / 2, high - low)


def _expect_same_cells(meshes, resolution=32, fill="flood", backend="numba", device="cpu"):
    """voxelize_batch on (vertices, faces) pairs sharing a face count == voxelize on each."""
    vertices = torch.as_tensor(np.stack([v for v, _ in meshes]), device=device)
    faces = torch.as_tensor(np.stack([f for _, f in meshes]), device=device)
    out = voxelize_batch(vertices, faces, resolution, fill=fill, backend=backend)
    assert out.dtype == torch.bool and out.device.type == device and out.shape == (len(meshes),) + (resolution,) * 3
    for k, (v, f) in enumerate(meshes):
        expected = voxelize(v, f, resolution, fill=fill)
        got = out[k].cpu().numpy()
        assert np.array_equal(got, expected), (
            f"mesh {k}: {int((got != expected).sum())} cells differ ({backend}, {fill}, R={resolution})"
        )
    return out


def _decoded_meshes(count, seed, level=3, spread=1.0):
    """Meshes as the reconstruction model outputs them: the paper's decoder on its
    icosphere template, random weights (``spread`` scales the displacements)."""
    torch.manual_seed(seed)
    template_vertices, template_faces = icosphere(level, dtype=torch.float32)
    decoder = TemplateDecoder(16, template_vertices, template_faces, [32])
    with torch.no_grad():
        decoder.displacement_head.weight.mul_(spread)
        vertices = decoder(torch.randn(count, 16)).double()
    return vertices, template_faces


@pytest.mark.parametrize("backend, device", _backend_device_pairs(torch_cpu_slow=True))
@pytest.mark.parametrize("fill", ["flood", "carve", "none"])
def test_analytic_shapes_give_voxelize_cells(backend, device, fill):
    sphere_vertices, sphere_faces = icosphere(3, dtype=torch.float64)
    shapes = [
        _box_mesh([0.2, 0.1, -0.3], [0.3, 0.2, -0.2]),  # the hand-worked box
        _box_mesh([-0.3] * 3, [0.3] * 3),
        _box_mesh([-0.5] * 3, [0.5] * 3),  # the full unit cube, border cells included
        _box_mesh([-0.4, 0.005, -0.4], [0.4, 0.006, 0.4]),  # thin plate
        _box_mesh([0.6] * 3, [0.9] * 3),  # outside the grid: empty
        _box_mesh([0.01] * 3, [0.9] * 3),  # sticking out: clipped
        cylinder(np.array([-0.4, -0.3, 0.2]), np.array([0.35, 0.4, -0.3]), 0.002, segments=6),  # thin rod
    ]
    for sizes in {(len(v), len(f)) for v, f in shapes}:  # a batch needs one (V, F)
        _expect_same_cells(
            [s for s in shapes if (len(s[0]), len(s[1])) == sizes], fill=fill, backend=backend, device=device
        )
    sphere = (sphere_vertices.numpy() * 0.45, sphere_faces.numpy())
    cracked_upper = sphere[0][sphere[1]].mean(axis=1)[:, 1] > 0
    cracked = (
        np.concatenate([sphere[0], sphere[0] + [0.0, 0.008, 0.0]]),
        np.where(cracked_upper[:, None], sphere[1] + len(sphere[0]), sphere[1]),
    )
    padded_sphere = (np.concatenate([sphere[0], sphere[0]]), sphere[1])  # same V as the cracked one
    _expect_same_cells([padded_sphere, cracked], fill=fill, backend=backend, device=device)


@pytest.mark.parametrize("backend, device", _backend_device_pairs())
def test_decoded_templates_give_voxelize_cells(backend, device):
    # Ordinary predictions, wild ones (self-intersecting, folded), and a resolution
    # that is not 32; faces shared as (F, 3).
    for seed, spread, level, resolution in ((0, 1.0, 3, 32), (1, 8.0, 2, 32), (2, 4.0, 2, 20)):
        vertices, faces = _decoded_meshes(4, seed, level, spread)
        out = voxelize_batch(vertices.to(device), faces.to(device), resolution, backend=backend)
        for k in range(len(vertices)):
            expected = voxelize(vertices[k], faces, resolution)
            assert np.array_equal(out[k].cpu().numpy(), expected), f"seed {seed} mesh {k}"
        assert out.flatten(1).any(dim=1).all()


@pytest.mark.parametrize("backend, device", _backend_device_pairs(torch_cpu_slow=True))
def test_self_intersecting_and_out_of_grid_meshes(backend, device):
    rng = np.random.default_rng(3)
    vertices, faces = icosphere(2, dtype=torch.float64)
    meshes = [
        (vertices.numpy() * 0.35 + rng.normal(0, 0.08, vertices.shape), faces.numpy()) for _ in range(4)
    ]  # crumpled
    meshes.append((vertices.numpy() * 0.9, faces.numpy()))  # larger than the grid
    meshes.append((rng.uniform(-0.6, 0.6, vertices.shape), faces.numpy()))  # triangle soup
    boxes = [
        _box_mesh([-3.0, -0.2, -0.2], [0.2, 0.2, 3.0]),
        _box_mesh([-0.3] * 3, [0.3, 0.3, 2.5]),
    ]  # beyond the growth limit
    for fill in ("flood", "carve"):
        _expect_same_cells(meshes, fill=fill, backend=backend, device=device)
        _expect_same_cells(boxes, fill=fill, backend=backend, device=device)


def test_auto_backend_numba_and_torch_agree_and_follow_the_device():
    vertices, faces = _decoded_meshes(5, 4)
    auto = voxelize_batch(vertices, faces)
    assert torch.equal(auto, voxelize_batch(vertices, faces, backend="torch"))
    assert torch.equal(auto, voxelize_batch(vertices.numpy(), faces.numpy(), backend="numba"))
    per_mesh_faces = faces.expand(len(vertices), -1, -1).clone()
    assert torch.equal(auto, voxelize_batch(vertices.float(), per_mesh_faces.int()))  # any float / int dtypes
    softras = voxelize_batch(vertices, faces, surface="softras")
    for k in range(len(vertices)):
        assert np.array_equal(softras[k].numpy(), voxelize(vertices[k], faces, surface="softras"))


def test_empty_batches_and_meshes():
    assert voxelize_batch(torch.zeros(0, 5, 3), torch.zeros(0, 3, dtype=torch.long), 8).shape == (0, 8, 8, 8)
    for backend in BACKENDS:
        out = voxelize_batch(torch.zeros(2, 4, 3), torch.zeros(0, 3, dtype=torch.long), 8, backend=backend)
        assert out.shape == (2, 8, 8, 8) and not out.any()


@pytest.mark.parametrize(
    "vertices, faces, kwargs, word",
    [
        (torch.zeros(3, 2), torch.zeros(1, 3, dtype=torch.long), {}, "vertices"),
        (torch.zeros(1, 3, 2), torch.zeros(1, 3, dtype=torch.long), {}, "vertices"),
        (torch.zeros(1, 3, 3), torch.zeros(1, 3), {}, "faces"),
        (torch.zeros(2, 3, 3), torch.zeros(3, 1, 3, dtype=torch.long), {}, "faces"),
        (torch.zeros(1, 3, 3), torch.tensor([[0, 1, 3]]), {}, "faces"),
        (torch.full((1, 3, 3), float("nan")), torch.tensor([[0, 1, 2]]), {}, "vertices"),
        (torch.zeros(1, 3, 3), torch.tensor([[0, 1, 2]]), {"resolution": 1}, "resolution"),
        (torch.zeros(1, 3, 3), torch.tensor([[0, 1, 2]]), {"fill": "all"}, "fill"),
        (torch.zeros(1, 3, 3), torch.tensor([[0, 1, 2]]), {"surface": "sampled"}, "surface"),
        (torch.zeros(1, 3, 3), torch.tensor([[0, 1, 2]]), {"backend": "cuda"}, "backend"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_argument(vertices, faces, kwargs, word):
    with pytest.raises(ValueError, match=word):
        voxelize_batch(vertices, faces, **kwargs)
