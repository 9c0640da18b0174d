"""The realcad build: packages -> candidates -> classes -> prepared meshes -> splits ->
the NMR-format dataset (through ``build.run_build``, the one dataset path) + manifest.csv.

Each stage is resumable: unpacked packages are marked complete, prepared meshes (and
the reasons of models left out) are cached in the work folder, and ``run_build`` caches
every rendered object.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from softrecon.io.deb import DebError
from softrecon.utils.atomic import atomic_write

from ..mesh_source import MeshEntry, assign_by_fractions
from ..pipeline import BuildOptions, BuildReport, BuildTask, cache_file, run_build
from .catalog import DEFAULT_CLASSES_FILE, Candidate, classify, discover, load_rules
from .packages import PACKAGES, Package, unpack
from .prepare import load_prepared, prepare

SPLIT_FRACTIONS = {"train": 0.7, "val": 0.1, "test": 0.2}
SPLIT_SEED = 0
MANIFEST_NAME = "manifest.csv"
REPORT_NAME = "build_report.txt"
MANIFEST_COLUMNS = (
    "model_id",
    "class_id",
    "class_name",
    "split",
    "package",
    "deb",
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
        if self.build is not None and self.build.failures:
            lines.append(f"failed to render/voxelize {len(self.build.failures)}:")
            lines += [f"  {task.model_id}: {reason}" for task, reason in self.build.failures]
        return "\n".join(lines)


def reason_kind(reason: str) -> str:
    """The kind of a left-out reason ('lod', 'duplicate', 'unreadable', ...)."""
    return reason.split(":", 1)[0].split(" (", 1)[0]


def unpack_packages(
    debs: Dict[str, Optional[str]], unpack_dir: str, packages: Sequence[Package] = PACKAGES
) -> Tuple[Dict[str, str], List[Tuple[str, str]]]:
    """Unpack every package whose .deb is given; a missing or corrupt one is reported,
    not fatal. Returns ({source: folder}, [(package, reason)])."""
    unpacked, problems = {}, []
    for package in packages:
        path = debs.get(package.name)
        if path is None:
            problems.append((package.name, "no .deb found (missing from the folder and not downloaded)"))
            continue
        try:
            unpacked[package.source] = unpack(path, package, unpack_dir)
        except DebError as error:
            problems.append((package.name, str(error)))
    return unpacked, problems


def _row(candidate: Candidate, debs: Dict[str, Optional[str]], **fields) -> Dict[str, str]:
    row = dict(
        model_id=candidate.model_id,
        class_id="",
        class_name="",
        split="",
        package=candidate.package,
        deb=os.path.basename(debs.get(candidate.package) or ""),
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

    Returns:
        a ``RealcadReport``.
    """
    from tqdm import tqdm

    out_dir, work_dir = os.fspath(out_dir), os.fspath(work_dir)
    os.makedirs(out_dir, exist_ok=True)
    rules = load_rules(classes_file)
    report = RealcadReport()
    unpacked, report.package_problems = unpack_packages(debs, os.path.join(work_dir, "unpacked"))
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
            rows[candidate.model_id] = _row(candidate, debs, left_out=reason)
    to_prepare = [(candidate, rule) for candidate, rule, _ in classified if rule is not None]
    mesh_dir = os.path.join(work_dir, "meshes")
    for candidate, rule in tqdm(to_prepare, desc="reading models", unit="model", disable=not progress):
        result = prepare(candidate, rule.front, mesh_dir)
        fields = dict(class_id=rule.class_id, class_name=rule.class_name, faces=result.faces)
        if result.path is None:
            rows[candidate.model_id] = _row(candidate, debs, left_out=result.reason, **fields)
            continue
        key = (rule.class_id,) + tuple(result.signature)
        if key in signatures:
            rows[candidate.model_id] = _row(
                candidate, debs, left_out=f"duplicate: same geometry as {signatures[key]}", **fields
            )
            continue
        signatures[key] = candidate.model_id
        prepared_paths[candidate.model_id] = result.path
        rows[candidate.model_id] = _row(candidate, debs, **fields)
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
    objects_dir = os.path.join(work_dir, "objects")
    _drop_stale_objects(tasks, objects_dir, options)
    report.build = run_build(tasks, load_prepared, out_dir, objects_dir, options, workers=workers, progress=progress)
    for task, reason in report.build.failures:
        row = rows[task.model_id]
        row["split"], row["left_out"] = "", f"failed to render or voxelize: {reason}"
    report.rows = [rows[model_id] for model_id in sorted(rows)]
    write_manifest(os.path.join(out_dir, MANIFEST_NAME), report.rows)
    with atomic_write(os.path.join(out_dir, REPORT_NAME), "w") as handle:
        handle.write(report.summary() + "\n")
    return report


def _drop_stale_objects(tasks: Sequence[BuildTask], objects_dir: str, options: BuildOptions) -> None:
    """Remove rendered objects older than their prepared mesh (a pose changed in classes.csv)."""
    for task in tasks:
        cached = cache_file(objects_dir, options, task)
        if os.path.isfile(cached) and os.path.getmtime(cached) < os.path.getmtime(task.source):
            os.remove(cached)


def write_manifest(path: str, rows: List[Dict[str, str]]) -> None:
    """Write manifest.csv atomically (one row per candidate model)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with atomic_write(path, "w") as handle:
        handle.write(buffer.getvalue())
