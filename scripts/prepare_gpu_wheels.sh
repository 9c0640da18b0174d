#!/usr/bin/env bash
# The wheels that a machine without network access needs to run softrecon, prepared on a
# machine that reaches the package index:
#
#   bash scripts/prepare_gpu_wheels.sh [--dest DIR] [--python-version X.Y] [--have FILE]
#
# Every package that softrecon needs (pyproject.toml's dependencies, and what those
# packages need in turn) which the target machine does not already have, as wheels for
# CPython X.Y (default 3.12) on manylinux x86_64, into DIR (default .whl/, ignored by git).
# What the target has: FILE, the output of `python3 -m pip list --format=freeze` there
# (name==version lines; bare names allowed); without --have, the GPU image listed below
# (Python 3.12 with a CUDA 13.0 build of torch 2.11 and the scientific stack, but no
# hydra-core, omegaconf or antlr4-python3-runtime).
#
# A package with no wheel on the index (antlr4-python3-runtime 4.9.3 is an sdist only) is
# built into a wheel here; only pure-Python wheels (py3-none-any) can be built this way.
# Then every wheel's requirements are checked against the target's packages and the
# other wheels (versions too, where known), the tags against CPython X.Y, and the sizes
# listed. DIR's old *.whl files are removed first: two versions of one package make a
# --no-deps install fail.
#
# On the target (no index needed): install them with
#   python3 -m pip install --no-index --no-deps --no-compile --target SITE DIR/*.whl
# and put SITE on PYTHONPATH; scripts/gpu_check.sh --offline does this (docs/KERNELS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

DEST=".whl"
PY_VERSION="3.12"
HAVE=""
PYTHON="${PYTHON:-python3}"
while [ $# -gt 0 ]; do
    case "$1" in
        --dest) DEST="${2:?--dest needs a folder}"; shift 2 ;;
        --python-version) PY_VERSION="${2:?--python-version needs X.Y}"; shift 2 ;;
        --have) HAVE="${2:?--have needs a file}"; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "prepare_gpu_wheels: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
if ! [[ "$PY_VERSION" =~ ^3\.[0-9]+$ ]]; then
    echo "prepare_gpu_wheels: --python-version must be X.Y, e.g. 3.12 (got '$PY_VERSION')" >&2
    exit 2
fi
if [ -n "$HAVE" ] && [ ! -f "$HAVE" ]; then
    echo "prepare_gpu_wheels: --have $HAVE: no such file" >&2
    exit 2
