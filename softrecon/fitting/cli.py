"""The shared tail of the fitting scripts: run a command body in Hydra's run folder,
turn a bad input into one line on stderr and exit status 2, print the metrics path last.
"""

from __future__ import annotations

import sys
from typing import Callable

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

# Exit status of a run stopped by a bad input (as argparse's usage errors).
BAD_INPUT_STATUS = 2


def run_command(name: str, body: Callable[[DictConfig, str], str], cfg: DictConfig) -> None:
    """Call ``body(cfg, run_dir)`` and print the path it returns as the last stdout line.

    A mandatory option left unset (``???`` in the YAML) or a ValueError from ``body``
    ends the process with one line on stderr and exit status ``BAD_INPUT_STATUS``.

    Args:
        name: the command's name, for error messages.
        body: the command body; returns the metrics JSON path, raises ValueError on
            bad input (``MeshLoadError`` included).
        cfg: the composed config.
    """
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        print(
            f"{name}: error: missing mandatory option(s) {', '.join(missing)} (give them as key=value)", file=sys.stderr
        )
        sys.exit(BAD_INPUT_STATUS)
    try:
        metrics_path = body(cfg, HydraConfig.get().runtime.output_dir)
    except ValueError as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        sys.exit(BAD_INPUT_STATUS)
    print(metrics_path, flush=True)
