#!/usr/bin/env bash
# GPU acceptance in one command, for a bare machine with one NVIDIA GPU:
#
#   bash scripts/gpu_check.sh [OUTPUT_DIR]        (default: gpu_check/<UTC time>)
#
# Stages (each under its own timeout, all together under GPU_CHECK_BUDGET seconds,
# default 720; a stage that finds the budget spent is marked skipped):
#   1. install     a fresh virtual environment (.venv-gpu), `pip install torch` (TORCH_REQUIREMENT,
#                  default "torch": the build pip picks for this machine), checks it sees the GPU
#   2. build       FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=<the GPU's compute capability from
#                  nvidia-smi> pip install --no-build-isolation -e ".[dev]"; checks the CUDA kernel loads
#   3. tests       the CUDA tests: tests/renderer/test_cuda*.py, the CUDA training tests and
#                  the voxelizer's CUDA cases
#   4. rasterize   benchmarks/bench_rasterize.py --quick with its CPU and CUDA rows (the
#                  dense reference is left out: minutes on a CPU), jrender's loads included
#   5. data        the embedded synthetic dataset (built once, reused)
#   6. train       500 iterations of experiment=paper_silhouette on that data (batch 64,
#                  64 x 64, the paper's model): it/s and the shares of renderer, network, data
#   7. eval        eval.py on that run, with its wall time
#   8. voxelize    benchmarks/bench_voxelize.py with its GPU row
# Then one summary table, printed and written to OUTPUT_DIR/summary.md; every stage's
# full output is in OUTPUT_DIR/<stage>.log. Exit status: 0 when every stage passed.
#
# Without an NVIDIA GPU it stops at once with a message (exit 2), installing nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"

NVIDIA_SMI="${NVIDIA_SMI:-nvidia-smi}"
BUDGET="${GPU_CHECK_BUDGET:-720}"
TORCH_REQUIREMENT="${TORCH_REQUIREMENT:-torch}"
VENV="${GPU_CHECK_VENV:-$REPO/.venv-gpu}"
PYTHON_BIN="${PYTHON:-python3}"

# ---------------------------------------------------------------- preflight: a GPU?
gpu_line=""
if command -v "$NVIDIA_SMI" >/dev/null 2>&1; then
    gpu_line="$("$NVIDIA_SMI" --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n 1)"
fi
if [ -z "$gpu_line" ]; then
    echo "gpu_check: no NVIDIA GPU found ('$NVIDIA_SMI --query-gpu' listed none): this script checks the CUDA back end" >&2
    echo "gpu_check: and needs a machine with one. Nothing was installed or run. On a CPU machine the" >&2
    echo "gpu_check: default test suite ('python -m pytest -q') is the check." >&2
    exit 2
fi
IFS=',' read -r gpu_name compute_cap driver memory <<<"$gpu_line"
gpu_name="$(echo "$gpu_name" | xargs)"; compute_cap="$(echo "$compute_cap" | xargs)"
driver="$(echo "$driver" | xargs)"; memory="$(echo "$memory" | xargs)"
if ! [[ "$compute_cap" =~ ^[0-9]+\.[0-9]+$ ]]; then
    echo "gpu_check: could not read the GPU's compute capability (got '$compute_cap' from $NVIDIA_SMI)" >&2
    exit 2
fi
if [ -z "${CUDA_HOME:-}" ] && [ -d /usr/local/cuda/include ]; then
    export CUDA_HOME=/usr/local/cuda  # the toolkit's headers, wherever nvcc's link lives
fi

OUT="${1:-$REPO/gpu_check/$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
START=$(date +%s)
declare -a ROWS=()
FAILED=0

remaining() { echo $(( BUDGET - ($(date +%s) - START) )); }

# run_stage NAME TIMEOUT COMMAND...: runs COMMAND with its output in OUT/NAME.log under
# min(TIMEOUT, budget left); sets STAGE_STATUS (passed | FAILED (exit N) | TIMED OUT |
# skipped) and STAGE_SECONDS.
run_stage() {
    local name="$1" limit="$2"; shift 2
    local left; left=$(remaining)
    STAGE_SECONDS=0
    if [ "$left" -le 5 ]; then
        STAGE_STATUS="skipped (budget of ${BUDGET}s spent)"
        FAILED=1
        echo "gpu_check: [$name] $STAGE_STATUS"
        return 1
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    echo "gpu_check: [$name] running (at most ${limit}s; log: $OUT/$name.log)"
    local t0; t0=$(date +%s)
    timeout --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
    local rc=$?
    STAGE_SECONDS=$(( $(date +%s) - t0 ))
    if [ $rc -eq 0 ]; then
        STAGE_STATUS="passed"
    elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        STAGE_STATUS="TIMED OUT after ${limit}s"
        FAILED=1
    else
        STAGE_STATUS="FAILED (exit $rc)"
        FAILED=1
    fi
    echo "gpu_check: [$name] $STAGE_STATUS in ${STAGE_SECONDS}s"
    tail -n 3 "$OUT/$name.log" | sed 's/^/    /'
    [ $rc -eq 0 ]
}

row() { ROWS+=("| $1 | $2 | $3 | $4 |"); }

echo "gpu_check: $gpu_name (compute capability $compute_cap, driver $driver, $memory); output in $OUT"

