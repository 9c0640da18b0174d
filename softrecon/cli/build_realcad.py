#!/usr/bin/env python
"""Build realcad: a ShapeNet-like benchmark of real CAD models in the NMR format.

Run ``softrecon-build-realcad --help`` for the options; docs/DATA.md for the data.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import List, Optional

from softrecon.dataset_builders.realcad import PACKAGES, build_realcad, download_debs, find_debs, total_download_size
from softrecon.dataset_builders.realcad.builder import BuildFolderBusy
from softrecon.dataset_builders.realcad.catalog import DEFAULT_CLASSES_FILE

from .build_options import add_build_arguments, build_options, new_parser

DESCRIPTION = f"""\
Fetch four Debian packages of free CAD models, unpack them without root, and build a
12-class ShapeNet-like dataset in the NMR format (24 benchmark views, voxels, npz and
HDF5, per class and split, deterministic 70/10/20 split per class by model id):

{chr(10).join(f"  {p.name:<24} {p.version:<20} {p.size / 1e6:6.0f} MB  {p.license}" for p in PACKAGES)}
  total download {total_download_size() / 1e6:.0f} MB

The packages are fetched with 'apt-get download' (no root needed) into --debs, unless
their .deb files already lie there (of several versions, the newest by Debian's version
comparison). Every .deb is checked, size and SHA-256, before it is unpacked: a download
against the archive's signed index (what apt-get download --print-uris reports, recorded
in <debs>/verified.json), a file you supplied against the size and hash softrecon
records for the Debian bookworm version (or this machine's apt index for another
version); a file nothing can verify is refused unless --accept-unverified. manifest.csv's
deb_check column says which check each package passed. Models are mapped to ShapeNet classes by
softrecon/dataset_builders/realcad/classes.csv (or --classes-file), turned to one pose per class
(y up, front -z), normalized to the unit box, and checked; duplicates, levels of detail,
parts, props and models that cannot be read or voxelize to almost nothing are left out.
<out>/manifest.csv lists every candidate model: class, split, package, path, licence,
creator, face count, or why it was left out; <out>/build_report.txt the class counts.

Resumable: unpacked packages, prepared meshes and rendered objects are cached in
--work-dir (default <out>/.work), each keyed on its content (the .deb's hash, the
model's bytes, the mesh); rerun the same command after a kill. One build at a time per
work folder and output folder: a second one stops at once (exit status 4), naming the
first. A model that cannot be read is left out with its file and reason and the build
goes on.
"""

EXAMPLES = """\
examples:
  softrecon-build-realcad data/realcad
  softrecon-build-realcad data/realcad --debs ~/debs --no-download --workers 4
  softrecon-build-realcad data/realcad --prepare-only   # then scripts/realcad_contact_sheets.py
"""

EXIT_PACKAGES_MISSING = 2  # no package could be unpacked
EXIT_BUSY = 4  # another build holds the work or output folder


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = new_parser(DESCRIPTION, EXAMPLES)
    parser.add_argument("output", help="dataset folder to write (created if missing)")
    parser.add_argument(
        "--debs",
        default=None,
        help="folder of the .deb files: used if there, downloaded into it if not (default: <work-dir>/debs)",
    )
    parser.add_argument(
        "--no-download", action="store_true", help="never run apt-get; use only the .deb files in --debs"
    )
    parser.add_argument("--work-dir", default=None, help="cache for resuming (default: <output>/.work)")
    parser.add_argument(
        "--classes-file", default=DEFAULT_CLASSES_FILE, help="class mapping CSV (default: the packaged classes.csv)"
    )
    add_build_arguments(parser, workers_help="parallel render processes")
    parser.add_argument(
        "--prepare-only", action="store_true", help="stop after preparing the meshes and writing manifest.csv"
    )
    parser.add_argument(
        "--accept-unverified",
        action="store_true",
        help="use .deb files whose version nothing can verify (marked 'unverified' in manifest.csv)",
    )
    parser.add_argument("--yes", action="store_true", help="download without asking (the size is printed either way)")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    start = time.time()
    work_dir = args.work_dir or os.path.join(args.output, ".work")
    debs_dir = args.debs or os.path.join(work_dir, "debs")
    debs = find_debs(debs_dir) if os.path.isdir(debs_dir) else {p.name: None for p in PACKAGES}
    missing = [p for p in PACKAGES if debs[p.name] is None]
    if missing and not args.no_download:
        size = sum(p.size for p in missing)
        print(
            f"downloading {len(missing)} packages, {size / 1e6:.0f} MB, into {debs_dir}: {', '.join(p.name for p in missing)}"
        )
        if not args.yes and sys.stdin.isatty() and input("continue? [Y/n] ").strip().lower() not in ("", "y", "yes"):
            return 1
        try:
            download_debs(debs_dir, [p.name for p in missing])
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
        debs = find_debs(debs_dir)
    if all(path is None for path in debs.values()):
        print(f"error: no package .deb in {debs_dir}; see --help", file=sys.stderr)
        return EXIT_PACKAGES_MISSING
    options = build_options(args)
    try:
        report = build_realcad(
            args.output,
            debs,
            work_dir,
            options,
            classes_file=args.classes_file,
            workers=args.workers,
            progress=not args.no_progress,
            prepare_only=args.prepare_only,
            accept_unverified=args.accept_unverified,
        )
    except BuildFolderBusy as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BUSY
    print(report.summary())
    print(f"manifest: {os.path.join(args.output, 'manifest.csv')}; took {time.time() - start:.0f} s")
    return EXIT_PACKAGES_MISSING if not any(row["split"] for row in report.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
