#!/usr/bin/env bash
# One command from a fresh checkout: install (the tested versions of constraints.txt,
# torch first), build the kernels, generate the embedded synthetic dataset on first use,
# train the quick CPU preset and evaluate it. Extra arguments go to softrecon-train as
# Hydra overrides, e.g.
#   bash scripts/quickstart.sh trainer.iterations=500
# It ends by exporting the trained model as one file (<run dir>/model.pt) and printing
# how to reconstruct pictures and open the demo page with it (docs/RECONSTRUCT.md).
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
softrecon-eval ckpt_path="$run_dir" | tee "$train_log"
eval_json=$(tail -n 1 "$train_log")

model_file=$(softrecon-export-model "$run_dir" -o "$run_dir/model.pt" | tail -n 1)
cat <<EOF

Your model: $model_file
  reconstruct pictures:  softrecon-reconstruct $model_file picture.png more_pictures/ -o meshes/
  try it in a browser:   pip install -e ".[demo]" && softrecon-demo $model_file
  (what a picture must look like, and what comes out: docs/RECONSTRUCT.md)

EOF
echo "$eval_json"
