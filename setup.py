"""Build of softrecon's compiled soft rasterizer, the extension ``softrecon._C``.

CPU (C++ with OpenMP, plus the CUDA kernels compiled as host C++ for their emulation)
always; CUDA as well when FORCE_CUDA=1, or when torch sees a GPU and a CUDA toolkit is
found (see ``_cuda_home``). torch must be installed first:

    pip install torch==2.13.0
    pip install --no-build-isolation -e .

CUDA build on a machine without a GPU (a CUDA build of torch, nvcc installed):

    FORCE_CUDA=1 pip install --no-build-isolation -e .

for DEFAULT_CUDA_ARCHS unless TORCH_CUDA_ARCH_LIST says otherwise; MAX_JOBS limits the
parallel compile jobs (each nvcc job of the kernels takes ~1 GB of memory).

Package metadata lives in pyproject.toml; this file only declares the extension.
"""

import glob
import os
import shutil
import subprocess
import sys

from setuptools import setup

try:
    import torch
    from torch.utils import cpp_extension
except ImportError:
    sys.exit("softrecon: install torch first (pip install torch==2.13.0), then pip install --no-build-isolation -e .")

ROOT = os.path.dirname(os.path.abspath(__file__))
# OpenMP must be on in both compile and link: torch adds neither, and without it the
# CPU kernel silently runs on one thread.
OPENMP_FLAGS = ["-fopenmp"]
CXX_FLAGS = ["-O3"] + OPENMP_FLAGS
# Architectures compiled into a CUDA build unless TORCH_CUDA_ARCH_LIST says otherwise:
# Turing (T4), Ampere (A100; RTX 30), Ada (RTX 40, L4), Hopper (H100), Blackwell data
# centre (B200) and consumer (RTX 50) as machine code, plus PTX of the newest, which the
# driver compiles for later GPUs (nvcc 13.0 has dropped everything before 7.5).
DEFAULT_CUDA_ARCHS = "7.5;8.0;8.6;8.9;9.0;10.0;12.0+PTX"
# What a CUDA toolkit directory must hold for the build.
TOOLKIT_FILES = (os.path.join("include", "cuda_runtime.h"), os.path.join("bin", "nvcc"))


def _sources(*patterns):
    """Source paths relative to this folder (setuptools wants relative paths)."""
    found = []
    for pattern in patterns:
        found += sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, pattern)))
    return found


def _missing_toolkit_files(home):
    return [f for f in TOOLKIT_FILES if not os.path.isfile(os.path.join(home, f))]


def _nvcc_reported_home(nvcc):
    """The toolkit an nvcc on the PATH belongs to, as nvcc itself reports it (`_HERE_`
    of --dryrun is its real bin folder); finds the toolkit behind wrapper scripts."""
    try:
        out = subprocess.run(
            [nvcc, "--dryrun", "-x", "cu", "-c", os.devnull, "-o", os.devnull],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    for line in (out.stdout + out.stderr).splitlines():
        if line.startswith("#$ _HERE_="):
            return os.path.dirname(line.split("=", 1)[1].strip())
    return None


def _cuda_home():
    """The CUDA toolkit to build with, or None; with the places looked at, for errors.

    CUDA_HOME (or CUDA_PATH) when set, and then it must be a toolkit. Otherwise the
    first of: the real location of the nvcc on the PATH (symlinks resolved; torch's own
    guess takes the PATH entry's parent, e.g. /usr/local for /usr/local/bin/nvcc, which
    holds no cuda_runtime.h), the toolkit that nvcc reports (wrapper scripts),
    /usr/local/cuda; a toolkit being a folder with include/cuda_runtime.h and bin/nvcc.
    """
    for variable in ("CUDA_HOME", "CUDA_PATH"):
        home = os.environ.get(variable)
        if home:
            missing = _missing_toolkit_files(home)
            if missing:
                sys.exit(f"softrecon: {variable}={home} is not a CUDA toolkit: {', '.join(missing)} missing")
            return home, [home]
    candidates = []
    nvcc = shutil.which("nvcc")
    if nvcc:
        candidates.append(os.path.dirname(os.path.dirname(os.path.realpath(nvcc))))
    candidates.append("/usr/local/cuda")
    looked = []
    for index, home in enumerate(candidates):
        looked.append(home)
        if not _missing_toolkit_files(home):
            return home, looked
        if index == 0 and nvcc:
            reported = _nvcc_reported_home(nvcc)
            if reported and reported not in looked:
                looked.append(reported)
                if not _missing_toolkit_files(reported):
                    return reported, looked
    return None, looked


def _want_cuda() -> bool:
    """Whether to build CUDA; points torch's cpp_extension at the toolkit when so."""
    force = os.environ.get("FORCE_CUDA", "0") == "1"
    if not force and not torch.cuda.is_available():
        return False
    home, looked = _cuda_home()
    if home is None:
        if force:
            sys.exit(
                "softrecon: FORCE_CUDA=1 but no CUDA toolkit was found: none of "
                + ", ".join(looked)
                + f" has {' and '.join(TOOLKIT_FILES)} (install the CUDA toolkit, or set CUDA_HOME to it)"
            )
        return False
    if torch.version.cuda is None:
        if force:
            sys.exit(f"softrecon: FORCE_CUDA=1 needs a CUDA build of torch; this torch is {torch.__version__}")
        return False
    os.environ["CUDA_HOME"] = home
    cpp_extension.CUDA_HOME = home  # read by CUDAExtension and BuildExtension from here on
    return True


def _extension():
    sources = _sources("csrc/cpu/*.cpp", "csrc/cuda/*.cpp", "csrc/torch/*.cpp")
    if _want_cuda():
        os.environ.setdefault("TORCH_CUDA_ARCH_LIST", DEFAULT_CUDA_ARCHS)
        return cpp_extension.CUDAExtension(
            "softrecon._C",
            sources + _sources("csrc/cuda/*.cu"),
            define_macros=[("WITH_CUDA", None)],
            extra_compile_args={"cxx": CXX_FLAGS, "nvcc": ["-O3"]},
            extra_link_args=OPENMP_FLAGS,
        )
    return cpp_extension.CppExtension(
        "softrecon._C",
        sources,
        extra_compile_args={"cxx": CXX_FLAGS},
        extra_link_args=OPENMP_FLAGS,
    )


setup(
    ext_modules=[_extension()],
    cmdclass={"build_ext": cpp_extension.BuildExtension.with_options(use_ninja=True)},
)
