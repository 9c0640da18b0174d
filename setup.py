"""Build of softrecon's compiled soft rasterizer, the extension ``softrecon._C``.

CPU (C++ with OpenMP) always; CUDA as well when the installed torch has CUDA or
FORCE_CUDA=1, and nvcc is found (CUDA_HOME). torch must be installed first:

    pip install torch==2.13.0
    pip install --no-build-isolation -e .

Package metadata lives in pyproject.toml; this file only declares the extension.
"""

import glob
import os
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
# Architectures compiled into a CUDA build unless TORCH_CUDA_ARCH_LIST says otherwise.
DEFAULT_CUDA_ARCHS = "7.5;8.0;9.0"


def _sources(*patterns):
    """Source paths relative to this folder (setuptools wants relative paths)."""
    found = []
    for pattern in patterns:
        found += sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, pattern)))
    return found


def _want_cuda() -> bool:
    if os.environ.get("FORCE_CUDA", "0") == "1":
        if cpp_extension.CUDA_HOME is None:
            sys.exit("softrecon: FORCE_CUDA=1 but no CUDA toolkit was found (set CUDA_HOME)")
        return True
    return torch.cuda.is_available() and cpp_extension.CUDA_HOME is not None


def _extension():
    sources = _sources("csrc/cpu/*.cpp", "csrc/torch/*.cpp")
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
