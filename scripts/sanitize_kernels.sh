#!/usr/bin/env bash
# The kernels' memory and undefined behaviour checked without a GPU: the extension built
# with AddressSanitizer and UBSan, then the CUDA kernels' tests run against their host
# emulation (backend="cuda_emulated", in every build) and so through the same kernel source
# that nvcc compiles:
#
#   bash scripts/sanitize_kernels.sh [PYTEST ARGS...]   (default: tests/renderer/test_cuda*.py)
#
# On a copy of the checkout (git's tracked and unignored files) in SANITIZE_DIR (default:
# a temporary folder, removed afterwards unless SANITIZE_KEEP=1; the golden cases come
# along in tests/golden), so that the checkout's
# own build is left alone: the CPU build (no CUDA even on a GPU machine) with
#   CFLAGS="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all
#           -fno-omit-frame-pointer -g"   LDFLAGS="-fsanitize=address,undefined,float-cast-overflow"
# then pytest with libasan (and libstdc++) preloaded, python itself not being instrumented,
# and ASAN_OPTIONS=detect_leaks=0 (the interpreter's own allocations at exit are no
# finding). The first report stops the run; it is printed from its log file, and the exit
# status is non-zero.
# PYTHON (default python) must have torch and softrecon's dependencies; the C++ compiler is
# torch's (c++), GCC or Clang with its sanitizer runtimes (Debian: libasan8, libubsan1).
# docs/KERNELS.md has what a run showed; it is a manual check, not part of the default tests
# (the build alone takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PYTHON="${PYTHON:-python}"
CXX_BIN="${CXX:-c++}"
log() { echo "sanitize_kernels: $*"; }

SANITIZERS="address,undefined,float-cast-overflow"
asan="$("$CXX_BIN" -print-file-name=libasan.so)"
if [ ! -e "$asan" ]; then
    log "no AddressSanitizer runtime for $CXX_BIN ('$CXX_BIN -print-file-name=libasan.so' found none): install it (Debian: libasan8)" >&2
    exit 2
fi
asan="$(readlink -f "$asan")"
# libstdc++ preloaded too: python does not link it, and without it ASan's __cxa_throw
# interceptor finds no real __cxa_throw when the extension throws (a CHECK failure of
# the sanitizer, not a finding).
stdcxx="$(readlink -f "$("$CXX_BIN" -print-file-name=libstdc++.so)")"

if [ -n "${SANITIZE_DIR:-}" ]; then
    WORK="$SANITIZE_DIR"
else
    scratch="$(mktemp -d)"
    WORK="$scratch/softrecon"
    [ "${SANITIZE_KEEP:-0}" = 1 ] || trap 'rm -rf "$scratch"' EXIT
fi
mkdir -p "$WORK"
# The golden cases ship in tests/golden, so the copy below holds them.
git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$WORK"
rm -f "$WORK"/softrecon/_C*.so

start=$(date +%s)
log "building softrecon._C with -fsanitize=$SANITIZERS in $WORK"
(
    cd "$WORK"
    CUDA_VISIBLE_DEVICES="" FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-2}" \
        CFLAGS="-fsanitize=$SANITIZERS -fno-sanitize-recover=all -fno-omit-frame-pointer -g" \
        LDFLAGS="-fsanitize=$SANITIZERS" \
        "$PYTHON" setup.py -q build_ext --inplace >"$WORK/build.log" 2>&1
) || { tail -n 30 "$WORK/build.log" >&2; log "build FAILED (log above)" >&2; exit 1; }
lib="$(ls "$WORK"/softrecon/_C*.so)"
if ! nm -D "$lib" | grep __asan_report >/dev/null; then  # no -q: an early exit fails the pipe
    log "$lib has no AddressSanitizer instrumentation: CFLAGS did not reach the compiler" >&2
    exit 1
fi
log "built in $(( $(date +%s) - start )) s: $lib"

[ $# -gt 0 ] || set -- tests/renderer/test_cuda*.py
start=$(date +%s)
log "pytest $* (libasan preloaded: $asan)"
cd "$WORK"
# Reports go to files (pytest's capture would swallow a report that ends the process).
reports="$WORK/sanitizer-report"
rm -f "$reports".*
set +e
LD_PRELOAD="$asan $stdcxx" \
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:detect_odr_violation=0:log_path=$reports" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports" \
    PYTHONPATH="$WORK" \
    "$PYTHON" -m pytest -q -p no:cacheprovider "$@"
rc=$?
set -e
seconds=$(( $(date +%s) - start ))
if compgen -G "$reports.*" >/dev/null; then
    for report in "$reports".*; do
        echo "---- $report"
        head -n 60 "$report"
    done
    log "SANITIZER REPORT (above; pytest exit status $rc after $seconds s)"
    exit 1
fi
log "pytest exit status $rc after $seconds s, no sanitizer report"
exit $rc
