"""``softrecon-eval ckpt_path=<checkpoint or run folder>``: evaluate a trained model.

A thin Hydra entry around ``softrecon.evaluation.evaluate(cfg)`` (``eval.py`` in a clone
is the same command); the last line it prints is the path of metrics.json.
"""

from __future__ import annotations

import logging

import hydra
from omegaconf import DictConfig

from softrecon.config import CONFIG_DIR
from softrecon.dataset_builders.run_data import ensure_run_data
from softrecon.evaluation import evaluate


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="eval")
def main(cfg: DictConfig) -> None:
    logging.captureWarnings(True)  # warnings also go to Hydra's log file in the run folder
    ensure_run_data(cfg.data)  # the embedded synthetic dataset, made on first use
    evaluate(cfg)


if __name__ == "__main__":
    main()
