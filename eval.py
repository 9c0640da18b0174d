"""Evaluate a trained model: ``python eval.py ckpt_path=<checkpoint or run folder>``.

A thin Hydra wrapper around ``softrecon.evaluation.evaluate(cfg)``; the last line it
prints is the path of metrics.json.
"""

import logging

import hydra
from omegaconf import DictConfig

import softrecon.config  # noqa: F401  (registers the config schemas in Hydra's ConfigStore)
from softrecon.dataset_builders.run_data import ensure_run_data
from softrecon.evaluation import evaluate


@hydra.main(version_base="1.3", config_path="configs", config_name="eval")
def main(cfg: DictConfig) -> None:
    logging.captureWarnings(True)  # warnings also go to Hydra's log file in the run folder
    ensure_run_data(cfg.data)  # the embedded synthetic dataset, made on first use
    evaluate(cfg)


if __name__ == "__main__":
    main()
