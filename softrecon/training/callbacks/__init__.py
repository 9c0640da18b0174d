"""The training loop's callbacks (Lightning's picture without its library): logging
(``logs``) and keeping the run (``checkpointing``).

Which callbacks a run has, and in which order they act on an iteration, is data: the
``callbacks`` config group (``configs/callbacks/``) lists names of ``CALLBACKS``, and
``build_callbacks`` makes them. A new callback is a class here plus an entry in
``CALLBACKS``; a config that names an unknown one fails at start-up (``check_callbacks``).
"""

from __future__ import annotations

import difflib
from typing import Callable, Dict, List, Sequence

from omegaconf import DictConfig

from softrecon.rundir.logger import RunLogger

from .base import Callback
from .checkpointing import Checkpointing, Validation
from .logs import ImageLog, MeshLog, ProgressBar, RunRecord, ScalarLog

# name -> factory(cfg, logger, is_main): each callback built from the run's config.
CallbackFactory = Callable[[DictConfig, RunLogger, bool], Callback]
CALLBACKS: Dict[str, CallbackFactory] = {
    "progress_bar": lambda cfg, logger, is_main: ProgressBar(
        int(cfg.trainer.iterations), int(cfg.trainer.log_every), is_main and bool(cfg.logging.progress)
    ),
    "scalars": lambda cfg, logger, is_main: ScalarLog(
        logger, int(cfg.trainer.log_every), int(cfg.trainer.iterations), int(cfg.data.batch_size)
    ),
    "images": lambda cfg, logger, is_main: ImageLog(logger, int(cfg.trainer.image_every), int(cfg.trainer.iterations)),
    "meshes": lambda cfg, logger, is_main: MeshLog(
        logger, int(cfg.trainer.mesh_every), int(cfg.logging.mesh_samples), int(cfg.trainer.iterations)
    ),
    "validation": lambda cfg, logger, is_main: Validation(
        logger, int(cfg.trainer.val_every), int(cfg.trainer.iterations), is_main
    ),
    "record": lambda cfg, logger, is_main: RunRecord(logger, cfg),
    "checkpoint": lambda cfg, logger, is_main: Checkpointing(
        cfg, int(cfg.trainer.checkpoint_every), int(cfg.trainer.iterations), is_main
    ),
}
# The one that must act last on an iteration: it saves the state after everything else.
LAST = "checkpoint"


def check_callbacks(names: Sequence[str]) -> None:
    """Raise ValueError for a list of callback names (``callbacks.enabled``) that names an
    unknown callback (with the closest known names), one twice, or the checkpoint
    anywhere but last."""
    names = [str(name) for name in names]
    for name in names:
        if name not in CALLBACKS:
            close = difflib.get_close_matches(name, list(CALLBACKS), n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise ValueError(f"callbacks.enabled: unknown callback {name!r}{hint} (known: {', '.join(CALLBACKS)})")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"callbacks.enabled names {', '.join(repeated)} more than once: {names}")
    if LAST in names and names[-1] != LAST:
        raise ValueError(f"callbacks.enabled: {LAST!r} must come last (it saves what the others did), got {names}")


def build_callbacks(cfg: DictConfig, logger: RunLogger, is_main: bool) -> List[Callback]:
    """The callbacks that ``cfg.callbacks.enabled`` names, in its order (the order they act
    on an iteration; ``configs/callbacks/default.yaml``: progress bar, scalars, images,
    meshes, validation, the run's record, then the checkpoint)."""
    names = list(cfg.callbacks.enabled)
    check_callbacks(names)
    return [CALLBACKS[str(name)](cfg, logger, is_main) for name in names]


__all__ = [
    "CALLBACKS",
    "Callback",
    "Checkpointing",
    "ImageLog",
    "MeshLog",
    "ProgressBar",
    "RunRecord",
    "ScalarLog",
    "Validation",
    "build_callbacks",
    "check_callbacks",
]
