"""Load one realcad model, bring it into the canonical pose, check it, and cache it as
an .npz mesh; ``load_prepared`` is the ``build.run_build`` producer that reads it back.

AC3D effect objects (wakes, light cones, flares) and objects detached far from the model
(towed gear) are dropped (``object_mask``). A model is left out, with the reason, when it cannot be read, normalizes to nothing
(all vertices at one point), is a flat fragment, has too many faces to render in
reasonable time, or voxelizes to almost nothing. Any error reading one model (a
malformed file, a limit of ``softrecon.io.limits``, a reader's bug) leaves that model
out with its file and the reason; the build goes on.

The cache is keyed on content: a prepared mesh (or the reason a model was left out) is
reused only for the same model bytes (the AC3D file; the furniture piece's zip members
and rotation), pose, reader limits and ``PREPARE_VERSION``. Errors that may not recur
(the file system, memory, an unexpected exception) are never cached.

Shape symbols: V vertices, F faces.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import os
import re
import warnings
from typing import Optional, Tuple

import numpy as np

from softrecon.io import limits
from softrecon.io.ac3d import AC3DMesh, read_ac3d
from softrecon.io.sh3f import model_digest, read_furniture_model
from softrecon.utils.atomic import atomic_write
from softrecon.voxel import voxelize

from ..pipeline import BuildTask, ObjectRecord
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
# AC3D objects named like this are effects, not the object: wakes, light cones, flares,
# shadows, spray (FlightGear and TORCS models carry them).
EFFECT_NAMES = re.compile(r"wake|light.?cone|flare|shadow|spray|bow.?wave|halo", re.IGNORECASE)
MAIN_AREA_FRACTION = 0.8
DETACHED_MARGIN = 0.25
_SIGNATURE_DECIMALS = 3  # bounding-box sides compared to 1e-3 of the unit box
# Part of the cache names: bump it when reading or checking changes, so that models
# prepared (or left out) by an older version are prepared again.
PREPARE_VERSION = 5
_KEY_CHARS = 32  # hex digits of the content key in a cache file's name (128 bits)
UNREADABLE = "unreadable"  # the left-out reason's kind for a model that cannot be read


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
        with warnings.catch_warnings():  # unreadable textures: the material's Kd is used
            warnings.simplefilter("ignore")
            raw = read_furniture_model(candidate.file, candidate.entry)
        if raw.colors is not None:
            colors = np.clip(raw.colors[:, :3], 0.0, 1.0)[raw.faces]
        else:
            colors = np.full((len(raw.faces), 3), 0.7)
        return raw.vertices, raw.faces, colors
    mesh = read_ac3d(candidate.file)
    keep = object_mask(mesh)
    used, faces = np.unique(mesh.faces[keep], return_inverse=True)  # only the kept faces' vertices
    return mesh.vertices[used], faces.reshape(-1, 3), mesh.face_colors[keep]


def object_mask(mesh: AC3DMesh) -> np.ndarray:
    """(F,) bool: the faces of an AC3D model that belong to the object itself.

    Dropped: objects named as effects (wakes, light cones and flares, shadows, spray),
    and objects lying wholly outside the main body's bounding box grown by
    ``DETACHED_MARGIN`` of its size (towed gear, wakes far behind a ship). The main
    body is the largest objects holding ``MAIN_AREA_FRACTION`` of the surface area.
    """
    names = np.asarray([bool(EFFECT_NAMES.search(name)) for name in mesh.object_names] + [False])
    keep = ~names[mesh.face_objects]
    if not keep.any():
        return np.ones(len(mesh.faces), dtype=bool)  # all named like effects: keep them (checked later)
    tri = mesh.vertices[mesh.faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1) * keep
    per_object = np.bincount(mesh.face_objects, weights=area, minlength=len(mesh.object_names))
    order = np.argsort(-per_object)
    cumulative = np.cumsum(per_object[order])
    main = order[: int(np.searchsorted(cumulative, MAIN_AREA_FRACTION * cumulative[-1])) + 1]
    in_main = np.isin(mesh.face_objects, main) & keep
    corners = tri[in_main].reshape(-1, 3)
    low, high = corners.min(axis=0), corners.max(axis=0)
    margin = DETACHED_MARGIN * (high - low).max()
    for index in np.unique(mesh.face_objects[keep]):
        faces = (mesh.face_objects == index) & keep
        points = tri[faces].reshape(-1, 3)
        if ((points.max(axis=0) < low - margin) | (points.min(axis=0) > high + margin)).any():
            keep &= ~faces
    return keep


def content_key(candidate: Candidate, front: str) -> str:
    """SHA-256 of everything a prepared model depends on: the model's bytes, its pose,
    the reader limits and ``PREPARE_VERSION``.

    Raises:
        MeshLoadError (a ValueError): the model's file or library cannot be read.
        OSError: the file system.
    """
    digest = hashlib.sha256()
    settings = dict(version=PREPARE_VERSION, front=front, limits=dataclasses.asdict(limits.current()))
    digest.update(json.dumps(settings, sort_keys=True).encode())
    if candidate.entry is not None:
        digest.update(model_digest(candidate.file, candidate.entry).encode())
    else:
        with open(candidate.file, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def prepared_path(work_dir: str, model_id: str, front: str, key: str) -> str:
    """Where the prepared mesh of a model in a pose, of content key ``key``, is cached."""
    return os.path.join(work_dir, f"{model_id}@{front}.{key[:_KEY_CHARS]}.v{PREPARE_VERSION}.npz")


def _skip_path(work_dir: str, model_id: str, front: str, key: str) -> str:
    return os.path.join(work_dir, f"{model_id}@{front}.{key[:_KEY_CHARS]}.v{PREPARE_VERSION}.skip.txt")


def _drop_other_entries(work_dir: str, model_id: str, keep: str) -> None:
    """Remove the model's cache files of other contents, poses or versions."""
    for path in glob.glob(os.path.join(glob.escape(work_dir), glob.escape(model_id) + "@*")):
        if path != keep:
            os.remove(path)


