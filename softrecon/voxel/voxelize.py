"""Triangle mesh -> occupancy grid in the ground-truth convention (docs/METHOD.md section 7).

A cell is occupied when the surface passes through it (exact triangle / box overlap by
the separating axis theorem, Akenine-Moeller 2001: a conservative surface voxelization,
so thin parts always get their cells) or when it lies inside the closed surface.

Interior fill modes:
- ``'flood'`` (default): the empty cells 6-connected to the border of a grid padded by
  at least one cell around the mesh are outside; every other cell is inside. Exact for
  closed surfaces; a hole narrower than a cell is closed by the surface cells, so
  slightly non-watertight meshes do not leak. A larger hole lets the outside in.
- ``'carve'``: a cell is inside when, along each of the six axis directions, a surface
  cell lies between it and the border (space carving from six views). Robust to large
  holes; fills concavities hidden from all six axis directions.
- ``'none'``: surface cells only.

Surface modes: ``'exact'`` (default, above) or ``'softras'``, the cells SoftRas'
evaluation voxelizer marks (rays through the cell edges along each axis, the 4 cells
around each hit, and the vertex cells): a subset of the exact cells, nearly equal on
closed meshes (docs/DATA.md gives the measured agreement).

Shape symbols: V vertices, F faces, N meshes, R resolution.
"""

from __future__ import annotations

from typing import Iterable, Tuple

import numpy as np
import scipy.ndimage

from ..utils.arrays import as_numpy
from .convention import check_resolution, to_grid_coordinates, xyz_grid_to_array

FILL_MODES = ("flood", "carve", "none")
# Surface cells: 'exact' = every cell the surface touches (triangle/box overlap);
# 'softras' = SoftRas' evaluation voxelizer (rays along the cell edges, plus vertex cells).
SURFACE_MODES = ("exact", "softras")
# Slack added to the half-size of each cell in the overlap test (grid units): touching
# counts as overlapping, and round-off never drops a cell the surface grazes.
OVERLAP_SLACK = 1e-6
# Work-grid margin around the mesh (cells): the exterior always surrounds the mesh.
PAD_CELLS = 1
# A mesh poking out of the unit grid is voxelized in a grid grown to hold it, but by at
# most this many resolutions on each side (beyond that it is clipped, and a clipped
# surface can let the flood fill in).
MAX_GROWTH_FACTOR = 1
# Bound on (triangle, candidate cell) pairs tested at once, to keep memory small.
PAIRS_PER_CHUNK = 1 << 19
# Triangles whose per-triangle work arrays (about 1 KB each, float64) exist at once.
FACES_PER_CHUNK = 1 << 16


def _check_mesh(vertices, faces) -> Tuple[np.ndarray, np.ndarray]:
    """Validate one mesh; returns float64 (V, 3) and int64 (F, 3) arrays."""
    vertices = as_numpy(vertices, "vertices")
    faces = as_numpy(faces, "faces")
    if vertices.ndim != 2 or vertices.shape[1] != 3 or not np.issubdtype(vertices.dtype, np.number):
        raise ValueError(f"vertices must be a numeric (V, 3) array, got shape {vertices.shape} dtype {vertices.dtype}")
    if faces.ndim != 2 or faces.shape[1] != 3 or not np.issubdtype(faces.dtype, np.integer):
        raise ValueError(f"faces must be an integer (F, 3) array, got shape {faces.shape} dtype {faces.dtype}")
    vertices = vertices.astype(np.float64)
    if not np.isfinite(vertices).all():
        raise ValueError("vertices contains NaN or inf")
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise ValueError(f"faces must index vertices in [0, {len(vertices)}), got range [{faces.min()}, {faces.max()}]")
    return vertices, faces.astype(np.int64)


def _check_fill(fill: str) -> str:
    if fill not in FILL_MODES:
        raise ValueError(f"fill must be one of {FILL_MODES}, got {fill!r}")
    return fill


def _check_surface(surface: str) -> str:
    if surface not in SURFACE_MODES:
        raise ValueError(f"surface must be one of {SURFACE_MODES}, got {surface!r}")
    return surface


