"""Compose the project's configs without ``@hydra.main`` (tests, notebooks, scripts)."""

from __future__ import annotations

import os
from typing import Sequence

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from . import resolvers, schema  # noqa: F401  (registers the resolvers and schemas)
from .strict import refuse_unknown_keys

# The configs ship inside the package (softrecon/configs/; the repository's top-level
# configs/ is a link to it), so an installed softrecon composes them from any folder.
CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs")


def compose_config(
    config_name: str = "train", overrides: Sequence[str] = (), return_hydra_config: bool = False
) -> DictConfig:
    """The config ``configs/<config_name>.yaml`` with command-line style ``overrides``.

    Raises:
        ValueError: the package's configs/ folder is missing (a broken install).
        hydra.errors.ConfigCompositionException (and OmegaConf errors): an unknown key
            (``+key=value`` appended ones too: ``strict.UnknownConfigKeyError``), a value
            of the wrong type, a missing group option.
    """
    if not os.path.isdir(CONFIG_DIR):
        raise ValueError(
            f"config folder {CONFIG_DIR!r} not found: the installed softrecon package is incomplete (reinstall it)"
        )
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=list(overrides), return_hydra_config=return_hydra_config)
    refuse_unknown_keys(cfg)
    return cfg
