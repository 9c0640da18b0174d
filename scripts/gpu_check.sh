#!/usr/bin/env bash
# GPU acceptance in one command, for a machine with one NVIDIA GPU:
#
#   bash scripts/gpu_check.sh [--offline | --online] [OUTPUT_DIR]   (default: gpu_check/<UTC time>)
#
# Two ways to get an environment, then the same stages:
#   online   (a package index answers) a fresh virtual environment (.venv-gpu) with
#            `pip install torch` (TORCH_REQUIREMENT, default "torch": the build pip picks for this
#            machine) and `pip install --no-build-isolation -e ".[dev]"`.
#   offline  (no index answers, or --offline) the machine's own python3 (PYTHON) and its
#            torch as they are, which must be a CUDA build; the wheels carried in .whl/
#            (GPU_CHECK_WHEELS; made by scripts/prepare_gpu_wheels.sh) installed with
#            `pip install --no-index --no-deps --target .venv-gpu-site` (GPU_CHECK_SITE) and
#            that folder put first on PYTHONPATH, the checkout after it; the extension built
#            in place (`setup.py build_ext --inplace`). A --target folder rather than a
#            `venv --system-site-packages`: the python3 that holds torch can itself be a
#            virtual environment, and a venv made from a venv sees the base interpreter's
#            site-packages, not its parent's, so torch would be gone.
# Without a flag the mode is offline when `pip index versions torch` gets no answer within
# 30 s (PIP_INDEX_URL, PIP_NO_INDEX and pip's other settings are honoured).
#
# Stages (each under its own timeout, all together under GPU_CHECK_BUDGET seconds, default
# 720 online and 480 offline; a stage that finds the budget spent is marked skipped):
#   1. install     online: venv, torch, checks it sees the GPU. offline: the carried wheels,
#                  then every module softrecon imports, and torch is a CUDA build (no GPU call)
#   2. build       FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=<the GPU's compute capability from
#                  nvidia-smi>; checks the library holds that architecture and says with_cuda
#   3. gpu         torch sees the GPU and the CUDA kernel loads (the first call to the device)
#   4. tests       the CUDA tests: the `cuda` rows of tests/renderer/test_cuda*.py (their
#                  `cuda_emulated` rows are the default suite's), the CUDA training tests
#                  and the voxelizer's CUDA cases
#   5. rasterize   benchmarks/bench_rasterize.py --quick with its CPU and CUDA rows (the
#                  dense reference is left out: minutes on a CPU), jrender's loads included
#   6. data        the embedded synthetic dataset (built once, reused)
#   7. train       500 iterations of experiment=paper_silhouette on that data (batch 64,
#                  64 x 64, the paper's model): it/s and the shares of renderer, network, data
#   8. eval        eval.py on that run, with its wall time
#   9. voxelize    benchmarks/bench_voxelize.py with its GPU row
# Then one summary table, written to OUTPUT_DIR/summary.md and printed last; every stage's
# full output is in OUTPUT_DIR/<stage>.log. Exit status: 0 when every stage passed.
#
# Without an NVIDIA GPU it stops at once with a message (exit 2), installing nothing.
# NVIDIA_SMI names a stand-in for nvidia-smi (a rehearsal without a GPU: docs/KERNELS.md).
set -uo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"

NVIDIA_SMI="${NVIDIA_SMI:-nvidia-smi}"
TORCH_REQUIREMENT="${TORCH_REQUIREMENT:-torch}"
VENV="${GPU_CHECK_VENV:-$REPO/.venv-gpu}"
SITE="${GPU_CHECK_SITE:-$REPO/.venv-gpu-site}"
WHEELS="${GPU_CHECK_WHEELS:-$REPO/.whl}"
PYTHON_BIN="${PYTHON:-python3}"

MODE=auto
OUT=""
while [ $# -gt 0 ]; do
    case "$1" in
        --offline) MODE=offline; shift ;;
        --online) MODE=online; shift ;;
        -h|--help) sed -n '2,43p' "$0"; exit 0 ;;
        -*) echo "gpu_check: unknown option '$1' (--offline, --online, or an output folder)" >&2; exit 2 ;;
        *)
            if [ -n "$OUT" ]; then
                echo "gpu_check: one output folder only (got '$OUT' and '$1')" >&2
                exit 2
            fi
            OUT="$1"; shift ;;
    esac
done

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

if ! PYTHON_PATH="$(command -v "$PYTHON_BIN")"; then
    echo "gpu_check: PYTHON=$PYTHON_BIN: no such python" >&2
    exit 2
fi
PYTHON_BIN="$PYTHON_PATH"
mode_reason="chosen with --$MODE"
if [ "$MODE" = auto ]; then
    # Does a package index answer? pip's own settings decide which one it asks.
    if timeout --kill-after=5 30 "$PYTHON_BIN" -m pip index versions "${TORCH_REQUIREMENT%%[<>=!~ ]*}" \
        --timeout 5 --retries 0 --disable-pip-version-check >/dev/null 2>&1; then
        MODE=online; mode_reason="a package index answered"
    else
        MODE=offline; mode_reason="no package index answered within 30 s"
    fi