def _dot3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(a0 b0 + a1 b1) + a2 b2 over the last axis, in this order: unlike np.einsum,
    whose summation order follows its SIMD dispatch, the round-off is the same on every
    machine, and voxelize_batch (batch.py) repeats it exactly."""
    return (a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]) + a[..., 2] * b[..., 2]


def _separating_axes(tri: np.ndarray, half: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-triangle data of the separating-axis test against cubes of half size ``half``.

    The candidate axes are the triangle's normal and the nine cross products of a cube
    axis with a triangle edge (the cube's own axes are covered by enumerating only the
    cells of each triangle's bounding box). A cube centred at c is separated from the
    triangle along axis a when a.c < low - r or a.c > high + r, with [low, high] the
    triangle's projection and r = half * |a|_1 the cube's projected radius.

    Args:
        tri: (T, 3, 3) float64 triangle vertices (grid coordinates).

    Returns:
        axes (T, 10, 3), lower (T, 10) = low - r, upper (T, 10) = high + r.
    """
    edges = np.stack([tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 1], tri[:, 0] - tri[:, 2]], axis=1)  # (T, 3, 3)
    normal = np.cross(edges[:, 0], edges[:, 1])[:, None, :]  # (T, 1, 3)
    cube_axes = np.eye(3)[None, :, None, :]  # (1, 3 cube axes, 1, 3)
    cross_axes = np.cross(cube_axes, edges[:, None, :, :]).reshape(len(tri), 9, 3)  # (T, 9, 3)
    axes = np.concatenate([normal, cross_axes], axis=1)  # (T, 10, 3)
    projections = _dot3(axes[:, :, None, :], tri[:, None, :, :])  # (T, 10, 3 vertices)
    radius = half * np.abs(axes).sum(axis=2)  # (T, 10)
    return axes, projections.min(axis=2) - radius, projections.max(axis=2) + radius


def _box_members(lo: np.ndarray, dims: np.ndarray):
    """Enumerate the integer points of one axis-aligned box per triangle, in chunks of
    about ``PAIRS_PER_CHUNK`` points (at least one triangle per chunk).

    Args:
        lo: (T, k) int64 lowest point of each box; dims: (T, k) int64 sizes (>= 0).

    Yields:
        tri_index (P,) int64 and points (P, k) int64.
    """
    counts = np.prod(np.maximum(dims, 0), axis=1)
    ends = np.cumsum(counts)
    start = 0
    while start < len(lo):
        stop = max(
            start + 1, int(np.searchsorted(ends, (ends[start - 1] if start else 0) + PAIRS_PER_CHUNK, side="right"))
        )
        chunk_counts = counts[start:stop]
        tri_index = np.repeat(np.arange(start, stop), chunk_counts)
        within = np.arange(len(tri_index)) - np.repeat(np.cumsum(chunk_counts) - chunk_counts, chunk_counts)
        d = dims[tri_index]
        digits = []
        for axis in range(lo.shape[1] - 1, -1, -1):  # mixed-radix digits, last axis fastest
            digits.append(within % d[:, axis])
            within = within // d[:, axis]
        yield tri_index, lo[tri_index] + np.stack(digits[::-1], axis=1)
        start = stop