def prepare(candidate: Candidate, front: str, work_dir: str) -> Prepared:
    """Prepare one model into ``work_dir``, or reuse the result cached for the same
    content (see the module's docstring). Never raises for a bad model: it comes back
    left out, with the reason."""
    try:
        key = content_key(candidate, front)
    except Exception as error:  # noqa: BLE001 - the file itself cannot be read: reported, not cached
        return Prepared(None, f"{UNREADABLE}: {_describe(candidate, error)}")
    mesh_path, skip_path = (
        prepared_path(work_dir, candidate.model_id, front, key),
        _skip_path(work_dir, candidate.model_id, front, key),
    )
    try:
        if os.path.isfile(mesh_path):
            with np.load(mesh_path) as cached:
                return Prepared(mesh_path, "", int(cached["source_faces"]), tuple(cached["signature"].tolist()))
        if os.path.isfile(skip_path):
            with open(skip_path) as handle:
                faces, reason = handle.read().split("\t", 1)
            return Prepared(None, reason.strip(), int(faces))
    except Exception:  # noqa: BLE001 - a damaged cache entry is prepared again
        pass
    result, lasting = _prepare(candidate, front, mesh_path)
    os.makedirs(work_dir, exist_ok=True)
    if result.path is None and lasting:
        with atomic_write(skip_path, "w") as handle:
            handle.write(f"{result.faces}\t{result.reason}\n")
    if result.path is not None or lasting:
        _drop_other_entries(work_dir, candidate.model_id, result.path or skip_path)
    return result


def _describe(candidate: Candidate, error: BaseException) -> str:
    """An error's message, naming the model's file when the message does not."""
    text = str(error)
    if candidate.file in text:
        return text
    return f"{candidate.path}: {type(error).__name__}: {text}"


def _prepare(candidate: Candidate, front: str, mesh_path: str) -> Tuple[Prepared, bool]:
    """The outcome, and whether it lasts (is decided by the model's content alone)."""
    try:
        return _prepare_readable(candidate, front, mesh_path), True
    except Exception as error:  # noqa: BLE001 - one bad model never aborts the build
        # A malformed file or a limit (MeshLoadError, a ValueError) recurs with the same
        # bytes; anything else (the file system, memory, a reader's bug) may not.
        lasting = isinstance(error, ValueError)
        return Prepared(None, f"{UNREADABLE}: {_describe(candidate, error)}"), lasting


def _prepare_readable(candidate: Candidate, front: str, mesh_path: str) -> Prepared:
    """Read, check and cache one model; raises when it cannot be read."""
    vertices, faces, colors = read_candidate(candidate)
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
            handle,
            vertices=vertices.astype(np.float32),
            faces=faces.astype(np.int32),
            face_colors=colors.astype(np.float32),
            source_faces=np.int64(count),
            signature=np.asarray(signature, dtype=np.float64),
        )
    return Prepared(mesh_path, "", count, tuple(float(s) for s in signature))


def load_prepared(task: BuildTask) -> ObjectRecord:
    """``run_build`` producer: ``task.source`` is the path of a prepared .npz mesh."""
    with np.load(task.source) as cached:
        return ObjectRecord(
            vertices=cached["vertices"].astype(np.float64),
            faces=cached["faces"].astype(np.int64),
            face_colors=cached["face_colors"].astype(np.float64),
        )