fi
if [ "$MODE" = offline ]; then
    BUDGET="${GPU_CHECK_BUDGET:-480}"
else
    BUDGET="${GPU_CHECK_BUDGET:-720}"
fi

OUT="${OUT:-$REPO/gpu_check/$(date -u +%Y%m%d-%H%M%S)}"
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
echo "gpu_check: mode $MODE ($mode_reason), budget ${BUDGET}s"

# ---------------------------------------------------------------- 1. install
# offline_install / offline_build run under `timeout` in a child bash (hence export -f).
offline_install() {
    set -e
    cd "$REPO"
    "$PYTHON_BIN" -c '
import sys, torch
if torch.version.cuda is None:
    sys.exit(f"gpu_check: this torch ({torch.__version__}, {torch.__file__}) is a CPU build: the offline mode uses "
             "the machine'"'"'s torch as it is, and needs a CUDA one (or use --online where an index answers)")
print("torch", torch.__version__, "CUDA", torch.version.cuda, "(" + sys.executable + ", Python " + sys.version.split()[0] + ")")
'
    rm -rf "$SITE"
    mkdir -p "$SITE"
    shopt -s nullglob
    local wheels=("$WHEELS"/*.whl)
    if [ ${#wheels[@]} -gt 0 ]; then
        "$PYTHON_BIN" -m pip install --no-index --no-deps --no-compile --no-cache-dir --disable-pip-version-check \
            --target "$SITE" "${wheels[@]}"
        echo "carried: ${#wheels[@]} wheels from $WHEELS, installed into $SITE: $(cd "$WHEELS" && echo *.whl)"
    else
        echo "carried: no wheels in $WHEELS"
    fi
    # Every distribution softrecon and its tests need, at a version its pyproject.toml allows.
    PYTHONPATH="$SITE:$REPO" "$PYTHON_BIN" - <<'PYEOF'
import importlib.metadata as metadata
import sys
import tomllib

from packaging.requirements import Requirement

with open("pyproject.toml", "rb") as f:
    project = tomllib.load(f)["project"]
wanted = [Requirement(r) for r in project["dependencies"]]
wanted += [Requirement(r) for r in project["optional-dependencies"]["dev"] if not r.startswith("ruff")]
problems = []
for requirement in wanted:
    try:
        version = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        problems.append(f"{requirement.name} is missing")
        continue
    if not requirement.specifier.contains(version, prereleases=True):
        problems.append(f"{requirement.name} {version} is outside '{requirement}'")
if problems:
    sys.exit(
        "gpu_check: "
        + "; ".join(problems)
        + ". Carry them as wheels: on a machine where pip reaches an index, run scripts/prepare_gpu_wheels.sh"
        " (--have FILE with this machine's `python3 -m pip list --format=freeze` if it is not the GPU image)"
        " and carry .whl/ with the checkout"
    )
import hydra, omegaconf, softrecon  # noqa: E401,F401  (the carried wheels and the checkout import)

print("packages: all", len(wanted), "requirements of pyproject.toml met (hydra-core", metadata.version("hydra-core") + ")")
PYEOF
}
offline_build() {
    set -e
    cd "$REPO"
    export PYTHONPATH="$SITE:$REPO"
    FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$compute_cap" MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "$PYTHON_BIN" setup.py build_ext --inplace
    check_build "$PYTHON_BIN"
}
online_build() {
    set -e
    cd "$REPO"
    FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$compute_cap" "$VENV/bin/python" -m pip install --no-build-isolation -e '.[dev]'
    check_build "$VENV/bin/python"
}
# check_build PYTHON: the library PYTHON imports holds machine code for the GPU and says with_cuda.
check_build() {
    local lib
    lib="softrecon/_C$("$1" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
    echo "device code in $lib: $("$1" scripts/list_cuda_archs.py "$lib" --expect "$compute_cap")"
    "$1" -c 'import torch, softrecon._C as c; assert c.with_cuda, "built without CUDA"; print("softrecon._C with_cuda =", c.with_cuda)'
}
export -f offline_install offline_build online_build check_build
export REPO SITE WHEELS VENV PYTHON_BIN compute_cap

if [ "$MODE" = offline ]; then
    run_stage install 120 bash -c offline_install
    installed=$?
    row install "$STAGE_STATUS" "${STAGE_SECONDS}s" "$(grep -m1 '^torch ' "$OUT/install.log" 2>/dev/null | cut -d'(' -f1)(the machine's python3); $(grep -m1 '^carried: ' "$OUT/install.log" 2>/dev/null | cut -d' ' -f2-3) carried"
    PY="$PYTHON_BIN"
    export PYTHONPATH="$SITE:$REPO${PYTHONPATH:+:$PYTHONPATH}"  # for every stage from here on
else
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
fi

# ---------------------------------------------------------------- 2. build
if [ $installed -eq 0 ]; then
    if [ "$MODE" = offline ]; then
        run_stage build 300 bash -c offline_build
    else
        run_stage build 360 bash -c online_build
    fi
    built=$?
    row build "$STAGE_STATUS" "${STAGE_SECONDS}s" "TORCH_CUDA_ARCH_LIST=$compute_cap"
else
    built=1
    row build "skipped (no install)" - -
fi

# ---------------------------------------------------------------- 3. the GPU
if [ $built -eq 0 ]; then
    run_stage gpu 120 "$PY" -c '
import torch
from softrecon.renderer import RasterSettings, _kernels, soft_rasterize

assert torch.cuda.is_available(), f"torch {torch.__version__} (CUDA {torch.version.cuda}) does not see the GPU"
assert _kernels.kernel_available("cuda"), _kernels.build_error()
fv = torch.rand(2, 300, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 1.6 - 0.8
fv[..., 2] += 2.8
settings = RasterSettings(image_size=(48, 40), sigma=1e-3, near=1.0, far=3.0)
error = (soft_rasterize(fv.cuda(), None, settings, backend="cuda").cpu() - soft_rasterize(fv, None, settings)).abs().max()
assert error < 1e-9, f"CUDA and CPU renders differ by {error}"
p = torch.cuda.get_device_properties(0)
print(f"GPU {p.name} sm_{p.major}{p.minor}, {p.multi_processor_count} SMs: CUDA kernel loaded, render = CPU render (max diff {error:.1e})")
'
    gpu_ok=$?
    row gpu "$STAGE_STATUS" "${STAGE_SECONDS}s" "$(grep -m1 '^GPU ' "$OUT/gpu.log" 2>/dev/null || tail -n 1 "$OUT/gpu.log" 2>/dev/null)"
else
    gpu_ok=1
    row gpu "skipped (no build)" - -
fi

if [ $gpu_ok -eq 0 ]; then
    # ------------------------------------------------------------ 4. tests
    run_stage tests 300 "$PY" -m pytest -q -p no:cacheprovider tests/renderer/test_cuda*.py tests/training/test_train_cuda.py tests/voxel/test_voxelize_batch.py -k "cuda and not emulat"
    row "CUDA tests" "$STAGE_STATUS" "${STAGE_SECONDS}s" "$(grep -E '[0-9]+ (passed|failed)' "$OUT/tests.log" | tail -n 1)"

    # ------------------------------------------------------------ 5. rasterizer benchmark
    run_stage rasterize 300 "$PY" benchmarks/bench_rasterize.py --quick --impls cpu cuda
    row "bench_rasterize" "$STAGE_STATUS" "${STAGE_SECONDS}s" "tables in rasterize.log (jrender loads: see below)"

    # ------------------------------------------------------------ 6. data
    run_stage data 300 "$PY" scripts/make_synthetic_dataset.py --no-progress
    row "synthetic data" "$STAGE_STATUS" "${STAGE_SECONDS}s" "data/generated/synthetic"

    # ------------------------------------------------------------ 7. training
    RUN="$OUT/paper_silhouette_run"
    run_stage train 360 "$PY" benchmarks/bench_training.py --presets paper_silhouette --iterations 500 --warmup 5 --run-dir "$RUN"
    trained=$?
    row "train 500 it, paper_silhouette" "$STAGE_STATUS" "${STAGE_SECONDS}s" "$(grep -m1 '^| paper_silhouette' "$OUT/train.log" | awk -F'|' '{gsub(/ /,"",$7); gsub(/ /,"",$9); gsub(/ /,"",$10); gsub(/ /,"",$11); printf "%s it/s; data %s, network %s, renderer + losses %s", $7, $9, $10, $11}')"

    # ------------------------------------------------------------ 8. evaluation
    if [ $trained -eq 0 ]; then
        run_stage eval 300 "$PY" eval.py ckpt_path="$RUN" progress=false paths.run_dir="$OUT/eval"
        mean="$("$PY" -c "import json; print(round(json.load(open('$OUT/eval/metrics.json'))['mean'], 4))" 2>/dev/null || echo '-')"
        row "eval of that run" "$STAGE_STATUS" "${STAGE_SECONDS}s" "mean voxel IoU $mean (val split, 500 iterations only)"
    else
        row "eval of that run" "skipped (no run)" - -
    fi

    # ------------------------------------------------------------ 9. voxelizer benchmark
    run_stage voxelize 180 "$PY" benchmarks/bench_voxelize.py --repeats 3
    row "bench_voxelize" "$STAGE_STATUS" "${STAGE_SECONDS}s" "$(grep -m1 '| cuda |' "$OUT/voxelize.log" | awk -F'|' '{gsub(/^ +| +$/,"",$4); gsub(/^ +| +$/,"",$6); printf "GPU %s ms/mesh (%s vs voxelize)", $4, $6}')"
fi

# ---------------------------------------------------------------- summary
TOTAL=$(( $(date +%s) - START ))
{
    echo "# gpu_check: $gpu_name (sm_${compute_cap/./}, driver $driver, $memory), $(date -u +%Y-%m-%dT%H:%MZ), ${TOTAL}s in all, $MODE"
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
echo "gpu_check: summary written to $OUT/summary.md (stage logs beside it)"
echo
cat "$OUT/summary.md"
exit $FAILED