def _surface_cells(tri: np.ndarray, origin: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Cells of a work grid that the triangles touch (exact overlap, touching counts).

    Args:
        tri: (F, 3, 3) float64 triangles in grid coordinates.
        origin: (3,) int64 grid coordinate of work cell [0, 0, 0] (x, y, z).
        shape: (3,) int64 work-grid size.

    Returns:
        (X, Y, Z) bool occupancy of the work grid, indexed [x, y, z].
    """
    grid = np.zeros(tuple(shape), dtype=bool)
    local = tri - origin  # work-grid coordinates
    keep = (local.max(axis=1) >= -OVERLAP_SLACK).all(axis=1) & (local.min(axis=1) <= shape + OVERLAP_SLACK).all(axis=1)
    local = local[keep]
    if len(local) == 0:
        return grid
    lo = np.clip(np.floor(local.min(axis=1) - OVERLAP_SLACK).astype(np.int64), 0, shape - 1)  # (F, 3) candidate cells
    hi = np.clip(np.floor(local.max(axis=1) + OVERLAP_SLACK).astype(np.int64), 0, shape - 1)
    axes, lower, upper = _separating_axes(local, 0.5 + OVERLAP_SLACK)
    for tri_index, cells in _box_members(lo, hi - lo + 1):
        centre_projection = _dot3(axes[tri_index], (cells + 0.5)[:, None, :])  # (P, 10)
        hit = ((centre_projection >= lower[tri_index]) & (centre_projection <= upper[tri_index])).all(axis=1)
        cells = cells[hit]
        grid[cells[:, 0], cells[:, 1], cells[:, 2]] = True
    return grid


def _surface_cells_softras(tri: np.ndarray, origin: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Surface cells as SoftRas' evaluation voxelizer marks them (``srf.voxelization``):
    for each axis, rays along it through the integer grid lines (cell edges) are
    intersected with every triangle (inclusive barycentric test, triangles whose
    projection has zero area skipped), and the 4 cells sharing the edge at the hit are
    marked; plus the cell of every vertex. A subset of ``_surface_cells``. Same
    arguments and result."""
    grid = np.zeros(tuple(shape), dtype=bool)
    local = tri - origin
    vertex_cells = np.floor(local.reshape(-1, 3)).astype(np.int64)
    inside = ((vertex_cells >= 0) & (vertex_cells < shape)).all(axis=1)
    grid[tuple(vertex_cells[inside].T)] = True
    for depth_axis in range(3):
        a, b = [k for k in range(3) if k != depth_axis]
        plane = local[:, :, [a, b]]  # (F, 3, 2)
        e1, e2 = plane[:, 1] - plane[:, 0], plane[:, 2] - plane[:, 0]
        det = e1[:, 0] * e2[:, 1] - e2[:, 0] * e1[:, 1]
        usable = det != 0
        lo = np.clip(np.ceil(plane.min(axis=1)).astype(np.int64), 0, shape[[a, b]])  # lattice lines 0..shape
        hi = np.clip(np.floor(plane.max(axis=1)).astype(np.int64), 0, shape[[a, b]])
        dims = np.where(usable[:, None], hi - lo + 1, 0)
        for tri_index, lattice in _box_members(lo, dims):
            p = lattice - plane[tri_index, 0]
            t1 = (p[:, 0] * e2[tri_index, 1] - e2[tri_index, 0] * p[:, 1]) / det[tri_index]
            t2 = (e1[tri_index, 0] * p[:, 1] - p[:, 0] * e1[tri_index, 1]) / det[tri_index]
            hit = (t1 >= 0) & (t2 >= 0) & (t1 + t2 <= 1)
            t1, t2, lattice, tri_hit = t1[hit], t2[hit], lattice[hit], tri_index[hit]
            v = local[tri_hit]
            depth = np.floor(
                v[:, 0, depth_axis]
                + t1 * (v[:, 1, depth_axis] - v[:, 0, depth_axis])
                + t2 * (v[:, 2, depth_axis] - v[:, 0, depth_axis])
            ).astype(np.int64)
            for da in (0, 1):
                for db in (0, 1):
                    cells = np.empty((len(depth), 3), dtype=np.int64)
                    cells[:, a], cells[:, b], cells[:, depth_axis] = lattice[:, 0] - da, lattice[:, 1] - db, depth
                    valid = ((cells >= 0) & (cells < shape)).all(axis=1)
                    grid[tuple(cells[valid].T)] = True
    return grid


def _fill_flood(surface: np.ndarray) -> np.ndarray:
    """Surface cells plus every empty cell not 6-connected to the work grid's border."""
    labels, _ = scipy.ndimage.label(~surface)  # default structure: 6-connectivity
    border = np.concatenate([labels[[0, -1]].ravel(), labels[:, [0, -1]].ravel(), labels[:, :, [0, -1]].ravel()])
    outside_labels = np.unique(border[border > 0])
    return ~np.isin(labels, outside_labels)


def _fill_carve(surface: np.ndarray) -> np.ndarray:
    """Surface cells plus every cell with surface on both sides along all three axes."""
    inside = surface.copy()
    enclosed = np.ones_like(surface)
    for axis in range(3):
        before = np.logical_or.accumulate(surface, axis=axis)
        after = np.flip(np.logical_or.accumulate(np.flip(surface, axis=axis), axis=axis), axis=axis)
        enclosed &= before & after
    return inside | enclosed


def _voxelize_xyz(
    vertices: np.ndarray, faces: np.ndarray, resolution: int, fill: str, surface: str = "exact"
) -> np.ndarray:
    """One validated mesh -> (R, R, R) bool grid indexed [k_x, k_y, k_z]."""
    if len(faces) == 0:
        return np.zeros((resolution,) * 3, dtype=bool)
    grid_vertices = to_grid_coordinates(vertices, resolution)  # (V, 3)
    used = grid_vertices[np.unique(faces)]  # the vertices some face uses
    # Work grid: the unit grid grown to hold the mesh (bounded), plus a margin.
    limit = MAX_GROWTH_FACTOR * resolution
    low = np.clip(np.floor(used.min(axis=0)).astype(np.int64), -limit, 0) - PAD_CELLS
    high = np.clip(np.floor(used.max(axis=0)).astype(np.int64), resolution - 1, resolution - 1 + limit) + PAD_CELLS
    del used
    find_surface = _surface_cells if surface == "exact" else _surface_cells_softras
    # Triangles are independent: their cells are found a chunk at a time (about 1 KB of
    # float64 work arrays per triangle) and OR'ed, the same cells as all at once.
    cells = np.zeros(tuple(high - low + 1), dtype=bool)
    for start in range(0, len(faces), FACES_PER_CHUNK):
        cells |= find_surface(grid_vertices[faces[start : start + FACES_PER_CHUNK]], low, high - low + 1)  # (Fc, 3, 3)
    if fill == "flood":
        occupied = _fill_flood(cells)
    elif fill == "carve":
        occupied = _fill_carve(cells)
    else:
        occupied = cells
    crop = tuple(slice(-lo, -lo + resolution) for lo in low)
    return occupied[crop]


def voxelize(vertices, faces, resolution: int = 32, fill: str = "flood", surface: str = "exact") -> np.ndarray:
    """Voxelize one triangle mesh in the ground-truth convention.

    Args:
        vertices: (V, 3) float tensor or array, object frame (x, y, z; object in
            [-0.5, 0.5]^3). Parts outside the grid are cut off.
        faces: (F, 3) integer tensor or array of vertex indices (winding irrelevant).
        resolution: R, cells per axis.
        fill: 'flood' | 'carve' | 'none' (see the module docstring).
        surface: 'exact' (every cell the surface touches) or 'softras' (the cells
            SoftRas' evaluation voxelizer marks; a subset, for paper-comparable IoU).

    Returns:
        (R, R, R) bool numpy array indexed ``[i_y, i_x, R - 1 - i_z]`` with
        i = floor((R - 1) v + R / 2) per axis.
    """
    resolution = check_resolution(resolution)
    fill = _check_fill(fill)
    surface = _check_surface(surface)
    vertices, faces = _check_mesh(vertices, faces)
    return np.ascontiguousarray(xyz_grid_to_array(_voxelize_xyz(vertices, faces, resolution, fill, surface)))


def voxelize_parts(
    parts: Iterable[Tuple[object, object]], resolution: int = 32, fill: str = "flood", surface: str = "exact"
) -> np.ndarray:
    """Voxelize a union of closed parts: each part is voxelized (and filled) on its own
    and the occupancies are OR'ed, so overlapping primitives fill correctly.

    Args:
        parts: iterable of (vertices (V_i, 3), faces (F_i, 3)) pairs as for ``voxelize``.
        resolution, fill, surface: as for ``voxelize``.

    Returns:
        (R, R, R) bool numpy array in the ground-truth convention.
    """
    resolution = check_resolution(resolution)
    fill = _check_fill(fill)
    surface = _check_surface(surface)
    occupied = np.zeros((resolution,) * 3, dtype=bool)
    for index, part in enumerate(parts):
        try:
            part_vertices, part_faces = part
        except (TypeError, ValueError):
            raise ValueError(f"parts[{index}] must be a (vertices, faces) pair") from None
        vertices, faces = _check_mesh(part_vertices, part_faces)
        occupied |= _voxelize_xyz(vertices, faces, resolution, fill, surface)
    return np.ascontiguousarray(xyz_grid_to_array(occupied))


def occupied_volume(voxels: np.ndarray) -> float:
    """Object-frame volume of the occupied cells of an (R, R, R) grid: count / (R - 1)^3."""
    voxels = np.asarray(voxels)
    if voxels.ndim != 3 or len(set(voxels.shape)) != 1:
        raise ValueError(f"voxels must be a cubic (R, R, R) array, got shape {voxels.shape}")
    return float(np.count_nonzero(voxels)) / float(voxels.shape[0] - 1) ** 3


__all__ = ["FILL_MODES", "SURFACE_MODES", "voxelize", "voxelize_parts", "occupied_volume"]
