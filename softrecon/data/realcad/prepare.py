"""Load one realcad model, bring it into the canonical pose, check it, and cache it as
an .npz mesh; ``load_prepared`` is the ``build.run_build`` producer that reads it back.

A model is left out, with the reason, when it cannot be read, normalizes to nothing
(all vertices at one point), is a flat fragment, has too many faces to render in
reasonable time, or voxelizes to almost nothing.

Shape symbols: V vertices, F faces.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Optional, Tuple

import numpy as np

from ...io.ac3d import read_ac3d
from ...io.sh3f import read_furniture_model
from ...utils.atomic import atomic_write
from ...voxel import voxelize
from ..build import BuildTask, ObjectRecord
from .catalog import Candidate
from .pose import canonical_pose

# A model whose thinnest bounding-box side is below this fraction of its longest side
# is a flat fragment (a decal, a light flare), not an object.
FLAT_FRACTION = 0.01
# Models with more faces are left out: rendering 24 views costs about linear in F.
MAX_FACES = 250_000
# A model that fills fewer cells of the 32^3 grid is "almost nothing" (a wire frame, a
# few planes): its ground truth would be noise.
MIN_OCCUPIED_VOXELS = 32
CHECK_RESOLUTION = 32
_SIGNATURE_DECIMALS = 3  # bounding-box sides compared to 1e-3 of the unit box


@dataclasses.dataclass(frozen=True)
class Prepared:
    """Outcome of preparing one model: the cached mesh, or why it was left out."""

    path: Optional[str]  # the cached .npz, None when left out
    reason: str  # '' when prepared
    faces: int = 0  # F of the source model (0 when unreadable)
    signature: Tuple = ()  # (V, F, rounded box sides): equal for duplicate geometry


def read_candidate(candidate: Candidate) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's mesh in its file's frame: vertices (V, 3), faces (F, 3) and colours,
    (F, 3) per face (AC3D) or (F, 3, 3) per face corner (OBJ with materials), or
    neutral grey when the OBJ has none."""
    if candidate.entry is not None:
        raw = read_furniture_model(candidate.file, candidate.entry)
        if raw.colors is not None:
            colors = np.clip(raw.colors[:, :3], 0.0, 1.0)[raw.faces]
        else:
            colors = np.full((len(raw.faces), 3), 0.7)
        return raw.vertices, raw.faces, colors
    mesh = read_ac3d(candidate.file)
    return mesh.vertices, mesh.faces, mesh.face_colors


def prepared_path(work_dir: str, model_id: str, front: str) -> str:
    """Where the prepared mesh of a model in a pose is cached."""
    return os.path.join(work_dir, f"{model_id}@{front}.npz")


def _cache_paths(work_dir: str, model_id: str, front: str) -> Tuple[str, str]:
    return prepared_path(work_dir, model_id, front), os.path.join(work_dir, f"{model_id}@{front}.skip.txt")


def prepare(candidate: Candidate, front: str, work_dir: str) -> Prepared:
    """Prepare one model into ``work_dir`` (once: a cached result is returned as is)."""
    mesh_path, skip_path = _cache_paths(work_dir, candidate.model_id, front)
    if os.path.isfile(mesh_path):
        with np.load(mesh_path) as cached:
            return Prepared(mesh_path, "", int(cached["source_faces"]), tuple(cached["signature"].tolist()))
    if os.path.isfile(skip_path):
        with open(skip_path) as handle:
            faces, reason = handle.read().split("\t", 1)
        return Prepared(None, reason.strip(), int(faces))
    result = _prepare(candidate, front, mesh_path)
    if result.path is None:
        os.makedirs(work_dir, exist_ok=True)
        with atomic_write(skip_path, "w") as handle:
            handle.write(f"{result.faces}\t{result.reason}\n")
    return result


def _prepare(candidate: Candidate, front: str, mesh_path: str) -> Prepared:
    try:
        vertices, faces, colors = read_candidate(candidate)
    except (ValueError, OSError) as error:  # MeshLoadError is a ValueError
        return Prepared(None, f"unreadable: {error}")
    count = len(faces)
    if count > MAX_FACES:
        return Prepared(None, f"too many faces ({count} > {MAX_FACES})", count)
    try:
        vertices = canonical_pose(vertices, front)
    except ValueError as error:
        return Prepared(None, f"normalizes to nothing ({error})", count)
    sides = vertices.max(axis=0) - vertices.min(axis=0)
    if sides.min() < FLAT_FRACTION:
        return Prepared(None, f"flat fragment (thinnest side {sides.min():.4f} of the unit box)", count)
    occupied = int(voxelize(vertices, faces, CHECK_RESOLUTION, "flood").sum())
    if occupied < MIN_OCCUPIED_VOXELS:
        return Prepared(None, f"voxelizes to almost nothing ({occupied} of {CHECK_RESOLUTION}^3 cells)", count)
    signature = (len(vertices), count) + tuple(np.round(sides, _SIGNATURE_DECIMALS).tolist())
    os.makedirs(os.path.dirname(mesh_path), exist_ok=True)
    with atomic_write(mesh_path, "wb") as handle:
        np.savez_compressed(
            handle, vertices=vertices.astype(np.float32), faces=faces.astype(np.int32), face_colors=colors.astype(np.float32),
            source_faces=np.int64(count), signature=np.asarray(signature, dtype=np.float64),
        )
    return Prepared(mesh_path, "", count, tuple(float(s) for s in signature))


def load_prepared(task: BuildTask) -> ObjectRecord:
    """``run_build`` producer: ``task.source`` is the path of a prepared .npz mesh."""
    with np.load(task.source) as cached:
        return ObjectRecord(
            vertices=cached["vertices"].astype(np.float64), faces=cached["faces"].astype(np.int64),
            face_colors=cached["face_colors"].astype(np.float64),
        )
