#!/usr/bin/env python
"""Download, verify and extract the NMR / SoftRas ShapeNet renders. See ``--help``."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import sys
import urllib.request
import zipfile
from typing import List, Optional

from tqdm import tqdm

from softrecon.utils.atomic import atomic_output_path

ARCHIVE_NAME = "mesh_reconstruction_dataset.zip"
ARCHIVE_MD5 = "cde0353519427992c1183232ebff74e8"
BLOCK_BYTES = 1 << 20  # download / hashing block
EXIT_BAD_CHECKSUM = 2

DESCRIPTION = f"""\
Fetch the ShapeNet renders of the single-view reconstruction benchmark ("NMR renders":
Kato et al., Neural 3D Mesh Renderer, CVPR 2018; used by SoftRas, Liu et al. ICCV 2019):
{ARCHIVE_NAME}, md5 {ARCHIVE_MD5}. 13 classes x train/val/test,
<class>_<split>_images.npz (uint8 (N, 24, 4, 64, 64)) and <class>_<split>_voxels.npz
((N, 32, 32, 32)).

The archive is not hosted by this project. The NMR and SoftRas repositories
(github.com/hiroharu-kato/mesh_reconstruction, github.com/ShichenLiu/SoftRas) link it
from their download scripts; pass that link (or a file:// URL or a local path of a copy)
as URL.

Steps: download to <output>/{ARCHIVE_NAME}.part, verify the md5 (a mismatch deletes
the download and exits with status {EXIT_BAD_CHECKSUM}), rename it to
<output>/{ARCHIVE_NAME}, extract into <output>/{os.path.splitext(ARCHIVE_NAME)[0]} (via a
temporary folder renamed at the end). An archive already present and verified is not
downloaded again. Afterwards, optionally: softrecon-convert-nmr-to-hdf5 <extracted folder>.
"""


def md5_of(path: str, progress: bool = False) -> str:
    """Hex md5 of a file, read in blocks."""
    digest = hashlib.md5()
    with (
        open(path, "rb") as handle,
        tqdm(total=os.path.getsize(path), unit="B", unit_scale=True, desc="md5", disable=not progress) as bar,
    ):
        for block in iter(lambda: handle.read(BLOCK_BYTES), b""):
            digest.update(block)
            bar.update(len(block))
    return digest.hexdigest()


def download(url: str, target: str, progress: bool = True) -> None:
    """Stream ``url`` (http(s), file:// or a local path) to ``target`` atomically."""
    if os.path.isfile(url):
        url = "file://" + os.path.abspath(url)
    with atomic_output_path(target) as tmp, urllib.request.urlopen(url) as response, open(tmp, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc="download", disable=not progress) as bar:
            for block in iter(lambda: response.read(BLOCK_BYTES), b""):
                out.write(block)
                bar.update(len(block))


def extract(archive: str, destination: str) -> None:
    """Extract ``archive`` into ``destination`` via a temporary sibling folder."""
    parent = os.path.dirname(os.path.abspath(destination))
    staging = os.path.join(parent, "." + os.path.basename(destination) + ".extracting")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(staging)
        if os.path.isdir(destination):
            shutil.rmtree(destination)
        os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help=f"where to get {ARCHIVE_NAME}: http(s):// or file:// URL, or a local path")
    parser.add_argument(
        "--output",
        default=os.path.join("data", "nmr"),
        help="folder for the archive and the extracted files (default: %(default)s)",
    )
    parser.add_argument("--md5", default=ARCHIVE_MD5, help="expected md5 (default: the published one)")
    parser.add_argument("--no-extract", action="store_true", help="download and verify only")
    parser.add_argument("--delete-archive", action="store_true", help="remove the archive after extracting")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    progress = not args.no_progress
    os.makedirs(args.output, exist_ok=True)
    archive = os.path.join(args.output, ARCHIVE_NAME)
    if os.path.isfile(archive) and md5_of(archive, progress) == args.md5:
        print(f"{archive}: already present, md5 verified")
    else:
        partial = archive + ".part"
        download(args.url, partial, progress)
        found = md5_of(partial, progress)
        if found != args.md5:
            with contextlib.suppress(FileNotFoundError):
                os.remove(partial)
            print(f"{args.url}: md5 {found} does not match the expected {args.md5}; download deleted", file=sys.stderr)
            return EXIT_BAD_CHECKSUM
        os.replace(partial, archive)
        print(f"{archive}: downloaded, md5 verified")
    if not args.no_extract:
        destination = os.path.join(args.output, os.path.splitext(ARCHIVE_NAME)[0])
        extract(archive, destination)
        print(f"extracted into {destination}")
        if args.delete_archive:
            os.remove(archive)
    return 0


if __name__ == "__main__":
    sys.exit(main())
