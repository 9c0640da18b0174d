#!/usr/bin/env bash
# One command from a fresh checkout: install (the tested versions of constraints.txt,
# torch first), build the kernels, generate the embedded synthetic dataset on first use,
# train the quick CPU preset and evaluate it. Extra arguments go to softrecon-train as
# Hydra overrides, e.g.
#   bash scripts/quickstart.sh trainer.iterations=500
# The last line printed is the path of the evaluation JSON.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install -c constraints.txt --upgrade setuptools wheel  # --no-build-isolation builds with these
python -m pip install -c constraints.txt torch
python -m pip install -c constraints.txt --no-build-isolation -e ".[dev]"

train_log=$(mktemp)
trap 'rm -f "$train_log"' EXIT
softrecon-train "$@" | tee "$train_log"
run_dir=$(tail -n 1 "$train_log")
softrecon-eval ckpt_path="$run_dir"
