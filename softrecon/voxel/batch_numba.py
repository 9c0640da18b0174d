"""The batched voxelizer's CPU kernel: ``voxelize`` compiled with Numba, meshes on threads.

Each mesh is voxelized exactly as ``softrecon.voxel.voxelize`` does it (same work grid,
same float64 operations in the same order: grid coordinates, the separating axes as
np.cross builds them, projections in ``_dot3``'s order, the same slack), so the cells are
identical; the flood fill finds the empty cells 6-connected to the border of the work
grid (as ``scipy.ndimage.label`` does there), with bit masks along z where the work grid
is at most WORD_CELLS cells deep (faster than a search: docs/DESIGN.md, "Measured
choices") and by breadth-first search otherwise. Numba compiles without fast-math, so no
multiply-add is fused. The compiled code is cached on disk (the first call in a fresh
environment compiles it).

Shape symbols: N meshes, V vertices, F faces, R resolution.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from .voxelize import MAX_GROWTH_FACTOR, OVERLAP_SLACK, PAD_CELLS

# Meshes are handed to the threads in this many chunks per thread (load balance).
CHUNKS_PER_THREAD = 4
# Fill modes as the kernel's integer codes (voxelize.FILL_MODES order).
FILL_CODES = {"flood": 0, "carve": 1, "none": 2}


@numba.njit(cache=True, inline="always")
def _axes_and_bounds(t, e, axes, lower, upper, half):
    """The ten separating axes of one triangle t (3, 3) and its cube-padded projection
    bounds (voxelize._separating_axes, operation for operation). Fills the edges e (3, 3),
    axes (10, 3), lower (10,), upper (10,) (buffers, not allocated per triangle)."""
    for k in range(3):
        e[0, k] = t[1, k] - t[0, k]
        e[1, k] = t[2, k] - t[1, k]
        e[2, k] = t[0, k] - t[2, k]
    # Normal: np.cross(e0, e1).
    axes[0, 0] = e[0, 1] * e[1, 2] - e[0, 2] * e[1, 1]
    axes[0, 1] = e[0, 2] * e[1, 0] - e[0, 0] * e[1, 2]
    axes[0, 2] = e[0, 0] * e[1, 1] - e[0, 1] * e[1, 0]
    # np.cross(unit cube axis c, edge j) -> axis 1 + 3 c + j, zero products kept as numpy has them.
    for c in range(3):
        u0 = 1.0 if c == 0 else 0.0
        u1 = 1.0 if c == 1 else 0.0
        u2 = 1.0 if c == 2 else 0.0
        for j in range(3):
            a = 1 + 3 * c + j
            axes[a, 0] = u1 * e[j, 2] - u2 * e[j, 1]
            axes[a, 1] = u2 * e[j, 0] - u0 * e[j, 2]
            axes[a, 2] = u0 * e[j, 1] - u1 * e[j, 0]
    for a in range(10):
        low = np.inf
        high = -np.inf
        for v in range(3):
            p = (axes[a, 0] * t[v, 0] + axes[a, 1] * t[v, 1]) + axes[a, 2] * t[v, 2]
            low = min(low, p)
            high = max(high, p)
        radius = half * ((abs(axes[a, 0]) + abs(axes[a, 1])) + abs(axes[a, 2]))
        lower[a] = low - radius
        upper[a] = high + radius


@numba.njit(cache=True)
def _surface(tri, low, shape, slack):
    """voxelize._surface_cells for one mesh: tri (F, 3, 3) grid coordinates, low (3,)
    int64 work-grid origin, shape (3,) int64 -> (X, Y, Z) bool."""
    grid = np.zeros((shape[0], shape[1], shape[2]), dtype=np.bool_)
    local = np.empty((3, 3))
    edges = np.empty((3, 3))
    axes = np.empty((10, 3))
    lower = np.empty(10)
    upper = np.empty(10)
    lo = np.empty(3, dtype=np.int64)
    hi = np.empty(3, dtype=np.int64)
    column = np.empty(10)
    along_z = np.empty((shape[2], 10))
    half = 0.5 + slack
    for f in range(tri.shape[0]):
        keep = True
        for k in range(3):
            mn = np.inf
            mx = -np.inf
            for v in range(3):
                local[v, k] = tri[f, v, k] - low[k]
                mn = min(mn, local[v, k])
                mx = max(mx, local[v, k])
            if not (mx >= -slack and mn <= shape[k] + slack):
                keep = False
            lo[k] = min(max(np.int64(np.floor(mn - slack)), 0), shape[k] - 1)
            hi[k] = min(max(np.int64(np.floor(mx + slack)), 0), shape[k] - 1)
        if not keep:
            continue
        _axes_and_bounds(local, edges, axes, lower, upper, half)
        # p = (a0 cx + a1 cy) + a2 cz: the bracket is rounded first, so it and a2 cz can
        # be computed once per (x, y) column and per z without changing any rounding.
        for z in range(lo[2], hi[2] + 1):
            for a in range(10):
                along_z[z - lo[2], a] = axes[a, 2] * (z + 0.5)
        for x in range(lo[0], hi[0] + 1):
            cx = x + 0.5
            for y in range(lo[1], hi[1] + 1):
                cy = y + 0.5
                for a in range(10):
                    column[a] = axes[a, 0] * cx + axes[a, 1] * cy
                for z in range(lo[2], hi[2] + 1):
                    if grid[x, y, z]:
                        continue
                    hit = True
                    for a in range(10):
                        p = column[a] + along_z[z - lo[2], a]
                        if not (p >= lower[a] and p <= upper[a]):
                            hit = False
                            break
                    if hit:
                        grid[x, y, z] = True
    return grid


@numba.njit(cache=True)
def _flood(surface):
    """voxelize._fill_flood: surface plus the empty cells not 6-connected to the border.

    Breadth-first search on a copy padded by one ring of cells that count as visited, so
    a cell's six neighbours are flat-index offsets without bound checks."""
    nx, ny, nz = surface.shape
    py, pz = ny + 2, nz + 2
    visited = np.ones((nx + 2) * py * pz, dtype=np.bool_)  # the ring stays "visited"
    queue = np.empty(nx * ny * nz, dtype=np.int64)
    count = 0
    for x in range(nx):
        for y in range(ny):
            for z in range(nz):
                cell = ((x + 1) * py + y + 1) * pz + z + 1
                border = x == 0 or y == 0 or z == 0 or x == nx - 1 or y == ny - 1 or z == nz - 1
                if surface[x, y, z]:
                    continue  # surface: never entered
                if border:
                    queue[count] = cell  # empty border cell: outside, a seed
                    count += 1
                else:
                    visited[cell] = False
    offsets = np.array([1, -1, pz, -pz, py * pz, -py * pz], dtype=np.int64)
    head = 0
    while head < count:
        cell = queue[head]
        head += 1
        for d in range(6):
            q = cell + offsets[d]
            if not visited[q]:
                visited[q] = True
                queue[count] = q
                count += 1
    # Occupied: every cell that is not outside (surface, and empty cells never reached).
    occupied = np.ones(surface.shape, dtype=np.bool_)
    for i in range(count):
        cell = queue[i]
        occupied[cell // (py * pz) - 1, (cell // pz) % py - 1, cell % pz - 1] = False
    return occupied


# Lines along z of at most this many cells are flooded as bit masks (int64 words: bits
# 0..61, so no shift reaches the sign bit unmasked); longer ones by breadth-first search.
WORD_CELLS = 62


@numba.njit(cache=True)
def _flood_words(surface):
    """``_flood`` for work grids with at most WORD_CELLS cells along z: each z line is one
    int64 word (bit z: the cell is empty / outside). The outside grows from the border by
    a Kogge-Stone fill inside every word (z) and by sequential sweeps over the words
    along x and y, both directions, until nothing changes: the same fixed point as the
    breadth-first search (the empty cells 6-connected to the border)."""
    nx, ny, nz = surface.shape
    empty = np.zeros((nx, ny), dtype=np.int64)
    for x in range(nx):
        for y in range(ny):
            word = 0
            for z in range(nz):
                if not surface[x, y, z]:
                    word |= 1 << z
            empty[x, y] = word
    ends = (1 << 0) | (1 << (nz - 1))
    outside = np.empty((nx, ny), dtype=np.int64)
    for x in range(nx):
        for y in range(ny):
            border = x == 0 or y == 0 or x == nx - 1 or y == ny - 1
            outside[x, y] = empty[x, y] if border else empty[x, y] & ends
    changed = True
    while changed:
        changed = False
        for x in range(nx):
            for y in range(ny):
                seed, through = outside[x, y], empty[x, y]
                up, down, pass_up, pass_down = seed, seed, through, through
                step = 1
                while step < nz:
                    up |= pass_up & (up << step)
                    pass_up &= pass_up << step
                    down |= pass_down & (down >> step)
                    pass_down &= pass_down >> step
                    step *= 2
                grown = (up | down) & through
                if grown != seed:
                    outside[x, y] = grown
                    changed = True
        for y in range(ny):
            for x in range(1, nx):
                grown = outside[x, y] | (outside[x - 1, y] & empty[x, y])
                if grown != outside[x, y]:
                    outside[x, y] = grown
                    changed = True
            for x in range(nx - 2, -1, -1):
                grown = outside[x, y] | (outside[x + 1, y] & empty[x, y])
                if grown != outside[x, y]:
                    outside[x, y] = grown
                    changed = True
        for x in range(nx):
            for y in range(1, ny):
                grown = outside[x, y] | (outside[x, y - 1] & empty[x, y])
                if grown != outside[x, y]:
                    outside[x, y] = grown
                    changed = True
            for y in range(ny - 2, -1, -1):
                grown = outside[x, y] | (outside[x, y + 1] & empty[x, y])
                if grown != outside[x, y]:
                    outside[x, y] = grown
                    changed = True
    occupied = np.empty(surface.shape, dtype=np.bool_)
    for x in range(nx):
        for y in range(ny):
            word = outside[x, y]
            for z in range(nz):
                occupied[x, y, z] = (word >> z) & 1 == 0
    return occupied


@numba.njit(cache=True)
def _enclosed_along_last_axis(surface, enclosed):
    """enclosed &= "surface lies on both sides along the last axis", line by line; both
    (A, B, L) bool, any strides (transposed views of the grids)."""
    na, nb, length = surface.shape
    for i in range(na):
        for j in range(nb):
            seen = False
            for k in range(length):
                seen = seen or surface[i, j, k]
                enclosed[i, j, k] &= seen
            seen = False
            for k in range(length - 1, -1, -1):
                seen = seen or surface[i, j, k]
                enclosed[i, j, k] &= seen


@numba.njit(cache=True)
def _carve(surface):
    """voxelize._fill_carve: surface plus cells with surface on both sides along x, y and z."""
    enclosed = np.ones(surface.shape, dtype=np.bool_)
    _enclosed_along_last_axis(surface.transpose((1, 2, 0)), enclosed.transpose((1, 2, 0)))  # along x
    _enclosed_along_last_axis(surface.transpose((0, 2, 1)), enclosed.transpose((0, 2, 1)))  # along y
    _enclosed_along_last_axis(surface, enclosed)  # along z
    return surface | enclosed


@numba.njit(cache=True, nogil=True)
def _voxelize_meshes(vertices, faces, resolution, fill, out, limit, pad, slack, start, stop):
    """Meshes start..stop-1: vertices (N, V, 3) float64 object frame, faces (1 or N, F, 3)
    int64, out (N, R, R, R) bool (zeros) filled in the ground-truth convention
    [i_y, i_x, R - 1 - i_z]. Runs without the GIL (threads split the meshes)."""
    for n in range(start, stop):
        face = faces[0] if faces.shape[0] == 1 else faces[n]
        if face.shape[0] == 0:
            continue
        tri = np.empty((face.shape[0], 3, 3))
        for f in range(face.shape[0]):
            for v in range(3):
                for k in range(3):
                    tri[f, v, k] = (resolution - 1) * vertices[n, face[f, v], k] + resolution / 2.0
        low = np.empty(3, dtype=np.int64)
        shape = np.empty(3, dtype=np.int64)
        for k in range(3):
            mn = np.inf
            mx = -np.inf
            for f in range(face.shape[0]):
                for v in range(3):
                    mn = min(mn, tri[f, v, k])
                    mx = max(mx, tri[f, v, k])
            low[k] = min(max(np.int64(np.floor(mn)), -limit), 0) - pad
            high = min(max(np.int64(np.floor(mx)), resolution - 1), resolution - 1 + limit) + pad
            shape[k] = high - low[k] + 1
        cells = _surface(tri, low, shape, slack)
        if fill == 0:
            occupied = _flood_words(cells) if shape[2] <= WORD_CELLS else _flood(cells)
        elif fill == 1:
            occupied = _carve(cells)
        else:
            occupied = cells
        for x in range(resolution):
            for y in range(resolution):
                for z in range(resolution):
                    out[n, y, x, resolution - 1 - z] = occupied[x - low[0], y - low[1], z - low[2]]


def voxelize_meshes(
    vertices: np.ndarray, faces: np.ndarray, resolution: int, fill: str, threads: int = 1
) -> np.ndarray:
    """vertices (N, V, 3) float64, faces (1 or N, F, 3) int64 (validated) -> (N, R, R, R)
    bool in the ground-truth convention, 'exact' surface, ``fill`` as for ``voxelize``;
    the meshes are split over ``threads`` threads."""
    num = vertices.shape[0]
    out = np.zeros((num,) + (resolution,) * 3, dtype=np.bool_)
    args = (
        np.ascontiguousarray(vertices, dtype=np.float64),
        np.ascontiguousarray(faces, dtype=np.int64),
        resolution,
        FILL_CODES[fill],
        out,
        MAX_GROWTH_FACTOR * resolution,
        PAD_CELLS,
        OVERLAP_SLACK,
    )
    threads = max(1, min(threads, num))
    if threads == 1:
        _voxelize_meshes(*args, 0, num)
        return out
    # More chunks than threads: a thread slowed down by other work does not hold the rest.
    bounds = np.linspace(0, num, min(num, CHUNKS_PER_THREAD * threads) + 1).astype(int)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda k: _voxelize_meshes(*args, bounds[k], bounds[k + 1]), range(len(bounds) - 1)))
    return out
