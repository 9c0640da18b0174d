"""The realcad build: packages -> candidates -> classes -> prepared meshes -> splits ->
the NMR-format dataset (through ``build.run_build``, the one dataset path) + manifest.csv.

Each stage is resumable: unpacked packages are marked complete (with the .deb's
SHA-256), prepared meshes (and the reasons of models left out) are cached in the work
folder keyed on their content, and ``run_build`` caches every rendered object keyed on
its mesh. One build at a time uses a work folder and an output folder: each is locked
for the whole build (``BuildFolderBusy`` names the other process). Every package is
checked (size and SHA-256, ``packages.verify_deb``) before it is unpacked, and the
manifest says against what. A model that cannot be read is left out with its file and
reason (manifest.csv, build_report.txt); the build goes on.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime
import io
import json
import os
import socket
import sys
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from softrecon.io.deb import DebError
from softrecon.utils.atomic import atomic_write

from ..mesh_source import MeshEntry, assign_by_fractions
from ..pipeline import BuildOptions, BuildReport, BuildTask, run_build
from .catalog import DEFAULT_CLASSES_FILE, Candidate, classify, discover, load_rules
from .packages import PACKAGES, Package, unpack, verify_deb
from .prepare import UNREADABLE, load_prepared, prepare

SPLIT_FRACTIONS = {"train": 0.7, "val": 0.1, "test": 0.2}
SPLIT_SEED = 0
MANIFEST_NAME = "manifest.csv"
REPORT_NAME = "build_report.txt"
LOCK_NAME = ".realcad.lock"  # in the work folder and in the output folder
MANIFEST_COLUMNS = (
    "model_id",
    "class_id",
    "class_name",
    "split",
    "package",
    "deb",
    "deb_check",
    "path",
    "name",
    "license",
    "creator",
    "faces",
    "left_out",
)


@dataclasses.dataclass
class RealcadReport:
    """Outcome of ``build_realcad``."""

    rows: List[Dict[str, str]] = dataclasses.field(default_factory=list)  # the manifest
    package_problems: List[Tuple[str, str]] = dataclasses.field(default_factory=list)  # (package or file, reason)
    deb_checks: Dict[str, str] = dataclasses.field(default_factory=dict)  # package -> how its .deb was checked
    build: Optional[BuildReport] = None

    def counts(self) -> Dict[Tuple[str, str], int]:
        """Objects per (class name, split) in the dataset."""
        counts: Dict[Tuple[str, str], int] = {}
        if self.build is not None:
            names = {row["class_id"]: row["class_name"] for row in self.rows if row["split"]}
            for (class_id, split), count in self.build.counts.items():
                counts[(names.get(class_id, class_id), split)] = count
        return counts

    def summary(self) -> str:
        """Class counts per split, packages that failed and every model left out."""
        lines = []
        counts = self.counts()
        classes = sorted({name for name, _ in counts})
        lines.append(f"{'class':<12} {'train':>6} {'val':>6} {'test':>6} {'total':>6}")
        for name in classes:
            row = [counts.get((name, split), 0) for split in SPLIT_FRACTIONS]
            lines.append(f"{name:<12} {row[0]:>6} {row[1]:>6} {row[2]:>6} {sum(row):>6}")
        totals = [sum(counts.get((name, split), 0) for name in classes) for split in SPLIT_FRACTIONS]
        lines.append(f"{'all':<12} {totals[0]:>6} {totals[1]:>6} {totals[2]:>6} {sum(totals):>6}")
        for what, reason in self.package_problems:
            lines.append(f"package problem: {what}: {reason}")
        reasons: Dict[str, int] = {}
        for row in self.rows:
            if row["left_out"]:
                kind = reason_kind(row["left_out"])
                reasons[kind] = reasons.get(kind, 0) + 1
        lines.append(
            "left out: "
            + ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]))
        )
        unreadable = [row for row in self.rows if reason_kind(row["left_out"]) == UNREADABLE]
        if unreadable:
            lines.append(f"could not read {len(unreadable)} models:")
            lines += [f"  {row['model_id']} ({row['path']}): {row['left_out']}" for row in unreadable]
        if self.build is not None and self.build.failures:
            lines.append(f"failed to render/voxelize {len(self.build.failures)}:")
            lines += [f"  {task.model_id}: {reason}" for task, reason in self.build.failures]
        return "\n".join(lines)


def reason_kind(reason: str) -> str:
    """The kind of a left-out reason ('lod', 'duplicate', 'unreadable', ...)."""
    return reason.split(":", 1)[0].split(" (", 1)[0]


class BuildFolderBusy(RuntimeError):
    """Another build holds the work or output folder; the message names both."""


@contextlib.contextmanager
def folder_lock(folder: str) -> Iterator[None]:
    """Hold ``<folder>/.realcad.lock`` (an ``flock`` through filelock: the kernel drops it
    when the process dies in any way) for the ``with`` block; the holder's pid, host,
    start time and command are written beside it (``.realcad.lock.owner``).

    Raises:
        BuildFolderBusy: another live process holds it.
    """
    import filelock

    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, LOCK_NAME)
    lock = filelock.FileLock(path, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        try:
            with open(path + ".owner", encoding="utf-8") as handle:
                owner = handle.read().strip()
        except OSError:
            owner = "unknown"
        raise BuildFolderBusy(
            f"{folder}: another realcad build is using this folder ({owner}); wait for it to end, "
            "or give this one another output and --work-dir"
        ) from None
    try:
        info = dict(
            pid=os.getpid(),
            host=socket.gethostname(),
            started=datetime.datetime.now().isoformat(timespec="seconds"),
            command=" ".join(sys.argv),
        )
        with atomic_write(path + ".owner", "w") as handle:
            handle.write(json.dumps(info) + "\n")
        yield
    finally:
        lock.release()


def unpack_packages(
    debs: Dict[str, Optional[str]],
    unpack_dir: str,
    packages: Sequence[Package] = PACKAGES,
    accept_unverified: bool = False,
) -> Tuple[Dict[str, str], List[Tuple[str, str]], Dict[str, str]]:
    """Check and unpack every package whose .deb is given; a missing, unverifiable or
    corrupt one is reported, not fatal.

    Returns:
        ({source: folder}, [(package, reason)], {package: how its .deb was checked}).
    """
    unpacked, problems, checks = {}, [], {}
    for package in packages:
        path = debs.get(package.name)
        if path is None:
            problems.append((package.name, "no .deb found (missing from the folder and not downloaded)"))
            continue
        try:
            check = verify_deb(path, package, accept_unverified)
            unpacked[package.source] = unpack(path, package, unpack_dir, check.sha256)
            checks[package.name] = check.how
        except DebError as error:
            problems.append((package.name, str(error)))
    return unpacked, problems, checks


def _row(candidate: Candidate, debs: Dict[str, Optional[str]], checks: Dict[str, str], **fields) -> Dict[str, str]:
    row = dict(
        model_id=candidate.model_id,
        class_id="",
        class_name="",
        split="",
        package=candidate.package,
        deb=os.path.basename(debs.get(candidate.package) or ""),
        deb_check=checks.get(candidate.package, ""),
        path=candidate.path,
        name=candidate.name,
        license=candidate.license,
        creator=candidate.creator,
        faces="",
        left_out="",
    )
    row.update({key: str(value) for key, value in fields.items()})
    return row


def build_realcad(
    out_dir,
    debs: Dict[str, Optional[str]],
    work_dir,
    options: BuildOptions = BuildOptions(),
    classes_file=DEFAULT_CLASSES_FILE,
    workers: int = 1,
    progress: bool = True,
    log: Callable[[str], None] = print,
    prepare_only: bool = False,
    accept_unverified: bool = False,
) -> RealcadReport:
    """Build the realcad dataset into ``out_dir`` from the given .deb files.

    Args:
        out_dir: the dataset folder (created if missing); manifest.csv and
            build_report.txt are written there too.
        debs: {package name: .deb path or None}.
        work_dir: the cache folder (unpacked packages, prepared meshes, rendered objects).
        options: a ``BuildOptions`` (image size, voxels, formats).
        classes_file: the class mapping (default: the packaged classes.csv).
        workers: render/voxelize processes.
        progress: tqdm progress bars.
        log: where progress lines go.
        prepare_only: stop after preparing the meshes and writing manifest.csv (no
            rendering; for checking poses with scripts/realcad_contact_sheets.py).
        accept_unverified: use a .deb whose version nothing can verify (marked so in
            the manifest); a .deb that differs from a known size and hash is never used.

    Returns:
        a ``RealcadReport``.

    Raises:
        BuildFolderBusy: another build holds ``work_dir`` or ``out_dir``.
    """
    out_dir, work_dir = os.fspath(out_dir), os.fspath(work_dir)
    rules = load_rules(classes_file)
    with contextlib.ExitStack() as locks:
        for folder in sorted({os.path.realpath(work_dir), os.path.realpath(out_dir)}):
            locks.enter_context(folder_lock(folder))
        return _build(out_dir, debs, work_dir, options, rules, workers, progress, log, prepare_only, accept_unverified)


def _build(out_dir, debs, work_dir, options, rules, workers, progress, log, prepare_only, accept_unverified):
    """``build_realcad`` with its folders locked."""
    from tqdm import tqdm

    report = RealcadReport()
    unpacked, report.package_problems, report.deb_checks = unpack_packages(
        debs, os.path.join(work_dir, "unpacked"), accept_unverified=accept_unverified
    )
    checks = report.deb_checks
    for name, reason in report.package_problems:
        log(f"skipping package {name}: {reason}")
    candidates, library_problems = discover(unpacked)
    report.package_problems += library_problems

    placed: List[Tuple[Candidate, str, str]] = []  # (candidate, class id, class name) prepared
    signatures: Dict[Tuple, str] = {}
    prepared_paths: Dict[str, str] = {}
    rows: Dict[str, Dict[str, str]] = {}
    classified = [(candidate, *classify(rules, candidate.source, candidate.key)) for candidate in candidates]
    for candidate, rule, reason in classified:
        if rule is None:
            rows[candidate.model_id] = _row(candidate, debs, checks, left_out=reason)
    to_prepare = [(candidate, rule) for candidate, rule, _ in classified if rule is not None]
    mesh_dir = os.path.join(work_dir, "meshes")
    for candidate, rule in tqdm(to_prepare, desc="reading models", unit="model", disable=not progress):
        result = prepare(candidate, rule.front, mesh_dir)
        fields = dict(class_id=rule.class_id, class_name=rule.class_name, faces=result.faces)
        if result.path is None:
            rows[candidate.model_id] = _row(candidate, debs, checks, left_out=result.reason, **fields)
            continue
        key = (rule.class_id,) + tuple(result.signature)
        if key in signatures:
            rows[candidate.model_id] = _row(
                candidate, debs, checks, left_out=f"duplicate: same geometry as {signatures[key]}", **fields
            )
            continue
        signatures[key] = candidate.model_id
        prepared_paths[candidate.model_id] = result.path
        rows[candidate.model_id] = _row(candidate, debs, checks, **fields)
        placed.append((candidate, rule.class_id, rule.class_name))

    entries = [
        MeshEntry(class_id, candidate.model_id, prepared_paths[candidate.model_id]) for candidate, class_id, _ in placed
    ]
    assigned = assign_by_fractions(entries, SPLIT_FRACTIONS, SPLIT_SEED)
    for entry, split in assigned.items():
        rows[entry.model_id]["split"] = split
    tasks = [
        BuildTask(entry.class_id, split, entry.model_id, entry.path)
        for entry, split in sorted(assigned.items(), key=lambda item: (item[0].class_id, item[1], item[0].model_id))
    ]
    report.rows = [rows[model_id] for model_id in sorted(rows)]
    if prepare_only:
        write_manifest(os.path.join(out_dir, MANIFEST_NAME), report.rows)
        return report
    log(f"{len(tasks)} models in {len({t.class_id for t in tasks})} classes; rendering and voxelizing")
    objects_dir = os.path.join(work_dir, "objects")  # keyed on each prepared mesh's content by run_build
    report.build = run_build(tasks, load_prepared, out_dir, objects_dir, options, workers=workers, progress=progress)
    for task, reason in report.build.failures:
        row = rows[task.model_id]
        row["split"], row["left_out"] = "", f"failed to render or voxelize: {reason}"
    report.rows = [rows[model_id] for model_id in sorted(rows)]
    write_manifest(os.path.join(out_dir, MANIFEST_NAME), report.rows)
    with atomic_write(os.path.join(out_dir, REPORT_NAME), "w") as handle:
        handle.write(report.summary() + "\n")
    return report


def write_manifest(path: str, rows: List[Dict[str, str]]) -> None:
    """Write manifest.csv atomically (one row per candidate model)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with atomic_write(path, "w") as handle:
        handle.write(buffer.getvalue())
