"""The one dataset-building path: produce a mesh -> render 24 views + voxelize -> cache ->
write every (class, split) with ``SplitWriter``.

Producers (a mesh-folder loader in ``scripts/build_dataset.py``, the procedural shapes of
``synthetic.py``) only turn a ``BuildTask`` into an ``ObjectRecord``; everything after
that is shared. Each finished object is cached in the work folder as one .npz written
atomically, so a killed build resumes where it stopped. A cached object is reused only
when its key matches: a hash of the mesh the producer returns (vertices, faces, colours,
parts) and of every option that changes the object (``object_key``), so a replaced mesh
file or another ``--no-normalize`` is rebuilt. Objects whose producer fails (unreadable
or empty mesh, ...) or that come out empty (no pixel in any view, no voxel) are skipped
and reported with the reason.

With several workers, a worker process that dies (killed by the out-of-memory killer, a
crash in native code) never leaves the build waiting for it: the objects that were being
built then are built again, each alone in a fresh process, and one whose process dies
again is skipped and reported like an unreadable mesh.

Shape symbols: V vertices, F faces, S image size, R voxel resolution.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import multiprocessing
import os
import re
import threading
import time
import warnings
from collections import OrderedDict, deque
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from softrecon.datasets import layout
from softrecon.utils.atomic import atomic_write, remove_stale_temporaries
from softrecon.voxel import FILL_MODES, voxelize, voxelize_parts

from .render import render_benchmark_views
from .writer import FORMATS, SplitWriter, check_formats

IMAGE_SIZES = (64, 128, 256)  # the sizes the tools offer (any size >= 1 works)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")
_IDS_SUFFIX = "_ids.txt"  # '{class}_{split}_ids.txt': the model ids, in object order
# Bump when rendering or voxelizing changes what the same mesh becomes: old caches rebuild.
CACHE_VERSION = 1
_KEY_MEMBER = "key"  # npz member of a cached object holding its object_key


class EmptyObjectError(ValueError):
    """An object renders to no pixel in every view, or voxelizes to no voxel."""


@dataclasses.dataclass(frozen=True)
class BuildTask:
    """One object to build. ``source`` is whatever the producer needs (picklable)."""

    class_id: str
    split: str
    model_id: str
    source: object = None


@dataclasses.dataclass
class ObjectRecord:
    """What a producer returns: one mesh in the object frame (already normalized).

    Attributes:
        vertices: (V, 3) float array, object frame, normally in [-0.5, 0.5]^3.
        faces: (F, 3) int array, F >= 1.
        face_colors: (F, 3) or (F, 3, 3) RGB in [0, 1], or None (neutral grey).
        parts: optional list of closed (vertices, faces) pieces whose union is the
            solid: voxelized one by one and OR'ed (a union of primitives is not one
            closed surface). None: voxelize ``vertices, faces`` as one surface.
    """

    vertices: np.ndarray
    faces: np.ndarray
    face_colors: Optional[np.ndarray] = None
    parts: Optional[List[Tuple[np.ndarray, np.ndarray]]] = None


@dataclasses.dataclass(frozen=True)
class BuildOptions:
    """How objects are rendered, voxelized and written."""

    image_size: int = 64  # S
    voxel_resolution: int = 32  # R
    voxel_fill: str = "flood"  # see softrecon.voxel
    formats: Tuple[str, ...] = FORMATS
    compress: bool = True  # deflate the npz members
    backend: str = "auto"  # soft_rasterize backend

    def __post_init__(self) -> None:
        for name in ("image_size", "voxel_resolution"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise ValueError(f"BuildOptions.{name} must be an int >= 2, got {value!r}")
        if self.voxel_fill not in FILL_MODES:
            raise ValueError(f"BuildOptions.voxel_fill must be one of {FILL_MODES}, got {self.voxel_fill!r}")
        object.__setattr__(self, "formats", check_formats(self.formats))

    @property
    def cache_tag(self) -> str:
        """Folder name of the object cache: objects built with other settings differ."""
        return f"S{self.image_size}_R{self.voxel_resolution}_{self.voxel_fill}"


@dataclasses.dataclass
class BuildReport:
    """Outcome of ``run_build``."""

    written: List[str] = dataclasses.field(default_factory=list)  # dataset files
    counts: Dict[Tuple[str, str], int] = dataclasses.field(default_factory=dict)  # objects per (class, split)
    failures: List[Tuple[BuildTask, str]] = dataclasses.field(default_factory=list)  # skipped, with the reason
    cached: int = 0  # objects found already built in the work folder

    def summary(self) -> str:
        """Human-readable summary, listing every skipped object and why."""
        lines = [
            f"built {sum(self.counts.values())} objects in {len(self.counts)} class/split files ({self.cached} from the cache)"
        ]
        for (class_id, split), count in self.counts.items():
            lines.append(f"  {class_id} {split}: {count}")
        if self.failures:
            lines.append(f"skipped {len(self.failures)} objects:")
            lines += [f"  {t.class_id} {t.split} {t.model_id}: {reason}" for t, reason in self.failures]
        return "\n".join(lines)


def cache_file(work_dir: str, options: BuildOptions, task: BuildTask) -> str:
    """Where the built object of ``task`` is cached."""
    name = task.model_id if _SAFE_NAME.match(task.model_id) else hashlib.sha1(task.model_id.encode()).hexdigest()
    return os.path.join(work_dir, options.cache_tag, task.class_id, task.split, name + ".npz")


def object_key(record: ObjectRecord, options: BuildOptions) -> str:
    """sha256 of everything that decides what ``build_object`` returns: the record's
    arrays (dtype, shape and bytes) and the options that change the images or voxels."""
    digest = hashlib.sha256()
    settings = dict(
        version=CACHE_VERSION,
        image_size=options.image_size,
        voxel_resolution=options.voxel_resolution,
        voxel_fill=options.voxel_fill,
        backend=options.backend,
    )
    digest.update(json.dumps(settings, sort_keys=True).encode())
    arrays = [record.vertices, record.faces, record.face_colors]
    for part in record.parts or ():
        arrays += list(part)
    digest.update(f"parts:{None if record.parts is None else len(record.parts)}".encode())
    for array in arrays:
        if array is None:
            digest.update(b"none;")
            continue
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape};".encode())
        digest.update(array.data)  # no copy
    return digest.hexdigest()


def build_object(record: ObjectRecord, options: BuildOptions) -> Tuple[np.ndarray, np.ndarray]:
    """Render and voxelize one object.

    Returns:
        images (24, 4, S, S) uint8 and voxels (R, R, R) bool (ground-truth convention).

    Raises:
        EmptyObjectError: no pixel of any view is covered, or no voxel is set.
    """
    images = render_benchmark_views(
        record.vertices, record.faces, record.face_colors, options.image_size, backend=options.backend
    )
    if not images[:, layout.NUM_CHANNELS - 1].any():
        raise EmptyObjectError(
            f"the object covers no pixel in any of the {len(images)} views: is it outside the unit box [-0.5, 0.5]^3 "
            f"(vertex range {np.min(record.vertices):.3g} .. {np.max(record.vertices):.3g})?"
        )
    if record.parts is not None:
        voxels = voxelize_parts(record.parts, options.voxel_resolution, options.voxel_fill)
    else:
        voxels = voxelize(record.vertices, record.faces, options.voxel_resolution, options.voxel_fill)
    if not voxels.any():
        raise EmptyObjectError(f"the object sets no voxel at resolution {options.voxel_resolution}")
    return images, voxels


def _cached_key(path: str) -> Optional[str]:
    """The object key stored in a cached object, or None (missing, unreadable, old)."""
    try:
        with np.load(path) as cached:
            return str(cached[_KEY_MEMBER]) if _KEY_MEMBER in cached.files else None
    except Exception:  # noqa: BLE001 - any unreadable cache file is rebuilt
        return None


def _process(job) -> Tuple[BuildTask, str, str]:
    """Build one task into the cache. Returns (task, 'built' | 'cached' | 'failed', reason)."""
    task, producer, options, work_dir = job
    path = cache_file(work_dir, options, task)
    try:
        record = producer(task)
        key = object_key(record, options)
        if os.path.isfile(path) and _cached_key(path) == key:
            return task, "cached", ""
        images, voxels = build_object(record, options)
    except Exception as error:  # noqa: BLE001 (any producer failure: skip and report)
        return task, "failed", f"{type(error).__name__}: {error}"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with atomic_write(path, "wb") as handle:
        np.savez_compressed(handle, images=images, voxels=voxels.astype(np.uint8), **{_KEY_MEMBER: np.array(key)})
    return task, "built", ""


PARENT_POLL_S = 1.0  # how often a worker checks that the build that started it is alive


def _init_worker(parent: int) -> None:
    torch.set_num_threads(1)  # the workers are the parallelism
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End this worker once its parent (the build, pid ``parent``) is gone: a killed
    build leaves no worker waiting for work forever (they would hold their memory)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


WORKER_DIED = (
    "its worker process died while building it, in the pool and again alone (killed by the system, e.g. for want "
    "of memory, or a crash in native code)"
)


def _pool_round(pending: deque, workers: int, on_result: Callable) -> list:
    """Build jobs from ``pending`` (consumed) in ``workers`` spawned processes, at most one
    job per process in flight, passing each ``_process`` result to ``on_result``.

    Returns:
        The jobs in flight when a worker process died (the pool is then gone; the jobs
        not started stay in ``pending``), or [] when every job was built.
    """
    running: Dict[concurrent.futures.Future, tuple] = {}
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(os.getpid(),)
    ) as pool:
        while pending or running:
            while pending and len(running) < workers:
                job = pending.popleft()
                running[pool.submit(_process, job)] = job
            done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            died = False
            for future in done:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    died = True
                    continue
                on_result(result)
                del running[future]
            if died:  # every job still running is lost with the pool
                return list(running.values())
    return []


def _build_in_processes(jobs: Sequence[tuple], workers: int, on_result: Callable) -> None:
    """``_process`` every job in ``workers`` processes; a worker's death never hangs the
    build: its pool's jobs in flight are built again one at a time, each alone in a fresh
    process, and one that kills that one too is reported failed (``WORKER_DIED``)."""
    pending = deque(jobs)
    while pending:
        lost = _pool_round(pending, workers, on_result)
        if lost:
            warnings.warn(
                f"a dataset worker process died (killed, e.g. for want of memory?) while {len(lost)} object(s) "
                f"were being built: building each of them again alone ({', '.join(job[0].model_id for job in lost)})"
            )
        suspects = deque(lost)
        while suspects:  # one process, one object at a time: a death now is that object's doing
            for job in _pool_round(suspects, 1, on_result):
                on_result((job[0], "failed", WORKER_DIED))


def _check_tasks(tasks: Sequence[BuildTask]) -> None:
    seen = set()
    for task in tasks:
        if not isinstance(task, BuildTask):
            raise ValueError(f"tasks must be BuildTask objects, got {type(task).__name__}")
        layout.check_class_id(task.class_id)
        layout.check_split(task.split)
        key = (task.class_id, task.split, task.model_id)
        if key in seen:
            raise ValueError(f"tasks: {key} appears twice")
        seen.add(key)


def _read_cached(path: str, options: BuildOptions) -> Tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path) as cached:
            images, voxels = cached["images"], cached["voxels"]
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"{path}: unreadable cached object ({error}); delete it and rerun") from None
    expected = (layout.NUM_VIEWS, layout.NUM_CHANNELS, options.image_size, options.image_size)
    if images.shape != expected or voxels.shape != (options.voxel_resolution,) * 3:
        raise ValueError(f"{path}: cached object has shapes {images.shape}, {voxels.shape}; delete it and rerun")
    return images, voxels


def run_build(
    tasks: Sequence[BuildTask],
    producer: Callable[[BuildTask], ObjectRecord],
    out_dir,
    work_dir,
    options: BuildOptions = BuildOptions(),
    workers: int = 1,
    progress: bool = True,
) -> BuildReport:
    """Build every task and write the dataset files of each (class, split).

    Args:
        tasks: the objects, in the order they get in their (class, split) files.
        producer: module-level (picklable) function BuildTask -> ObjectRecord; any
            exception it raises skips that object (reported).
        out_dir: the dataset folder (created if missing).
        work_dir: the cache folder (created if missing); keep it to resume.
        options: a ``BuildOptions``.
        workers: processes building objects in parallel (1: in this process).
        progress: show a tqdm progress bar.

    Returns:
        a ``BuildReport``. A (class, split) whose objects all failed gets no file.
    """
    from tqdm import tqdm

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    _check_tasks(tasks)
    out_dir, work_dir = os.fspath(out_dir), os.fspath(work_dir)
    os.makedirs(out_dir, exist_ok=True)
    os.makedirs(work_dir, exist_ok=True)
    remove_stale_temporaries(work_dir, recursive=True)  # cached objects of killed workers
    report = BuildReport()
    jobs = [(task, producer, options, work_dir) for task in tasks]
    status: Dict[Tuple[str, str, str], str] = {}
    bar = tqdm(total=len(jobs), desc="building objects", unit="obj", disable=not progress)

    def record(result: Tuple[BuildTask, str, str]) -> None:
        task, state, reason = result
        status[(task.class_id, task.split, task.model_id)] = state
        if state == "failed":
            report.failures.append((task, reason))
        report.cached += state == "cached"
        bar.update(1)

    try:
        if workers == 1:
            for job in jobs:
                record(_process(job))
        else:
            _build_in_processes(jobs, workers, record)
    finally:
        bar.close()

    groups: "OrderedDict[Tuple[str, str], List[BuildTask]]" = OrderedDict()
    for task in tasks:
        if status.get((task.class_id, task.split, task.model_id)) != "failed":
            groups.setdefault((task.class_id, task.split), []).append(task)
    for (class_id, split), group in groups.items():
        with SplitWriter(
            out_dir,
            class_id,
            split,
            len(group),
            options.image_size,
            options.voxel_resolution,
            options.formats,
            options.compress,
        ) as writer:
            for task in group:
                writer.append(*_read_cached(cache_file(work_dir, options, task), options))
        ids_path = os.path.join(out_dir, f"{class_id}_{split}{_IDS_SUFFIX}")
        with atomic_write(ids_path, "w") as handle:
            handle.write("".join(task.model_id + "\n" for task in group))
        report.written += list(writer.final_paths) + [ids_path]
        report.counts[(class_id, split)] = len(group)
    return report
