"""Compose the project's configs without ``@hydra.main`` (tests, notebooks, scripts)."""

from __future__ import annotations

import os
from typing import Sequence

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from . import resolvers, schema  # noqa: F401  (registers the resolvers and schemas)

# configs/ at the root of the repository (this file is softrecon/config/compose.py).
CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "configs")


def compose_config(
    config_name: str = "train", overrides: Sequence[str] = (), return_hydra_config: bool = False
) -> DictConfig:
    """The config ``configs/<config_name>.yaml`` with command-line style ``overrides``.

    Raises:
        ValueError: configs/ is not next to the package (a non-editable install).
        hydra.errors.ConfigCompositionException (and OmegaConf errors): an unknown key,
            a value of the wrong type, a missing group option.
    """
    if not os.path.isdir(CONFIG_DIR):
        raise ValueError(
            f"config folder {CONFIG_DIR!r} not found: install the repository in editable mode (pip install -e .)"
        )
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(config_name=config_name, overrides=list(overrides), return_hydra_config=return_hydra_config)
