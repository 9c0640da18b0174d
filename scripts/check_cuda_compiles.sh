#!/usr/bin/env bash
# Compiles every .cu file under csrc/ with nvcc for sm_75, sm_80 and sm_90 into a
# temporary folder (no GPU, no torch needed), failing loudly on the first error.
# Skips, with a message, where no nvcc is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

NVCC="${NVCC:-}"
if [ -z "$NVCC" ]; then
    if command -v nvcc >/dev/null 2>&1; then
        NVCC="$(command -v nvcc)"
    elif [ -n "${CUDA_HOME:-}" ] && [ -x "$CUDA_HOME/bin/nvcc" ]; then
        NVCC="$CUDA_HOME/bin/nvcc"
    elif [ -x /usr/local/cuda/bin/nvcc ]; then
        NVCC=/usr/local/cuda/bin/nvcc
    fi
fi
if [ -z "$NVCC" ]; then
    echo "check_cuda_compiles: SKIPPED (nvcc not found; set NVCC or CUDA_HOME to check the CUDA kernels)"
    exit 0
fi

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
ARCHS=(-gencode arch=compute_75,code=sm_75 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90)

mapfile -t SOURCES < <(find csrc -name '*.cu' | sort)
if [ "${#SOURCES[@]}" -eq 0 ]; then
    echo "check_cuda_compiles: FAILED: no .cu files under csrc/" >&2
    exit 1
fi
echo "check_cuda_compiles: $("$NVCC" --version | tail -n 1)"
for src in "${SOURCES[@]}"; do
    obj="$OUT/$(basename "${src%.cu}").o"
    echo "check_cuda_compiles: nvcc -c $src (sm_75, sm_80, sm_90)"
    if ! "$NVCC" -std=c++17 -O3 -Werror all-warnings "${ARCHS[@]}" -c "$src" -o "$obj"; then
        echo "check_cuda_compiles: FAILED: $src does not compile" >&2
        exit 1
    fi
done
echo "check_cuda_compiles: OK (${#SOURCES[@]} file(s))"
