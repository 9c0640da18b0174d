"""The Debian packages the realcad benchmark is built from: what they are, fetching them
with ``apt-get download`` (no root needed), finding them in a folder, checking them,
unpacking the model files without root (``softrecon.io.deb``).

Nothing of the packages ships with softrecon: the builder fetches them on the user's
machine.

Checking (``verify_deb``): every .deb is hashed (SHA-256) and compared, size and hash,
with what the Debian archive's signed index says of it. apt verifies the index's
signature (``InRelease``, at ``apt-get update``); for a package downloaded here,
``download_debs`` records the size and hash that ``apt-get download --print-uris`` reads
from that index, in ``verified.json`` beside the files. A .deb the user supplied is
compared with the size and hash that softrecon records for the Debian bookworm version
(``Package.size``, ``Package.sha256``, from that index), or, for another version, with
what this machine's apt index says of it (``apt-cache show``). A .deb that none of these
knows is refused unless the caller accepts unverified packages; the manifest says which
check each package passed. Versions are compared as Debian does (python-debian's
``Version``: ``1.3.10`` is newer than ``1.3.7``, an epoch ``1:`` beats any version
without).
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import os
import shutil
import subprocess
import urllib.parse
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
    sha256: str = ""  # of the .deb of that version, from Debian bookworm's signed index


PACKAGES = (
    Package(
        "sweethome3d-furniture",
        "1.8-1",
        119_782_356,
        "sh3d",
        "usr/share/sweethome3d/furniture",
        (".sh3f",),
        "CC0-1.0 or CC-BY-3.0 (per library)",
        "3ccb90c63f9525e887a767b9cd5c8b6933b8b6b2973a615a5359ee68a2118668",
    ),
    Package(
        "flightgear-data-ai",
        "1:2020.3.16+dfsg-1",
        286_529_020,
        "fgai",
        "usr/share/games/flightgear/AI/Aircraft",
        (".ac",),
        "GPL-2+",
        "a86b2acbf99ff2d49698abd2a2f4bc28ab0cf5a744218b4ca4d8aede8a67dc2f",
    ),
    Package(
        "flightgear-data-models",
        "1:2020.3.16+dfsg-1",
        144_289_728,
        "fgmod",
        "usr/share/games/flightgear/Models",
        (".ac",),
        "GPL-2+",
        "e3f24a2e1b5fb34168aed4440e7cbfa41f8ce1196e42351abc5012f6e4263b4c",
    ),
    Package(
        "torcs-data",
        "1.3.7+dfsg-5",
        333_308_448,
        "torcs",
        "usr/share/games/torcs/cars",
        (".acc",),
        "GPL-2+",
        "33a170ec9db8bdf7e33cb07b96b9854d5ef9e47b1f82705e4c24d6caaf13fb99",
    ),
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
COMPLETE_MARKER = ".complete"  # written last into an unpacked package's folder: the .deb's sha256
VERIFIED_NAME = "verified.json"  # in the .deb folder: size and sha256 from apt's index of each download
_HASH_CHUNK = 1 << 20


def total_download_size(packages=PACKAGES) -> int:
    """Bytes of the .deb files (of the measured versions)."""
    return sum(package.size for package in packages)


def deb_version(path, name: str) -> Optional[str]:
    """The version in a .deb file name ``<name>_<version>_<arch>.deb`` (apt writes an
    epoch's ``:`` as ``%3a``), or None when the name is not of that package."""
    base = os.path.basename(os.fspath(path))
    if not base.startswith(name + "_") or not base.endswith(".deb"):
        return None
    parts = base[len(name) + 1 : -len(".deb")].split("_")
    if len(parts) != 2 or not parts[0]:
        return None
    return urllib.parse.unquote(parts[0])


def find_debs(folder, packages=PACKAGES) -> Dict[str, Optional[str]]:
    """The .deb file of each package in ``folder`` ({name: path or None}); of several
    versions, the newest by Debian's version comparison."""
    from debian.debian_support import Version

    found = {}
    for package in packages:
        versions = []
        for path in glob.glob(os.path.join(glob.escape(os.fspath(folder)), f"{package.name}_*.deb")):
            version = deb_version(path, package.name)
            if version is None:
                continue
            try:
                versions.append((Version(version), path))
            except ValueError:  # not a Debian version: ignored
                continue
        found[package.name] = max(versions)[1] if versions else None
    return found


@dataclasses.dataclass(frozen=True)
class Expected:
    """What the archive's signed index says of one .deb."""

    size: int
    sha256: str
    source: str  # where this was read, for the manifest


def print_uris(output: str) -> Dict[str, Expected]:
    """{file name: Expected} from ``apt-get download --print-uris`` lines:
    ``'<uri>' <file name> <size> SHA256:<hex>``."""
    expected = {}
    for line in output.splitlines():
        tokens = line.split()
        if len(tokens) != 4 or not tokens[0].startswith("'"):
            continue
        kind, _, digest = tokens[3].partition(":")
        if kind.upper() == "SHA256" and tokens[2].isdigit():
            expected[tokens[1]] = Expected(int(tokens[2]), digest.lower(), "the archive's signed index (apt)")
    return expected


def read_verified(folder) -> Dict[str, Expected]:
    """The records ``download_debs`` wrote in ``folder`` ({} when none or unreadable)."""
    try:
        with open(os.path.join(os.fspath(folder), VERIFIED_NAME), encoding="utf-8") as handle:
            data = json.load(handle)
        return {name: Expected(int(v["size"]), str(v["sha256"]), str(v["source"])) for name, v in data.items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def download_debs(folder, names: List[str], run: Callable = subprocess.run) -> None:
    """``apt-get download`` the packages into ``folder`` (no root needed), each checked
    against the size and SHA-256 of the archive's signed index (``--print-uris``) and
    recorded in ``<folder>/verified.json``.

    Raises:
        RuntimeError: apt-get is missing or fails (the message says how to pass .deb files
            by hand instead), or a downloaded file differs from the index.
    """
    if shutil.which("apt-get") is None:
        raise RuntimeError(
            "apt-get is not available: download the .deb files by hand and pass their folder with --debs"
        )
    os.makedirs(folder, exist_ok=True)
    hint = "run 'apt-get update' or download the .deb files by hand and pass their folder with --debs"
    listing = run(["apt-get", "download", "--print-uris", *names], cwd=folder, capture_output=True, text=True)
    expected = print_uris(listing.stdout or "") if listing.returncode == 0 else {}
    if listing.returncode != 0 or len(expected) != len(names):
        raise RuntimeError(f"apt-get download --print-uris {' '.join(names)} failed or gave no SHA256; {hint}")
    result = run(["apt-get", "download", *names], cwd=folder)
    if result.returncode != 0:
        raise RuntimeError(f"apt-get download {' '.join(names)} failed (exit status {result.returncode}); {hint}")
    records = read_verified(folder)
    for file_name, want in expected.items():
        path = os.path.join(folder, file_name)
        try:
            _compare(path, want)
        except DebError as error:
            raise RuntimeError(str(error)) from None
        records[file_name] = want
    with atomic_write(os.path.join(folder, VERIFIED_NAME), "w") as handle:
        json.dump({name: dataclasses.asdict(e) for name, e in sorted(records.items())}, handle, indent=1)


def file_sha256(path: str) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _compare(path: str, want: Expected) -> None:
    try:
        size = os.path.getsize(path)
    except OSError as error:
        raise DebError(path, f"cannot read the file ({error.strerror or error})") from None
    if size != want.size:
        raise DebError(path, f"{size} bytes, but {want.source} says {want.size}: a damaged or different package")
    digest = file_sha256(path)
    if digest != want.sha256:
        raise DebError(path, f"sha256 {digest}, but {want.source} says {want.sha256}: a damaged or different package")


def _apt_index(name: str, version: str, run: Callable) -> Optional[Expected]:
    """What this machine's apt index says of ``name=version``, or None."""
    if shutil.which("apt-cache") is None:
        return None
    from debian.deb822 import Deb822

    try:
        result = run(["apt-cache", "show", "--no-all-versions", f"{name}={version}"], capture_output=True, text=True)
    except OSError:
        return None
    if result.returncode != 0 or not result.stdout:
        return None
    fields = Deb822(result.stdout)
    if fields.get("Version") != version or not fields.get("SHA256") or not str(fields.get("Size", "")).isdigit():
        return None
    return Expected(int(fields["Size"]), fields["SHA256"].lower(), "this machine's apt index (apt-cache show)")


@dataclasses.dataclass(frozen=True)
class DebCheck:
    """How a .deb was checked: ``how`` goes into the manifest."""

    path: str
    sha256: str
    how: str


def verify_deb(
    path: str, package: Package, accept_unverified: bool = False, run: Callable = subprocess.run
) -> DebCheck:
    """Check a .deb's size and SHA-256 (see the module's docstring for against what).

    Raises:
        DebError: the file differs from what the index says, its name is not of the
            package, or nothing knows its version and ``accept_unverified`` is False.
    """
    path = os.fspath(path)
    version = deb_version(path, package.name)
    if version is None:
        raise DebError(path, f"not named like a .deb of {package.name} ({package.name}_<version>_<arch>.deb)")
    recorded = read_verified(os.path.dirname(path)).get(os.path.basename(path))
    if recorded is not None:
        want, how = recorded, "downloaded"
    elif version == package.version and package.sha256:
        want = Expected(package.size, package.sha256, "Debian bookworm's signed index (recorded in softrecon)")
        how = "supplied"
    else:
        want, how = _apt_index(package.name, version, run), "supplied"
    if want is None:
        if not accept_unverified:
            raise DebError(
                path,
                f"version {version} cannot be verified: it was not downloaded here, softrecon records "
                f"{package.version}, and apt's index does not know it (download it with the build, or accept "
                "unverified packages: --accept-unverified)",
            )
        return DebCheck(path, file_sha256(path), "supplied; unverified (accepted by the user)")
    _compare(path, want)
    return DebCheck(path, want.sha256, f"{how}; size and sha256 match {want.source}")


def unpack(deb_path: str, package: Package, destination: str, sha256: Optional[str] = None) -> str:
    """Extract the package's model files (and its copyright file) into
    ``destination/<name>``, once: a complete unpack is marked with the .deb's SHA-256
    (``sha256``, computed when not given) and reused only for the same content.

    Returns:
        the folder that ``package.root`` lies in.

    Raises:
        DebError: a missing, truncated or corrupt .deb.
    """
    folder = os.path.join(destination, package.name)
    marker = os.path.join(folder, COMPLETE_MARKER)
    if sha256 is None:
        try:
            sha256 = file_sha256(deb_path)
        except OSError as error:
            raise DebError(deb_path, f"cannot read the file ({error.strerror or error})") from None
    if os.path.isfile(marker):
        with open(marker) as handle:
            if handle.read().strip() == sha256:
                return folder
    shutil.rmtree(folder, ignore_errors=True)
    prefix = package.root + "/"

    def keep(name: str) -> bool:
        return (name.startswith(prefix) and name.lower().endswith(package.extensions)) or name.endswith("/copyright")

    written = extract_deb(deb_path, folder, keep)
    if not any(name.startswith(prefix) for name in written):
        raise DebError(deb_path, f"no model files under {package.root}/ (is this {package.name}?)")
    with atomic_write(marker, "w") as handle:
        handle.write(sha256 + "\n")
    return folder
