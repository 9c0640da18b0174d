#!/usr/bin/env bash
# One command from a fresh checkout: install (pinned CPU torch first), build the kernels,
# generate the embedded synthetic dataset on first use, train the quick CPU preset and
# evaluate it. Extra arguments go to train.py as Hydra overrides, e.g.
#   bash scripts/quickstart.sh trainer.iterations=500
# The last line printed is the path of the evaluation JSON.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --upgrade setuptools wheel  # --no-build-isolation builds with these
python -m pip install torch==2.13.0
python -m pip install --no-build-isolation -e ".[dev]"

train_log=$(mktemp)
trap 'rm -f "$train_log"' EXIT
python train.py "$@" | tee "$train_log"
run_dir=$(tail -n 1 "$train_log")
python eval.py ckpt_path="$run_dir"
