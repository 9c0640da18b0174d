"""Train a single-view reconstruction model: ``python train.py [overrides]``.

A thin Hydra wrapper around ``softrecon.training.train(cfg)``; ``python train.py --help``
lists the config groups and presets, docs/TRAINING.md explains them.
"""

import logging

import hydra
from omegaconf import DictConfig

import softrecon.config  # noqa: F401  (registers the config schemas in Hydra's ConfigStore)
from softrecon.dataset_builders.run_data import ensure_run_data
from softrecon.training import train


@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg: DictConfig) -> None:
    logging.captureWarnings(True)  # warnings also go to Hydra's log file in the run folder
    ensure_run_data(cfg.data)  # the embedded synthetic dataset, made on first use
    train(cfg)


if __name__ == "__main__":
    main()
