"""The embedded default dataset: procedural shapes of five classes in the NMR format.

Each object is a union of boxes, cylinders, cones and ellipsoids with random proportions
(chair: seat, back, four thin legs, sometimes arms; table: top on four legs or a
pedestal; airplane: fuselage, swept wings, tail fin and stabilizer, sometimes engines;
car: body, cabin, four wheels; lamp: base, pole, sometimes an arm, shade), normalized to
the unit box (docs/METHOD.md section 6), coloured by class with some variation, and built by the
shared path of ``build.py`` (24 benchmark views + voxels, the one writer). Everything
is deterministic given the seed: object i of class c in split s comes from its own
random stream seeded by (seed, c, s, i).

``ensure_default_dataset(root)`` builds it once (resumable; a completion marker is
written last) and returns the root.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch

from softrecon.datasets.classes import SYNTHETIC_CLASS_NAMES
from softrecon.datasets.layout import SPLITS
from softrecon.io import unit_box_transform
from softrecon.utils.atomic import atomic_write

from . import primitives as P
from .pipeline import BuildOptions, BuildReport, BuildTask, ObjectRecord, run_build

# Where the default dataset goes, relative to the current folder (git-ignored).
DEFAULT_ROOT = os.path.join("data", "generated", "synthetic")
MARKER_NAME = ".complete.json"  # written last: its presence means the build finished
WORK_DIR_NAME = ".work"  # the object cache, removed once the build is complete
LOCK_NAME = ".lock"
MAX_AUTO_WORKERS = 8  # build processes used by default (one per core up to this)
COLOR_JITTER = 0.12  # per-object RGB variation around the class colour
PART_SHADE_JITTER = 0.06  # extra per-part variation

# Base colour per class (RGB in [0, 1]).
_CLASS_COLORS = {
    "chair": (0.72, 0.45, 0.25),
    "table": (0.55, 0.38, 0.22),
    "airplane": (0.80, 0.82, 0.86),
    "car": (0.75, 0.15, 0.15),
    "lamp": (0.90, 0.80, 0.35),
}

Part = Tuple[np.ndarray, np.ndarray]


@dataclasses.dataclass(frozen=True)
class SyntheticConfig:
    """What the default dataset holds. The defaults are the default dataset."""

    seed: int = 0
    classes: Tuple[str, ...] = tuple(SYNTHETIC_CLASS_NAMES)  # synthetic class ids
    objects_per_split: Tuple[Tuple[str, int], ...] = (("train", 160), ("val", 20), ("test", 20))
    image_size: int = 64
    voxel_resolution: int = 32
    formats: Tuple[str, ...] = ("npz", "hdf5")

    def __post_init__(self) -> None:
        unknown = [c for c in self.classes if c not in SYNTHETIC_CLASS_NAMES]
        if unknown or not self.classes:
            raise ValueError(
                f"SyntheticConfig.classes must be a non-empty subset of {tuple(SYNTHETIC_CLASS_NAMES)}, got {self.classes!r}"
            )
        for split, count in self.objects_per_split:
            if split not in SPLITS or isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError(
                    f"SyntheticConfig.objects_per_split entries must be (split in {SPLITS}, int >= 1), got {(split, count)!r}"
                )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"SyntheticConfig.seed must be an int >= 0, got {self.seed!r}")

    def to_json(self) -> Dict:
        return {
            k: (list(map(list, v)) if k == "objects_per_split" else list(v) if isinstance(v, tuple) else v)
            for k, v in dataclasses.asdict(self).items()
        }


# ------------------------------------------------------------------ shape generators
def _chair(rng: np.random.Generator) -> List[Tuple[Part, int]]:
    width, depth = rng.uniform(0.4, 0.6), rng.uniform(0.38, 0.6)
    seat_height, seat_thickness = rng.uniform(0.38, 0.5), rng.uniform(0.04, 0.08)
    leg = rng.uniform(0.025, 0.05)
    back_height, back_thickness = rng.uniform(0.35, 0.65), rng.uniform(0.03, 0.07)
    parts = [(P.box((0, seat_height, 0), (width, seat_thickness, depth)), 0)]
    round_legs = rng.random() < 0.4
    for sx in (-1, 1):
        for sz in (-1, 1):
            x, z = sx * (width / 2 - leg), sz * (depth / 2 - leg)
            top = seat_height - seat_thickness / 2
            leg_part = (
                P.cylinder((x, 0, z), (x, top, z), leg / 2) if round_legs else P.box((x, top / 2, z), (leg, top, leg))
            )
            parts.append((leg_part, 1))
    back_y = seat_height + seat_thickness / 2 + back_height / 2
    back = P.box((0, back_y, 0), (width, back_height, back_thickness))
    tilt = rng.uniform(0.0, 0.25)  # leaning back
    back = P.transform(P.translate(back, (0, -back_y, 0)), P.rotation_x(-tilt))
    parts.append((P.translate(back, (0, back_y, -depth / 2 + back_thickness / 2)), 0))
    if rng.random() < 0.35:  # armrests
        arm_height = rng.uniform(0.15, 0.25)
        for sx in (-1, 1):
            parts.append((P.box((sx * (width / 2 - leg / 2), seat_height + arm_height, 0), (leg, leg, depth * 0.9)), 1))
            parts.append(
                (
                    P.box(
                        (sx * (width / 2 - leg / 2), seat_height + arm_height / 2, depth * 0.35), (leg, arm_height, leg)
                    ),
                    1,
                )
            )
    return parts


def _table(rng: np.random.Generator) -> List[Tuple[Part, int]]:
    width, depth = rng.uniform(0.8, 1.3), rng.uniform(0.45, 0.9)
    height, thickness = rng.uniform(0.45, 0.8), rng.uniform(0.03, 0.07)
    round_top = rng.random() < 0.3
    if round_top:
        depth = width
        top = P.cylinder((0, height - thickness, 0), (0, height, 0), width / 2, segments=20)
    else:
        top = P.box((0, height - thickness / 2, 0), (width, thickness, depth))
    parts = [(top, 0)]
    if rng.random() < 0.3 or round_top:  # pedestal
        radius = rng.uniform(0.03, 0.07)
        parts.append((P.cylinder((0, 0.02, 0), (0, height - thickness, 0), radius), 1))
        parts.append((P.cylinder((0, 0, 0), (0, 0.03, 0), rng.uniform(0.15, 0.3)), 1))
    else:
        leg = rng.uniform(0.03, 0.07)
        inset = rng.uniform(0.0, 0.1)
        for sx in (-1, 1):
            for sz in (-1, 1):
                x, z = sx * (width / 2 - leg - inset * width / 2), sz * (depth / 2 - leg - inset * depth / 2)
                parts.append((P.box((x, (height - thickness) / 2, z), (leg, height - thickness, leg)), 1))
    return parts


def _airplane(rng: np.random.Generator) -> List[Tuple[Part, int]]:
    length = 1.0
    radius = rng.uniform(0.05, 0.09)
    parts = [(P.ellipsoid((0, 0, 0), (radius, radius, length / 2), level=1), 0)]
    span, chord = rng.uniform(0.7, 1.1), rng.uniform(0.12, 0.25)
    sweep = rng.uniform(0.0, 0.7)  # shear of z along |x|: swept-back wings
    wing_z = rng.uniform(-0.05, 0.1)
    for side in (-1, 1):
        wing = P.box((side * span / 4, 0, 0), (span / 2, 0.02, chord))
        shear = np.array([[1.0, 0, 0], [0, 1.0, 0], [-side * sweep, 0, 1.0]])  # z -= sweep |x|
        parts.append((P.translate(P.transform(wing, shear), (0, -radius * 0.3, wing_z)), 1))
        if rng.random() < 0.5:  # engine under the wing
            x = side * span * rng.uniform(0.15, 0.3)
            z = wing_z - sweep * abs(x) + chord * 0.3
            parts.append((P.cylinder((x, -radius * 0.9, z + 0.08), (x, -radius * 0.9, z - 0.08), radius * 0.45), 1))
    tail_z = -length / 2 + 0.06
    fin_height = rng.uniform(0.12, 0.22)
    parts.append(
        (P.box((0, radius + fin_height / 2 - 0.01, tail_z + 0.04), (0.02, fin_height, rng.uniform(0.08, 0.15))), 1)
    )
    stabilizer = rng.uniform(0.2, 0.35)
    parts.append((P.box((0, radius * 0.5, tail_z + 0.03), (stabilizer, 0.015, rng.uniform(0.06, 0.1))), 1))
    return parts


def _car(rng: np.random.Generator) -> List[Tuple[Part, int]]:
    length, width = 1.0, rng.uniform(0.38, 0.5)
    wheel = rng.uniform(0.07, 0.11)
    body_height = rng.uniform(0.12, 0.22)
    body_bottom = wheel * 0.6
    parts = [(P.box((0, body_bottom + body_height / 2, 0), (width, body_height, length)), 0)]
    cabin_length = rng.uniform(0.35, 0.6)
    cabin_height = rng.uniform(0.1, 0.18)
    cabin_z = rng.uniform(-0.15, 0.05)
    cabin = P.box(
        (0, body_bottom + body_height + cabin_height / 2, cabin_z),
        (width * rng.uniform(0.8, 0.95), cabin_height, cabin_length),
    )
    parts.append((cabin, 2))
    axle = length / 2 - rng.uniform(0.13, 0.2)
    for sx in (-1, 1):
        for sz in (-1, 1):
            x = sx * (width / 2 - 0.02)
            parts.append((P.cylinder((x - 0.04, wheel, sz * axle), (x + 0.04, wheel, sz * axle), wheel), 1))
    return parts


def _lamp(rng: np.random.Generator) -> List[Tuple[Part, int]]:
    base_radius = rng.uniform(0.1, 0.2)
    height = rng.uniform(0.6, 1.0)
    pole = rng.uniform(0.012, 0.025)
    parts = [(P.cylinder((0, 0, 0), (0, rng.uniform(0.02, 0.05), 0), base_radius, segments=16), 1)]
    top = np.array([0.0, height, 0.0])
    parts.append((P.cylinder((0, 0, 0), top, pole), 1))
    if rng.random() < 0.4:  # an arm sideways
        reach = rng.uniform(0.15, 0.3)
        end = top + np.array([reach, rng.uniform(-0.05, 0.1), 0.0])
        parts.append((P.cylinder(top, end, pole), 1))
        top = end
    shade_height = rng.uniform(0.12, 0.25)
    shade = P.frustum(
        top + np.array([0, -shade_height * 0.7, 0]),
        top + np.array([0, shade_height * 0.3, 0]),
        rng.uniform(0.1, 0.2),
        rng.uniform(0.03, 0.09),
        segments=16,
    )
    parts.append((shade, 0))
    return parts


_GENERATORS: Dict[str, Callable[[np.random.Generator], List[Tuple[Part, int]]]] = {
    "chair": _chair,
    "table": _table,
    "airplane": _airplane,
    "car": _car,
    "lamp": _lamp,
}
# Role colours relative to the class colour: main surfaces, thin supports, secondary.
_ROLE_SCALE = (1.0, 0.6, 0.8)


def make_object(class_id: str, rng: np.random.Generator) -> ObjectRecord:
    """One random object of a synthetic class, normalized to the unit box.

    Args:
        class_id: a key of ``SYNTHETIC_CLASS_NAMES``.
        rng: numpy random generator (the object is a function of its state).

    Returns:
        an ``ObjectRecord`` with per-face colours and the parts to voxelize.
    """
    if class_id not in SYNTHETIC_CLASS_NAMES:
        raise ValueError(f"class_id must be one of {tuple(SYNTHETIC_CLASS_NAMES)}, got {class_id!r}")
    name = SYNTHETIC_CLASS_NAMES[class_id]
    pieces = _GENERATORS[name](rng)
    base = np.asarray(_CLASS_COLORS[name]) + rng.uniform(-COLOR_JITTER, COLOR_JITTER, 3)
    vertices = np.concatenate([part[0] for part, _ in pieces])
    centre, scale = (t.numpy() for t in unit_box_transform(torch.from_numpy(vertices)))
    parts, colors, offset, faces = [], [], 0, []
    for (part_vertices, part_faces), role in pieces:
        part_vertices = (part_vertices - centre[0]) * scale[0, 0]
        parts.append((part_vertices, part_faces))
        faces.append(part_faces + offset)
        offset += len(part_vertices)
        color = np.clip(base * _ROLE_SCALE[role] + rng.uniform(-PART_SHADE_JITTER, PART_SHADE_JITTER, 3), 0.0, 1.0)
        colors.append(np.broadcast_to(color, (len(part_faces), 3)))
    return ObjectRecord(
        vertices=np.concatenate([p[0] for p in parts]),
        faces=np.concatenate(faces),
        face_colors=np.concatenate(colors),
        parts=parts,
    )


def object_rng(seed: int, class_id: str, split: str, index: int) -> np.random.Generator:
    """The random stream of one object: independent of every other object."""
    class_index = list(SYNTHETIC_CLASS_NAMES).index(class_id)
    return np.random.default_rng(np.random.SeedSequence([seed, class_index, SPLITS.index(split), index]))


def synthetic_producer(task: BuildTask) -> ObjectRecord:
    """``run_build`` producer: ``task.source`` is (seed, index) of the object."""
    seed, index = task.source
    return make_object(task.class_id, object_rng(seed, task.class_id, task.split, index))


def synthetic_tasks(config: SyntheticConfig) -> List[BuildTask]:
    """Every object of the configured dataset, class after class, split after split."""
    return [
        BuildTask(class_id, split, f"{class_id}-{split}-{index:05d}", (config.seed, index))
        for class_id in config.classes
        for split, count in config.objects_per_split
        for index in range(count)
    ]


def generate_synthetic_dataset(
    root,
    config: SyntheticConfig = SyntheticConfig(),
    workers: int = 1,
    work_dir: Optional[str] = None,
    progress: bool = True,
    backend: str = "auto",
) -> BuildReport:
    """Build the synthetic dataset into ``root`` (resumable through ``work_dir``,
    default ``root/.work``). Does not write the completion marker (see
    ``ensure_default_dataset``)."""
    root = os.fspath(root)
    options = BuildOptions(
        image_size=config.image_size,
        voxel_resolution=config.voxel_resolution,
        voxel_fill="flood",
        formats=config.formats,
        backend=backend,
    )
    work_dir = work_dir or os.path.join(root, WORK_DIR_NAME)
    report = run_build(
        synthetic_tasks(config), synthetic_producer, root, work_dir, options, workers=workers, progress=progress
    )
    if report.failures:  # the generator never fails: a failure is a bug
        raise RuntimeError("synthetic objects failed to build:\n" + report.summary())
    return report


def is_complete(root, config: SyntheticConfig = SyntheticConfig()) -> bool:
    """Whether ``root`` holds a finished build of ``config``."""
    marker = os.path.join(os.fspath(root), MARKER_NAME)
    try:
        with open(marker) as handle:
            return json.load(handle).get("config") == config.to_json()
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def _exclusive(root: str):
    """Hold an exclusive lock on ``root`` (concurrent callers wait, then see the marker)."""
    with open(os.path.join(root, LOCK_NAME), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_default_dataset(
    root=DEFAULT_ROOT, config: SyntheticConfig = SyntheticConfig(), workers: Optional[int] = None, progress: bool = True
) -> str:
    """Return ``root`` holding the synthetic dataset of ``config``, building it first if
    it is missing or was interrupted (idempotent; safe to call from several processes).
    ``workers``: build processes (None: one per CPU core, at most ``MAX_AUTO_WORKERS``).

    The completion marker ``.complete.json`` is written last, so a killed build is
    resumed (from its object cache) rather than mistaken for a finished one.
    """
    root = os.fspath(root)
    if is_complete(root, config):
        return root
    os.makedirs(root, exist_ok=True)
    with _exclusive(root):
        if not is_complete(root, config):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(root, MARKER_NAME))
            if workers is None:
                workers = max(1, min(os.cpu_count() or 1, MAX_AUTO_WORKERS))
            report = generate_synthetic_dataset(root, config, workers=workers, progress=progress)
            with atomic_write(os.path.join(root, MARKER_NAME), "w") as handle:
                json.dump(
                    {"config": config.to_json(), "counts": {f"{c}_{s}": n for (c, s), n in report.counts.items()}},
                    handle,
                    indent=1,
                )
            shutil.rmtree(os.path.join(root, WORK_DIR_NAME), ignore_errors=True)
    return root
