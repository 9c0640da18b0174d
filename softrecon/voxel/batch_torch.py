"""The batched voxelizer in torch, for any device (the GPU path of ``voxelize_batch``).

Gives exactly the cells of ``voxelize`` (softrecon/voxel/voxelize.py) for the 'exact'
surface and every fill mode: the same float64 arithmetic in the same order (grid
coordinates, per-mesh work-grid origin, the ten separating axes of the triangle / cube
test, ``_dot3``'s summation order), so even round-off agrees. Two reformulations make it
a few dense tensor operations per batch, neither changes a result:

- The nine edge axes of the separating-axis test are cube axis x triangle edge, so their
  test depends on only two of the cell's three coordinates (it is the 2D test of the
  triangle's projection along that cube axis; np.cross's zero components drop out
  exactly). They are evaluated on the three 2D faces of each triangle's candidate box
  and broadcast; only the plane test runs on the 3D box. Triangles are grouped by
  (padded) candidate-box size so every group is one dense tensor.
- The fill runs on bit-packed grids: bit b of a word is mesh b of a group of 64, so one
  int64 operation moves 64 meshes. The flood fill propagates the outside along whole
  lines of each axis (logarithmic shift-and-mask steps) and repeats the three axes until
  nothing changes; the border of a work grid holding every mesh's own work grid seeds it
  (the extra cells are empty and connected to that border, so no mesh's outside changes).

On a CPU the Numba kernel (batch_numba.py) is much faster; this path is what runs on a
GPU, and the tests run it on the CPU against ``voxelize``.

Shape symbols: N meshes, F faces, R resolution, T triangles, W = ceil(N / 64) words,
(X, Y, Z) work-grid size.
"""

from __future__ import annotations

from typing import Tuple

import torch

from .voxelize import MAX_GROWTH_FACTOR, OVERLAP_SLACK, PAD_CELLS

# Bits of one packed word: int64 words, one mesh per bit (bit 63 included: only bitwise
# operations touch the words).
WORD_BITS = 64
# Bound on candidate (triangle, cell) pairs evaluated at once (float64: ~8 bytes each in
# several temporaries): small on a CPU, where temporaries that stay in the cache are
# faster per element (docs/DESIGN.md, "Measured choices"); large on a GPU (fewer launches).
CELLS_PER_CHUNK_CPU = 1 << 16
CELLS_PER_CHUNK_GPU = 1 << 22


def _work_grids(tri: torch.Tensor, resolution: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Each mesh's work grid, as ``voxelize`` sizes it: lowest cell (N, 3) and highest
    cell (N, 3), int64 grid coordinates (x, y, z). ``tri``: (N, F, 3, 3), F >= 1."""
    limit = MAX_GROWTH_FACTOR * resolution
    low = torch.floor(tri.amin(dim=(1, 2))).long().clamp(-limit, 0) - PAD_CELLS
    high = torch.floor(tri.amax(dim=(1, 2))).long().clamp(resolution - 1, resolution - 1 + limit) + PAD_CELLS
    return low, high


def _dot3(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(a0 b0 + a1 b1) + a2 b2 over the last axis, in this order (as voxelize's _dot3)."""
    return (a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]) + a[..., 2] * b[..., 2]


