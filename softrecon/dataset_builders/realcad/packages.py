"""The Debian packages the realcad benchmark is built from: what they are, fetching them
with ``apt-get download`` (no root needed), finding them in a folder, unpacking the model
files without root (``softrecon.io.deb``).

Nothing of the packages ships with softrecon: the builder fetches them on the user's
machine.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import shutil
import subprocess
from typing import Callable, Dict, List, Optional, Tuple

from softrecon.io.deb import DebError, extract_deb
from softrecon.utils.atomic import atomic_write


@dataclasses.dataclass(frozen=True)
class Package:
    """One Debian package and the part of it the benchmark reads."""

    name: str
    version: str  # the version measured (Debian bookworm); others are accepted
    size: int  # bytes of the .deb of that version
    source: str  # the source key of classes.csv
    root: str  # folder inside the package that the classes.csv keys are relative to
    extensions: Tuple[str, ...]  # model files kept when unpacking
    license: str  # licence of its models (debian/copyright of the package)


PACKAGES = (
    Package(
        "sweethome3d-furniture",
        "1.8-1",
        119_782_356,
        "sh3d",
        "usr/share/sweethome3d/furniture",
        (".sh3f",),
        "CC0-1.0 or CC-BY-3.0 (per library)",
    ),
    Package(
        "flightgear-data-ai",
        "1:2020.3.16+dfsg-1",
        286_529_020,
        "fgai",
        "usr/share/games/flightgear/AI/Aircraft",
        (".ac",),
        "GPL-2+",
    ),
    Package(
        "flightgear-data-models",
        "1:2020.3.16+dfsg-1",
        144_289_728,
        "fgmod",
        "usr/share/games/flightgear/Models",
        (".ac",),
        "GPL-2+",
    ),
    Package("torcs-data", "1.3.7+dfsg-5", 333_308_448, "torcs", "usr/share/games/torcs/cars", (".acc",), "GPL-2+"),
)
PACKAGE_BY_SOURCE = {package.source: package for package in PACKAGES}
# Licences of the Sweet Home 3D libraries and of the TORCS cars that differ from the
# package's, from each package's debian/copyright.
SH3D_LICENSES = {
    "BlendSwap-CC-0": "CC0-1.0",
    "BlendSwap-CC-BY": "CC-BY-3.0",
    "Scopia": "CC-BY-3.0",
    "KatorLegaz": "CC-BY-3.0-US",
    "Reallusion": "CC-BY-3.0-US",
}
TORCS_LICENSES = {"acura-nsx-sz": "Free-Art-License-1.3"}
COMPLETE_MARKER = ".complete"  # written last into an unpacked package's folder


def total_download_size(packages=PACKAGES) -> int:
    """Bytes of the .deb files (of the measured versions)."""
    return sum(package.size for package in packages)


def find_debs(folder, packages=PACKAGES) -> Dict[str, Optional[str]]:
    """The .deb file of each package in ``folder`` ({name: path or None}); the newest
    name sorts last when several versions lie there."""
    found = {}
    for package in packages:
        matches = sorted(glob.glob(os.path.join(os.fspath(folder), f"{package.name}_*.deb")))
        found[package.name] = matches[-1] if matches else None
    return found


def download_debs(folder, names: List[str], run: Callable = subprocess.run) -> None:
    """``apt-get download`` the packages into ``folder`` (no root needed).

    Raises:
        RuntimeError: apt-get is missing or fails (the message says how to pass .deb files
            by hand instead).
    """
    if shutil.which("apt-get") is None:
        raise RuntimeError(
            "apt-get is not available: download the .deb files by hand and pass their folder with --debs"
        )
    os.makedirs(folder, exist_ok=True)
    result = run(["apt-get", "download", *names], cwd=folder)
    if result.returncode != 0:
        raise RuntimeError(
            f"apt-get download {' '.join(names)} failed (exit status {result.returncode}); "
            "run 'apt-get update' or download the .deb files by hand and pass their folder with --debs"
        )


def unpack(deb_path: str, package: Package, destination: str) -> str:
    """Extract the package's model files (and its copyright file) into
    ``destination/<name>``, once: a complete unpack is marked and reused.

    Returns:
        the folder that ``package.root`` lies in.

    Raises:
        DebError: a missing, truncated or corrupt .deb.
    """
    folder = os.path.join(destination, package.name)
    marker = os.path.join(folder, COMPLETE_MARKER)
    if os.path.isfile(marker):
        with open(marker) as handle:
            if handle.read().strip() == os.path.basename(deb_path):
                return folder
    shutil.rmtree(folder, ignore_errors=True)
    prefix = package.root + "/"

    def keep(name: str) -> bool:
        return (name.startswith(prefix) and name.lower().endswith(package.extensions)) or name.endswith("/copyright")

    written = extract_deb(deb_path, folder, keep)
    if not any(name.startswith(prefix) for name in written):
        raise DebError(deb_path, f"no model files under {package.root}/ (is this {package.name}?)")
    with atomic_write(marker, "w") as handle:
        handle.write(os.path.basename(deb_path) + "\n")
    return folder
