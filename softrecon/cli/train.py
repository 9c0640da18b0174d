"""``softrecon-train [overrides]``: train a single-view reconstruction model.

A thin Hydra entry around ``softrecon.training.train(cfg)`` (``train.py`` in a clone is
the same command); ``--help`` lists the config groups and presets, docs/TRAINING.md
explains them. It returns the last validation voxel IoU (mean over classes, a fraction)
to Hydra, so a sweeper (``-m hydra/sweeper=optuna_val_iou``) can maximize it; the last
line printed is the run folder.
"""

from __future__ import annotations

import logging
from typing import Optional

import hydra
from omegaconf import DictConfig

from softrecon.config import CONFIG_DIR
from softrecon.dataset_builders.run_data import ensure_run_data
from softrecon.training import train


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(cfg: DictConfig) -> Optional[float]:
    logging.captureWarnings(True)  # warnings also go to Hydra's log file in the run folder
    ensure_run_data(cfg.data)  # the embedded synthetic dataset, made on first use
    return train(cfg).val_iou


if __name__ == "__main__":
    main()