def _bounds(projections: torch.Tensor, radius: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Triangle projections (..., 3 vertices) and cube radius (...) -> (low - r, high + r)."""
    return projections.amin(dim=-1) - radius, projections.amax(dim=-1) + radius


def _inside(values: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    return (values >= lower) & (values <= upper)


def _box_hits(local: torch.Tensor, lo: torch.Tensor, dims: torch.Tensor, box: Tuple[int, int, int]) -> torch.Tensor:
    """Exact triangle / cell overlap over each triangle's candidate box (same arithmetic
    as voxelize._separating_axes and its centre projections).

    Args:
        local: (T, 3, 3) float64 triangles in work-grid coordinates.
        lo: (T, 3) int64 lowest candidate cell; dims: (T, 3) int64 candidate-box sizes,
            each at most ``box`` = (dx, dy, dz), the size evaluated (cells beyond a
            triangle's own box are False).

    Returns:
        (T, dx, dy, dz) bool, True where the cell overlaps the triangle.
    """
    half = 0.5 + OVERLAP_SLACK
    steps = [torch.arange(d, device=lo.device) for d in box]
    cx, cy, cz = [(lo[:, k : k + 1] + steps[k]).double() + 0.5 for k in range(3)]  # (T, d_k) cell centres
    vx, vy, vz = [steps[k] < dims[:, k : k + 1] for k in range(3)]  # (T, d_k) within the triangle's box
    v = local
    e = torch.stack([v[:, 1] - v[:, 0], v[:, 2] - v[:, 1], v[:, 0] - v[:, 2]], dim=1)  # (T, 3 edges, 3)
    # Plane test: the normal e0 x e1, component by component as np.cross computes it.
    e0, e1 = e[:, 0], e[:, 1]
    normal = torch.stack(
        [
            e0[:, 1] * e1[:, 2] - e0[:, 2] * e1[:, 1],
            e0[:, 2] * e1[:, 0] - e0[:, 0] * e1[:, 2],
            e0[:, 0] * e1[:, 1] - e0[:, 1] * e1[:, 0],
        ],
        dim=1,
    )  # (T, 3)
    absn = normal.abs()
    lower, upper = _bounds(_dot3(normal[:, None, :], v), half * ((absn[:, 0] + absn[:, 1]) + absn[:, 2]))
    n = normal[:, :, None]
    plane = (n[:, 0] * cx)[:, :, None] + (n[:, 1] * cy)[:, None, :]  # (T, dx, dy)
    plane = plane[..., None] + (n[:, 2] * cz)[:, None, None, :]  # (T, dx, dy, dz)
    hit = _inside(plane, lower[:, None, None, None], upper[:, None, None, None])
    # Edge axes: cube axis x edge b. With np.cross's zero components dropped exactly,
    # x: (0, -b2, b1), y: (b2, 0, -b0), z: (-b1, b0, 0), each a 2D test on one face of
    # the box, broadcast along the cube axis.
    b0, b1, b2 = e[..., 0], e[..., 1], e[..., 2]  # (T, 3 edges)
    px, py, pz = v[:, None, :, 0], v[:, None, :, 1], v[:, None, :, 2]  # (T, 1, 3 vertices)
    for (ua, pa, ca, va), (ub, pb, cb, vb), expand in (
        ((-b2, py, cy, vy), (b1, pz, cz, vz), (slice(None), None)),  # x axis: face (T, dy, dz)
        ((b2, px, cx, vx), (-b0, pz, cz, vz), (slice(None), slice(None), None)),  # y axis: (T, dx, dz)
        ((-b1, px, cx, vx), (b0, py, cy, vy), (Ellipsis, None)),  # z axis: (T, dx, dy)
    ):
        lower, upper = _bounds(ua[..., None] * pa + ub[..., None] * pb, half * (ua.abs() + ub.abs()))  # (T, 3 edges)
        values = (ua[..., None] * ca[:, None, :])[..., None] + (ub[..., None] * cb[:, None, :])[
            :, :, None, :
        ]  # (T, 3, da, db)
        inside = _inside(values, lower[..., None, None], upper[..., None, None])
        face = inside[:, 0] & inside[:, 1] & inside[:, 2] & va[:, :, None] & vb[:, None, :]  # (T, da, db)
        hit &= face[expand]
    return hit


# Candidate-box sizes evaluated (per axis): a triangle's box is padded to the next one,
# so a batch needs few dense evaluations (a few tens) whatever its triangles' sizes.
BOX_SIZES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def _surface_grid(
    tri: torch.Tensor, low: torch.Tensor, high: torch.Tensor, grid_low: torch.Tensor, shape: Tuple[int, int, int]
) -> torch.Tensor:
    """Surface cells of every mesh in one work grid holding all of them.

    Args:
        tri: (N, F, 3, 3) float64 triangles in grid coordinates.
        low, high: (N, 3) int64 each mesh's own work grid (as ``voxelize`` sizes it).
        grid_low: (3,) int64 grid coordinate of the common grid's cell [0, 0, 0].
        shape: (X, Y, Z) common grid size.

    Returns:
        (N, X, Y, Z) bool.
    """
    num, faces = tri.shape[:2]
    device = tri.device
    grid = torch.zeros((num,) + shape, dtype=torch.bool, device=device)
    # Per-mesh local coordinates and clipping exactly as voxelize._surface_cells does.
    mesh_shape = (high - low + 1)[:, None, :]  # (N, 1, 3)
    local = tri - low[:, None, None, :]  # (N, F, 3, 3)
    vmin, vmax = local.amin(dim=2), local.amax(dim=2)  # (N, F, 3)
    keep = ((vmax >= -OVERLAP_SLACK).all(dim=2) & (vmin <= mesh_shape.double() + OVERLAP_SLACK).all(dim=2)).flatten()
    lo = torch.minimum(torch.floor(vmin - OVERLAP_SLACK).long().clamp(min=0), mesh_shape - 1).flatten(0, 1)
    hi = torch.minimum(torch.floor(vmax + OVERLAP_SLACK).long().clamp(min=0), mesh_shape - 1).flatten(0, 1)
    index = keep.nonzero().squeeze(1)
    if len(index) == 0:
        return grid
    mesh = torch.div(index, faces, rounding_mode="floor")
    local, lo = local.flatten(0, 1)[index], lo[index]
    dims = hi[index] - lo + 1
    sizes = torch.tensor(BOX_SIZES, device=device)
    bucket = torch.searchsorted(sizes, dims)  # (T, 3): smallest evaluated size >= dims
    key = (bucket[:, 0] * len(BOX_SIZES) + bucket[:, 1]) * len(BOX_SIZES) + bucket[:, 2]
    order = torch.argsort(key)
    keys, counts = torch.unique_consecutive(key[order], return_counts=True)
    cells_per_mesh = shape[0] * shape[1] * shape[2]
    strides = torch.tensor([shape[1] * shape[2], shape[2], 1], device=device)
    base = mesh * cells_per_mesh + ((lo + (low - grid_low)[mesh]) * strides).sum(dim=1)  # (T,) common-grid cell of lo
    flat = grid.view(-1)
    start = 0
    for key_value, count in zip(keys.tolist(), counts.tolist()):
        box = (
            BOX_SIZES[key_value // len(BOX_SIZES) ** 2],
            BOX_SIZES[key_value // len(BOX_SIZES) % len(BOX_SIZES)],
            BOX_SIZES[key_value % len(BOX_SIZES)],
        )
        step = max(
            1, (CELLS_PER_CHUNK_CPU if device.type == "cpu" else CELLS_PER_CHUNK_GPU) // (box[0] * box[1] * box[2])
        )
        arange = [torch.arange(d, device=device) for d in box]
        cell_offsets = (
            arange[0][:, None, None] * strides[0] + arange[1][None, :, None] * strides[1] + arange[2][None, None, :]
        ).flatten()
        for first in range(start, start + count, step):
            chunk = order[first : min(first + step, start + count)]
            hit = _box_hits(local[chunk], lo[chunk], dims[chunk], box).flatten(1)  # (T, dx dy dz)
            flat[(base[chunk, None] + cell_offsets)[hit]] = True
        start += count
    return grid


def _pack(grid: torch.Tensor) -> torch.Tensor:
    """(N, X, Y, Z) bool -> (W, X, Y, Z) int64, mesh 64 w + b in bit b of word w."""
    num = grid.shape[0]
    words = torch.zeros((-(-num // WORD_BITS),) + tuple(grid.shape[1:]), dtype=torch.int64, device=grid.device)
    for bit in range(min(num, WORD_BITS)):
        part = grid[bit::WORD_BITS].long() << bit
        words[: len(part)] |= part
    return words


def _unpack(words: torch.Tensor, num: int) -> torch.Tensor:
    """Inverse of ``_pack``: (W, ...) int64 -> (num, ...) bool."""
    out = torch.empty((num,) + tuple(words.shape[1:]), dtype=torch.bool, device=words.device)
    for bit in range(min(num, WORD_BITS)):
        count = len(range(bit, num, WORD_BITS))
        out[bit::WORD_BITS] = ((words[:count] >> bit) & 1).bool()
    return out


def _shifted(x: torch.Tensor, dim: int, step: int, forward: bool) -> torch.Tensor:
    """``x`` moved ``step`` cells along ``dim`` (towards higher indices when forward),
    zeros shifted in."""
    out = torch.zeros_like(x)
    length = x.shape[dim]
    if step < length:
        if forward:
            out.narrow(dim, step, length - step).copy_(x.narrow(dim, 0, length - step))
        else:
            out.narrow(dim, 0, length - step).copy_(x.narrow(dim, step, length - step))
    return out


def _line_fill(seed: torch.Tensor, through: torch.Tensor, dim: int) -> torch.Tensor:
    """Cells reachable along ``dim`` from ``seed`` cells through ``through`` cells (both
    directions, whole lines), on packed words: a Kogge-Stone occluded fill."""
    result = seed
    length = seed.shape[dim]
    for forward in (True, False):
        gen, pro = seed, through
        step = 1
        while step < length:
            gen = gen | (pro & _shifted(gen, dim, step, forward))
            pro = pro & _shifted(pro, dim, step, forward)
            step *= 2
        result = result | gen
    return result


def _line_or(cells: torch.Tensor, dim: int, forward: bool) -> torch.Tensor:
    """Prefix OR along ``dim`` (a cell is set when it or one before it is), packed."""
    length = cells.shape[dim]
    step = 1
    while step < length:
        cells = cells | _shifted(cells, dim, step, forward)
        step *= 2
    return cells


def _fill_flood_packed(surface: torch.Tensor) -> torch.Tensor:
    """Packed (W, X, Y, Z) surface -> surface plus every empty cell not 6-connected to
    the grid's border (voxelize._fill_flood)."""
    empty = ~surface
    border = torch.zeros_like(surface)
    for dim in (1, 2, 3):
        border.narrow(dim, 0, 1).fill_(-1)
        border.narrow(dim, surface.shape[dim] - 1, 1).fill_(-1)
    outside = empty & border
    while True:
        previous = outside
        for dim in (1, 2, 3):
            outside = _line_fill(outside, empty, dim)
        if torch.equal(outside, previous):
            return ~outside


def _fill_carve_packed(surface: torch.Tensor) -> torch.Tensor:
    """Packed surface plus every cell with surface on both sides along all three axes
    (voxelize._fill_carve)."""
    enclosed = torch.full_like(surface, -1)
    for dim in (1, 2, 3):
        enclosed &= _line_or(surface, dim, True) & _line_or(surface, dim, False)
    return surface | enclosed


def voxelize_meshes(vertices: torch.Tensor, faces: torch.Tensor, resolution: int, fill: str) -> torch.Tensor:
    """vertices (N, V, 3) float64, faces (N, F, 3) int64, validated, same device, N >= 1,
    F >= 1 -> (N, R, R, R) bool on that device in the ground-truth convention, 'exact'
    surface, ``fill`` as for ``voxelize``."""
    num = vertices.shape[0]
    tri = ((resolution - 1) * vertices + resolution / 2.0)[
        torch.arange(num, device=vertices.device)[:, None, None], faces
    ]  # (N, F, 3, 3)
    low, high = _work_grids(tri, resolution)
    grid_low, grid_high = low.amin(dim=0), high.amax(dim=0)
    shape = tuple(int(s) for s in (grid_high - grid_low + 1).tolist())
    cells = _surface_grid(tri, low, high, grid_low, shape)
    if fill == "none":
        occupied = cells
    else:
        packed = _pack(cells)
        occupied = _unpack(_fill_flood_packed(packed) if fill == "flood" else _fill_carve_packed(packed), num)
    start = [-int(s) for s in grid_low.tolist()]
    crop = occupied[
        :, start[0] : start[0] + resolution, start[1] : start[1] + resolution, start[2] : start[2] + resolution
    ]
    return crop.transpose(1, 2).flip(3).contiguous()  # [k_x, k_y, k_z] -> [i_y, i_x, R - 1 - i_z]