# ---------------------------------------------------------------- 1. install
run_stage install 420 bash -c "
    set -e
    '$PYTHON_BIN' -m venv '$VENV'
    '$VENV/bin/python' -m pip install --upgrade pip setuptools wheel
    '$VENV/bin/python' -m pip install $TORCH_REQUIREMENT
    '$VENV/bin/python' -c 'import torch; assert torch.cuda.is_available(), \"this torch build (\" + torch.__version__ + \") does not see the GPU\"; print(\"torch\", torch.__version__, \"CUDA\", torch.version.cuda, torch.cuda.get_device_name(0))'
"
installed=$?
row install "$STAGE_STATUS" "${STAGE_SECONDS}s" "$(grep -m1 '^torch ' "$OUT/install.log" 2>/dev/null || echo '-')"
PY="$VENV/bin/python"

# ---------------------------------------------------------------- 2. build
if [ $installed -eq 0 ]; then
    run_stage build 360 bash -c "
        set -e
        FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST='$compute_cap' '$PY' -m pip install --no-build-isolation -e '.[dev]'
        '$PY' -c 'from softrecon.renderer import _kernels; assert _kernels.kernel_available(\"cuda\"), _kernels.build_error(); print(\"CUDA kernel built for sm_$compute_cap and loaded\")'
    "
    built=$?
    row build "$STAGE_STATUS" "${STAGE_SECONDS}s" "TORCH_CUDA_ARCH_LIST=$compute_cap"
else
    built=1
    row build "skipped (no install)" - -
fi

if [ $built -eq 0 ]; then
    # ------------------------------------------------------------ 3. tests
    run_stage tests 300 "$PY" -m pytest -q -p no:cacheprovider tests/renderer/test_cuda*.py tests/training/test_train_cuda.py tests/voxel/test_voxelize_batch.py -k "cuda"
    row "CUDA tests" "$STAGE_STATUS" "${STAGE_SECONDS}s" "$(grep -E '[0-9]+ (passed|failed)' "$OUT/tests.log" | tail -n 1)"

    # ------------------------------------------------------------ 4. rasterizer benchmark
    run_stage rasterize 300 "$PY" benchmarks/bench_rasterize.py --quick --impls cpu cuda
    row "bench_rasterize" "$STAGE_STATUS" "${STAGE_SECONDS}s" "tables in rasterize.log (jrender loads: see below)"

    # ------------------------------------------------------------ 5. data
    run_stage data 300 "$PY" scripts/make_synthetic_dataset.py --no-progress
    row "synthetic data" "$STAGE_STATUS" "${STAGE_SECONDS}s" "data/generated/synthetic"

    # ------------------------------------------------------------ 6. training
    RUN="$OUT/paper_silhouette_run"
    run_stage train 360 "$PY" benchmarks/bench_training.py --presets paper_silhouette --iterations 500 --warmup 5 --run-dir "$RUN"
    trained=$?
    row "train 500 it, paper_silhouette" "$STAGE_STATUS" "${STAGE_SECONDS}s" "$(grep -m1 '^| paper_silhouette' "$OUT/train.log" | awk -F'|' '{gsub(/ /,"",$7); gsub(/ /,"",$9); gsub(/ /,"",$10); gsub(/ /,"",$11); printf "%s it/s; data %s, network %s, renderer + losses %s", $7, $9, $10, $11}')"

    # ------------------------------------------------------------ 7. evaluation
    if [ $trained -eq 0 ]; then
        run_stage eval 300 "$PY" eval.py ckpt_path="$RUN" progress=false paths.run_dir="$OUT/eval"
        mean="$("$PY" -c "import json; print(round(json.load(open('$OUT/eval/metrics.json'))['mean'], 4))" 2>/dev/null || echo '-')"
        row "eval of that run" "$STAGE_STATUS" "${STAGE_SECONDS}s" "mean voxel IoU $mean (val split, 500 iterations only)"
    else
        row "eval of that run" "skipped (no run)" - -
    fi

    # ------------------------------------------------------------ 8. voxelizer benchmark
    run_stage voxelize 180 "$PY" benchmarks/bench_voxelize.py --repeats 3
    row "bench_voxelize" "$STAGE_STATUS" "${STAGE_SECONDS}s" "$(grep -m1 '| cuda |' "$OUT/voxelize.log" | awk -F'|' '{gsub(/^ +| +$/,"",$4); gsub(/^ +| +$/,"",$6); printf "GPU %s ms/mesh (%s vs voxelize)", $4, $6}')"
fi

# ---------------------------------------------------------------- summary
TOTAL=$(( $(date +%s) - START ))
{
    echo "# gpu_check: $gpu_name (sm_${compute_cap/./}, driver $driver, $memory), $(date -u +%Y-%m-%dT%H:%MZ), ${TOTAL}s in all"
    echo
    echo "| stage | status | time | result |"
    echo "| --- | --- | ---: | --- |"
    printf '%s\n' "${ROWS[@]}"
    if [ -f "$OUT/rasterize.log" ] && grep -q '^| load' "$OUT/rasterize.log"; then
        echo
        sed -n '/^fwd+bwd of one 1024/,$p' "$OUT/rasterize.log"
    fi
    for log in train voxelize; do
        if [ -f "$OUT/$log.log" ] && grep -q '^| ' "$OUT/$log.log"; then
            echo
            grep '^| \|^torch \|^voxelizer:' "$OUT/$log.log"
        fi
    done
} >"$OUT/summary.md"
echo
cat "$OUT/summary.md"
echo
echo "gpu_check: summary written to $OUT/summary.md"
exit $FAILED
