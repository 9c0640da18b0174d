#!/usr/bin/env bash
# The package as a user gets it: build a wheel of this checkout (compiles the kernels),
# check that it holds the configs, the realcad class mapping and
# the compiled extension, install it (not editable) into the active environment, and from
# an empty folder elsewhere run the README's build check, `softrecon-train
# trainer.iterations=50` (building the synthetic dataset there first) and `softrecon-eval` on that run. torch and the dependencies must be installed
# already (the set-up of .ci/run); the editable install, if any, is replaced.
#   bash scripts/check_package.sh [extra softrecon-train overrides]
# DATA_DIR=<folder> uses the datasets there (paths.data_dir) instead of building them.
# Prints "package check passed" last; any failing step stops it with its output.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python -m pip wheel -q --no-build-isolation --no-deps -w "$work/dist" .
wheel=$(ls "$work"/dist/softrecon-*.whl)
echo "built $(basename "$wheel")"
python - "$wheel" <<'PY'
import sys
import zipfile

names = zipfile.ZipFile(sys.argv[1]).namelist()
needed = [
    "softrecon/configs/train.yaml",
    "softrecon/configs/eval.yaml",
    "softrecon/configs/experiment/quick_cpu.yaml",
    "softrecon/configs/hydra/help/train.yaml",
    "softrecon/configs/hydra/sweeper/optuna_val_iou.yaml",
    "softrecon/dataset_builders/realcad/classes.csv",
    "softrecon/cli/train.py",
]
missing = [n for n in needed if n not in names]
if not any(n.startswith("softrecon/_C") and n.endswith(".so") for n in names):
    missing.append("softrecon/_C*.so")
if not any(n.endswith("entry_points.txt") for n in names):
    missing.append("entry_points.txt")
if missing:
    sys.exit(f"the wheel lacks {missing}")
print(f"the wheel holds the configs, classes.csv, the extension and the commands ({len(names)} files)")
PY

python -m pip install -q --no-deps --force-reinstall "$wheel"
cd "$work"
mkdir elsewhere && cd elsewhere
python -c "import softrecon, os; assert 'site-packages' in softrecon.__file__, softrecon.__file__; print('softrecon', softrecon.__version__, 'from', os.path.dirname(softrecon.__file__))"
python -c "import softrecon._C as c; print(c.with_cuda)"
softrecon --version
# --help to a file first: a reader that stops early (head, grep -q) can close the pipe before
# the last write, and under pipefail that failed the check by chance.
softrecon-train --help > "$work/help.txt"
[[ $(head -n 1 "$work/help.txt") == "softrecon-train: "* ]]
data=()
if [ -n "${DATA_DIR:-}" ]; then data=("paths.data_dir=$DATA_DIR"); fi
train_log="$work/train.log"
softrecon-train trainer.iterations=50 logging.progress=false "${data[@]}" "$@" | tee "$train_log"
run_dir=$(tail -n 1 "$train_log")
test -f "$run_dir/checkpoints/step_000000050.pt"
grep -q "^trained to iteration 50 " "$train_log"
softrecon-eval ckpt_path="$run_dir" max_objects=2 progress=false "${data[@]}" | tail -n 1 | xargs test -f
echo "package check passed"
