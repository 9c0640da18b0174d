"""Mesh folders as a dataset source: discovery, split assignment, and the producer that
loads one mesh file for ``build.run_build`` (used by ``scripts/build_dataset.py``).

Layouts:
- ShapeNetCore: ``<root>/<synset>/<model>/model.obj`` (v1) or
  ``<root>/<synset>/<model>/models/model_normalized.obj`` (v2); class = synset.
- flat: mesh files (.obj, .ply) directly in ``<root>`` (class given by the caller), or
  in one subfolder per class (``<root>/<class>/<model>.obj``); model id = file stem.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from softrecon.datasets import layout
from softrecon.io import SUPPORTED_EXTENSIONS, read_mesh_arrays, unit_box_transform
from softrecon.io.errors import MeshLoadError

from .pipeline import BuildTask, ObjectRecord

LAYOUTS = ("auto", "shapenet", "flat")
UNIT_BOX_HALF = 0.5  # --no-normalize meshes must lie in [-0.5, 0.5]^3 (the voxel grid, the views)
UNIT_BOX_TOLERANCE = 1e-5  # rounding in the files
SHAPENET_MODEL_FILES = ("model.obj", os.path.join("models", "model_normalized.obj"))  # v1, v2
FRACTION_TOLERANCE = 1e-6  # split fractions must sum to 1 within this


@dataclasses.dataclass(frozen=True)
class MeshEntry:
    """One mesh file found in a folder."""

    class_id: str
    model_id: str
    path: str


@dataclasses.dataclass(frozen=True)
class MeshSource:
    """``BuildTask.source`` of a mesh file: its path and whether to normalize it."""

    path: str
    normalize: bool = True


def _mesh_files(folder: str) -> List[str]:
    return sorted(
        name
        for name in os.listdir(folder)
        if os.path.isfile(os.path.join(folder, name)) and os.path.splitext(name)[1].lower() in SUPPORTED_EXTENSIONS
    )


def _shapenet_entries(root: str) -> List[MeshEntry]:
    entries = []
    for synset in sorted(os.listdir(root)):
        synset_dir = os.path.join(root, synset)
        if not os.path.isdir(synset_dir):
            continue
        for model in sorted(os.listdir(synset_dir)):
            for relative in SHAPENET_MODEL_FILES:
                path = os.path.join(synset_dir, model, relative)
                if os.path.isfile(path):
                    entries.append(MeshEntry(synset, model, path))
                    break
    return entries


def discover_meshes(root, layout_name: str = "auto", class_id: Optional[str] = None) -> List[MeshEntry]:
    """Find the mesh files under ``root``.

    Args:
        root: the folder.
        layout_name: 'shapenet', 'flat' or 'auto' (ShapeNet if any ShapeNet model file
            is found, else flat).
        class_id: the class of the meshes directly in ``root`` (flat layout); required
            when there are such files.

    Returns:
        entries sorted by class then model id.

    Raises:
        FileNotFoundError: ``root`` is not a folder. ValueError: bad arguments, no mesh
        found, a missing ``class_id``, or a model id found twice in one class.
    """
    root = os.fspath(root)
    if layout_name not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout_name!r}")
    if not os.path.isdir(root):
        raise FileNotFoundError(f"{root}: input folder does not exist")
    entries: List[MeshEntry] = []
    if layout_name in ("auto", "shapenet"):
        entries = _shapenet_entries(root)
    if not entries and layout_name in ("auto", "flat"):
        top = _mesh_files(root)
        if top:
            if class_id is None:
                raise ValueError(
                    f"{root}: mesh files lie directly in the folder: give their class id (class_id / --class-id)"
                )
            layout.check_class_id(class_id)
            entries += [MeshEntry(class_id, os.path.splitext(name)[0], os.path.join(root, name)) for name in top]
        for sub in sorted(os.listdir(root)):
            folder = os.path.join(root, sub)
            if os.path.isdir(folder) and not sub.startswith("."):
                files = _mesh_files(folder)
                if files:
                    layout.check_class_id(sub)
                    entries += [MeshEntry(sub, os.path.splitext(name)[0], os.path.join(folder, name)) for name in files]
    if not entries:
        raise ValueError(f"{root}: no mesh files found (layout {layout_name!r}, extensions {SUPPORTED_EXTENSIONS})")
    seen = set()
    for entry in entries:
        if (entry.class_id, entry.model_id) in seen:
            raise ValueError(f"{entry.path}: model id {entry.model_id!r} appears twice in class {entry.class_id!r}")
        seen.add((entry.class_id, entry.model_id))
    return sorted(entries, key=lambda e: (e.class_id, e.model_id))


def read_split_file(path) -> Dict[Tuple[Optional[str], str], str]:
    """Read a split file: which split each model goes to.

    Formats (by extension):
    - ``.json``: ``{"train": [ids], "val": [...], ...}`` for every class, or
      ``{class_id: {"train": [ids], ...}, ...}`` per class;
    - anything else, text: one ``<split> <model_id>`` or ``<class_id> <split> <model_id>``
      per line; blank lines and ``#`` comments are skipped.

    Returns:
        {(class_id or None for any class, model_id): split}.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: split file does not exist")
    assignment: Dict[Tuple[Optional[str], str], str] = {}

    def put(class_id, split, model_id, where):
        layout.check_split(split)
        key = (class_id, str(model_id))
        if key in assignment and assignment[key] != split:
            raise ValueError(f"{path}: {where}: model {model_id!r} is in splits {assignment[key]!r} and {split!r}")
        assignment[key] = split

    if path.lower().endswith(".json"):
        try:
            with open(path) as handle:
                data = json.load(handle)
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a JSON object of splits")
        for key, value in data.items():
            if isinstance(value, list):
                for model_id in value:
                    put(None, key, model_id, f"split {key!r}")
            elif isinstance(value, dict):
                for split, ids in value.items():
                    if not isinstance(ids, list):
                        raise ValueError(f"{path}: {key}/{split} must be a list of model ids")
                    for model_id in ids:
                        put(key, split, model_id, f"class {key!r}")
            else:
                raise ValueError(f"{path}: {key!r} must map to a list of ids or to an object of splits")
        return assignment
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            tokens = line.split("#", 1)[0].split()
            if not tokens:
                continue
            if len(tokens) == 2:
                put(None, tokens[0], tokens[1], f"line {number}")
            elif len(tokens) == 3:
                put(tokens[0], tokens[1], tokens[2], f"line {number}")
            else:
                raise ValueError(
                    f"{path}: line {number}: expected '<split> <model_id>' or '<class_id> <split> <model_id>'"
                )
    return assignment