fi
mkdir -p "$DEST"
rm -f "$DEST"/*.whl

exec "$PYTHON" - "$DEST" "$PY_VERSION" "$HAVE" <<'PYEOF'
import email.parser
import glob
import os
import re
import subprocess
import sys
import tempfile
import zipfile

try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib
try:
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.tags import compatible_tags, cpython_tags
    from packaging.utils import canonicalize_name, parse_wheel_filename
except ImportError:  # pip always carries packaging
    from pip._vendor.packaging.markers import default_environment
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.specifiers import SpecifierSet
    from pip._vendor.packaging.tags import compatible_tags, cpython_tags
    from pip._vendor.packaging.utils import canonicalize_name, parse_wheel_filename

dest, py_version, have_file = sys.argv[1], sys.argv[2], sys.argv[3]
major, minor = (int(x) for x in py_version.split("."))

# The GPU image (Python 3.12, CUDA 13.0): the packages of it that softrecon and the
# carried wheels' requirements touch, with the versions where they were read there.
# Refresh with --have and `python3 -m pip list --format=freeze` from that machine.
GPU_IMAGE = """
torch==2.11.0 numpy==2.5.2 scipy numba llvmlite h5py tensorboard tqdm scikit-image imageio
pillow pytest pytest-timeout pyyaml packaging setuptools wheel ninja typing-extensions
filelock fsspec jinja2 networkx sympy triton pip
"""
# Platform tags of manylinux x86_64, newest first (pip matches each exactly).
PLATFORMS = [f"manylinux_2_{n}_x86_64" for n in range(39, 16, -1)] + ["manylinux2014_x86_64", "manylinux1_x86_64"]


def log(message):
    print(f"prepare_gpu_wheels: {message}", flush=True)


def read_have():
    """{canonical name: version or None} of what the target machine has."""
    text = open(have_file).read() if have_file else GPU_IMAGE
    have = {}
    for token in text.split():
        token = token.strip()
        if not token or token.startswith("#") or token.startswith("-e"):
            continue
        name, _, version = token.partition("==")
        have[canonicalize_name(name)] = version or None
    return have


def project_requirements():
    with open("pyproject.toml", "rb") as f:
        return [Requirement(r) for r in tomllib.load(f)["project"]["dependencies"]]


# Environment markers as on the target: CPython X.Y on Linux x86_64.
ENVIRONMENT = dict(
    default_environment(),
    python_version=py_version,
    python_full_version=f"{py_version}.0",
    implementation_name="cpython",
    platform_python_implementation="CPython",
    sys_platform="linux",
    platform_system="Linux",
    platform_machine="x86_64",
    os_name="posix",
)
SUPPORTED_TAGS = set(cpython_tags((major, minor), platforms=PLATFORMS + ["linux_x86_64"])) | set(
    compatible_tags((major, minor), platforms=PLATFORMS)
)


def applies(requirement):
    env = dict(ENVIRONMENT, extra="")
    return requirement.marker is None or requirement.marker.evaluate(env)


def wheels():
    """{canonical name: (version, path)} of the wheels in dest."""
    found = {}
    for path in sorted(glob.glob(os.path.join(dest, "*.whl"))):
        name, version, _, _ = parse_wheel_filename(os.path.basename(path))
        found[canonicalize_name(name)] = (str(version), path)
    return found


def wheel_requirements(path):
    with zipfile.ZipFile(path) as archive:
        metadata = next(n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n))
        message = email.parser.Parser().parsestr(archive.read(metadata).decode())
    return [Requirement(r) for r in message.get_all("Requires-Dist") or []]


def pip(*args):
    command = [sys.executable, "-m", "pip", *args]
    return subprocess.run(command, capture_output=True, text=True)


def fetch(requirement):
    """Puts one wheel for `requirement` into dest: the index's, else one built from its sdist."""
    cross = ["--only-binary=:all:", "--python-version", py_version, "--implementation", "cp"]
    cross += [a for p in PLATFORMS for a in ("--platform", p)]
    result = pip("download", "--no-deps", *cross, "-d", dest, str(requirement))
    if result.returncode == 0:
        log(f"{requirement}: wheel from the index")
        return
    if "No matching distribution" not in result.stderr and "Could not find a version" not in result.stderr:
        sys.exit(f"prepare_gpu_wheels: pip download {requirement} failed:\n{result.stderr}")
    with tempfile.TemporaryDirectory() as build_dir:
        built = pip("wheel", "--no-deps", "--no-binary", ":all:", "-w", build_dir, str(requirement))
        if built.returncode != 0:
            sys.exit(f"prepare_gpu_wheels: {requirement}: no wheel on the index and its sdist did not build:\n{built.stderr}")
        (path,) = glob.glob(os.path.join(build_dir, "*.whl"))
        tags = parse_wheel_filename(os.path.basename(path))[3]
        if not all(t.interpreter.startswith("py") and t.abi == "none" and t.platform == "any" for t in tags):
            sys.exit(
                f"prepare_gpu_wheels: {requirement}: only an sdist with compiled code ({os.path.basename(path)}): "
                f"build it on a CPython {py_version} manylinux machine"
            )
        os.replace(path, os.path.join(dest, os.path.basename(path)))
    log(f"{requirement}: no wheel on the index, built from its sdist")


have = read_have()
log(f"target: CPython {py_version} manylinux x86_64 with {len(have)} packages ({have_file or 'the GPU image'})")
torch = have.get("torch")
pending = [r for r in project_requirements() if applies(r)]
for r in pending:
    if canonicalize_name(r.name) == "torch" and torch and torch not in r.specifier:
        log(f"warning: the target's torch {torch} is outside softrecon's range '{r}'")
# Each package's specifiers from everything that needs it, joined: a wheel that a later
# requirement rules out is fetched again for all of them (pip download --no-deps resolves
# nothing itself).
specifiers = {}
while pending:
    requirement = pending.pop(0)
    name = canonicalize_name(requirement.name)
    if name in have:
        continue
    specifiers[name] = specifiers.get(name, SpecifierSet()) & requirement.specifier
    current = wheels().get(name)
    if current and specifiers[name].contains(current[0], prereleases=True):
        continue
    if current:
        os.remove(current[1])
    fetch(Requirement(f"{requirement.name}{specifiers[name]}"))
    _, path = wheels()[name]
    pending += [r for r in wheel_requirements(path) if applies(r)]

# Checks: one wheel per package, tags for CPython X.Y, every requirement met.
found = wheels()
problems = []
for name, (version, path) in found.items():
    if not set(parse_wheel_filename(os.path.basename(path))[3]) & SUPPORTED_TAGS:
        problems.append(f"{os.path.basename(path)} does not install on CPython {py_version} manylinux x86_64")
    for r in filter(applies, wheel_requirements(path)):
        other = canonicalize_name(r.name)
        got = found[other][0] if other in found else have.get(other, "missing")
        if other not in found and other not in have:
            problems.append(f"{name} needs {r}, which neither the target nor {dest}/ has")
        elif got is not None and not r.specifier.contains(got, prereleases=True):
            problems.append(f"{name} needs {r}, but {other} {got} is what there is")
if len(glob.glob(os.path.join(dest, "*.whl"))) != len(found):
    problems.append(f"{dest}/ holds two versions of one package")
if problems:
    sys.exit("prepare_gpu_wheels: " + "\n    ".join(["the wheels do not fit together:"] + problems))

total = 0
print(f"\n| wheel | size |\n| --- | ---: |")
for name, (version, path) in sorted(found.items()):
    size = os.path.getsize(path)
    total += size
    print(f"| {os.path.basename(path)} | {size / 1024:.0f} KiB |")
print(f"\n{len(found)} wheels, {total / 2**20:.2f} MiB in {dest}/ (requirements met against the target's packages)")
if total > 60 * 2**20:
    log(f"warning: {total / 2**20:.0f} MiB is near or over what the GPU machine's tool carries (64 MiB with the tree)")
PYEOF
