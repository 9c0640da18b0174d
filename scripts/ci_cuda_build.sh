#!/usr/bin/env bash
# CI stage: the whole CUDA build of softrecon._C on a machine without a GPU.
#
# In its own virtual environment (.venv-ci-cuda; the main test environment keeps the CPU
# torch): torch==2.14.1 (CUDA 13.0), then the README's CUDA command
#     FORCE_CUDA=1 pip install --no-build-isolation -e .
# with no CUDA_HOME set (setup.py finds the toolkit) for setup.py's DEFAULT_CUDA_ARCHS,
# nvcc warnings as errors, on a copy of the sources (so that the CPU build of the checkout
# is left alone). Then: the library holds every architecture (scripts/list_cuda_archs.py),
# imports without a GPU, says with_cuda, and its CPU kernel and CUDA emulation render.
#
# The virtual environment is kept between runs (installing torch takes minutes) and
# rebuilt when the pinned torch or Python changes, or with SOFTRECON_CI_FRESH=1.
# Skips, with a message, where no nvcc is installed. MAX_JOBS (default 2) compile jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

TORCH_PIN="torch==2.14.1"
VENV="$ROOT/.venv-ci-cuda"
export MAX_JOBS="${MAX_JOBS:-2}"
log() { echo "ci_cuda_build: $*"; }
now() { date +%s; }

if ! command -v nvcc >/dev/null 2>&1 && [ ! -x /usr/local/cuda/bin/nvcc ]; then
    log "SKIPPED (no nvcc on the PATH or in /usr/local/cuda: the CUDA build cannot be checked here)"
    exit 0
fi
unset CUDA_HOME CUDA_PATH  # the build must find the toolkit itself, as for a new user
unset TORCH_CUDA_ARCH_LIST  # setup.py's DEFAULT_CUDA_ARCHS, checked below

# ---------------------------------------------------------------- environment
start=$(now)
stamp="$TORCH_PIN $(python3 -c 'import sys; print(sys.version.split()[0])')"
if [ "${SOFTRECON_CI_FRESH:-0}" = "1" ] || [ ! -f "$VENV/.ci-stamp" ] || [ "$(cat "$VENV/.ci-stamp")" != "$stamp" ]; then
    log "new virtual environment $VENV ($stamp)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel
    "$VENV/bin/python" -m pip install -q "$TORCH_PIN"
    echo "$stamp" > "$VENV/.ci-stamp"  # written last: a half-made environment is never reused
else
    log "reusing $VENV ($stamp)"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
env_seconds=$(( $(now) - start ))

# ---------------------------------------------------------------- build
SRC="$(mktemp -d)"
trap 'python -m pip uninstall -q -y softrecon >/dev/null 2>&1 || true; rm -rf "$SRC"' EXIT
git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$SRC"
start=$(now)
log "FORCE_CUDA=1 pip install --no-build-isolation -e . ($(nvcc --version | tail -n 1); MAX_JOBS=$MAX_JOBS)"
(cd "$SRC" && FORCE_CUDA=1 NVCC_APPEND_FLAGS="-Werror all-warnings" python -m pip install -q --no-build-isolation -e .)
build_seconds=$(( $(now) - start ))

# ---------------------------------------------------------------- checks
# Every architecture of setup.py's DEFAULT_CUDA_ARCHS is in the library (its fat binary).
archs="$(sed -n 's/^DEFAULT_CUDA_ARCHS = "\(.*\)"$/\1/p' "$SRC/setup.py")"
found="$(python scripts/list_cuda_archs.py "$SRC"/softrecon/_C*.so --expect "$archs")"  # fails on a missing one
log "device code: $found (wanted $archs)"
# Import without a GPU, with_cuda, and a render by the CPU kernel and by the emulated CUDA
# kernels of this build against the reference.
(cd "$SRC" && python - <<'EOF'
import torch
import softrecon._C as ext
from softrecon.renderer import RasterSettings, soft_rasterize

assert ext.with_cuda, "softrecon._C was built without CUDA"
fv = torch.rand(2, 20, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 1.6 - 0.8
fv[..., 2] += 2.8
settings = RasterSettings(image_size=(24, 20), sigma=1e-3, near=1.0, far=3.0)
expected = soft_rasterize(fv, None, settings, backend="reference")
for backend in ("cpu", "cuda_emulated"):
    error = (soft_rasterize(fv, None, settings, backend=backend) - expected).abs().max().item()
    assert error < 1e-12, (backend, error)
print(f"ci_cuda_build: imported with torch {torch.__version__} (CUDA {torch.version.cuda}), "
      f"with_cuda={ext.with_cuda}, GPU present: {torch.cuda.is_available()}; cpu and cuda_emulated renders match")
EOF
)
log "OK (environment ${env_seconds} s, build ${build_seconds} s)"