def assign_from_file(
    entries: Sequence[MeshEntry], assignment: Dict[Tuple[Optional[str], str], str]
) -> Dict[MeshEntry, str]:
    """Split of each entry named in ``assignment`` (per-class keys first); others are left out."""
    result = {}
    for entry in entries:
        split = assignment.get((entry.class_id, entry.model_id), assignment.get((None, entry.model_id)))
        if split is not None:
            result[entry] = split
    return result


def unmatched_split_ids(
    entries: Sequence[MeshEntry], assignment: Dict[Tuple[Optional[str], str], str]
) -> List[Tuple[Optional[str], str, str]]:
    """The ids a split file names that no mesh has: [(class id or None, model id, split)],
    sorted (a key with a class must match a mesh of that class)."""
    with_class = {(entry.class_id, entry.model_id) for entry in entries}
    ids = {entry.model_id for entry in entries}
    missing = [
        (class_id, model_id, split)
        for (class_id, model_id), split in assignment.items()
        if ((class_id, model_id) not in with_class if class_id is not None else model_id not in ids)
    ]
    return sorted(missing, key=lambda item: (item[0] or "", item[1]))


def assign_by_fractions(entries: Sequence[MeshEntry], fractions: Dict[str, float], seed: int) -> Dict[MeshEntry, str]:
    """Seeded random split per class: each class's models (sorted by id) are shuffled with
    ``seed`` and cut by ``fractions`` (e.g. {'train': 0.8, 'val': 0.1, 'test': 0.1})."""
    if not fractions or any(f < 0 for f in fractions.values()) or abs(sum(fractions.values()) - 1) > FRACTION_TOLERANCE:
        raise ValueError(f"split fractions must be >= 0 and sum to 1, got {fractions!r}")
    for split in fractions:
        layout.check_split(split)
    result = {}
    for class_id in sorted({e.class_id for e in entries}):
        members = sorted((e for e in entries if e.class_id == class_id), key=lambda e: e.model_id)
        order = np.random.default_rng(np.random.SeedSequence([seed, *class_id.encode()])).permutation(len(members))
        bounds = np.rint(np.cumsum([0.0] + list(fractions.values())) * len(members)).astype(int)
        for split, start, stop in zip(fractions, bounds[:-1], bounds[1:]):
            for position in order[start:stop]:
                result[members[position]] = split
    return result


def mesh_tasks(assigned: Dict[MeshEntry, str], normalize: bool = True) -> List[BuildTask]:
    """Build tasks in (class, split, model id) order."""
    return [
        BuildTask(entry.class_id, split, entry.model_id, MeshSource(entry.path, normalize))
        for entry, split in sorted(assigned.items(), key=lambda item: (item[0].class_id, item[1], item[0].model_id))
    ]


def load_mesh_record(task: BuildTask) -> ObjectRecord:
    """``run_build`` producer: load ``task.source`` (a ``MeshSource``) and normalize it
    to the unit box; per-vertex colours (from the file or its materials) become face
    colours, meshes without colours are rendered neutral grey."""
    source: MeshSource = task.source
    raw = read_mesh_arrays(source.path)  # MeshLoadError names the file
    vertices = raw.vertices
    if source.normalize:
        try:
            centre, scale = (t.numpy() for t in unit_box_transform(torch.from_numpy(vertices)))
        except ValueError as error:  # e.g. every vertex at one point
            raise MeshLoadError(source.path, str(error)) from None
        vertices = (vertices - centre[0]) * scale[0, 0]
    elif len(vertices) and np.abs(vertices).max() > UNIT_BOX_HALF + UNIT_BOX_TOLERANCE:
        raise ValueError(
            f"{source.path}: vertices span {vertices.min(axis=0).round(3).tolist()} .. {vertices.max(axis=0).round(3).tolist()}, "
            f"outside the unit box [-0.5, 0.5]^3 that the views and voxels cover; drop --no-normalize to fit it in"
        )
    face_colors = None
    if raw.colors is not None:
        colors = raw.colors[:, :3] if raw.colors.shape[1] >= 3 else np.repeat(raw.colors[:, :1], 3, axis=1)
        face_colors = np.clip(colors[raw.faces], 0.0, 1.0)  # (F, 3, 3)
    return ObjectRecord(vertices=vertices, faces=raw.faces, face_colors=face_colors)
