"""Range checks of the composed configs, run at start-up (the schema checks only types):
every interval and count is validated before any data is read, so ``log_every=0`` fails
now with its name, not with a ZeroDivisionError after the first iteration."""

from __future__ import annotations

from typing import Iterable, Tuple

from omegaconf import DictConfig

from .strict import refuse_unknown_keys

# (key, smallest allowed value, what it means when 0 is allowed)
_TRAIN_MINIMUMS: Tuple[Tuple[str, int, str], ...] = (
    ("trainer.iterations", 0, ""),
    ("trainer.checkpoint_every", 1, ""),
    ("trainer.keep_checkpoints", 1, ""),
    ("trainer.log_every", 1, ""),
    ("trainer.image_every", 0, " (0: never)"),
    ("trainer.mesh_every", 0, " (0: never)"),
    ("trainer.val_every", 0, " (0: never)"),
    ("trainer.val_objects", 1, ""),
    ("trainer.num_threads", 0, " (0: torch's default)"),
    ("logging.mesh_samples", 0, " (0: none)"),
    ("data.image_size", 1, ""),
    ("data.batch_size", 1, ""),
    ("data.eval_batch_size", 1, ""),
)
_EVAL_MINIMUMS: Tuple[Tuple[str, int, str], ...] = (
    ("data.image_size", 1, ""),
    ("data.eval_batch_size", 1, ""),
)


def _select(cfg: DictConfig, key: str):
    node = cfg
    for part in key.split("."):
        node = node[part]
    return node


def _check_minimums(cfg: DictConfig, minimums: Iterable[Tuple[str, int, str]]) -> None:
    for key, minimum, note in minimums:
        value = _select(cfg, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{key} must be an int >= {minimum}{note}, got {value!r}")


def check_train_config(cfg: DictConfig) -> None:
    """Raise ValueError naming the first key of ``configs/train.yaml`` out of range, or
    the keys no schema declares (``strict.UnknownConfigKeyError``)."""
    refuse_unknown_keys(cfg)
    _check_minimums(cfg, _TRAIN_MINIMUMS)
    decay_at = list(cfg.schedule.decay_at)
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in decay_at):
        raise ValueError(f"schedule.decay_at must hold iterations >= 0, got {decay_at}")
    if not 0.0 < float(cfg.schedule.decay_factor):
        raise ValueError(f"schedule.decay_factor must be > 0, got {cfg.schedule.decay_factor}")
    if not 0.0 < float(cfg.optim.lr):
        raise ValueError(f"optim.lr must be > 0, got {cfg.optim.lr}")


def check_eval_config(cfg: DictConfig) -> None:
    """Raise ValueError naming the first key of ``configs/eval.yaml`` out of range, or
    the keys no schema declares (``strict.UnknownConfigKeyError``)."""
    refuse_unknown_keys(cfg)
    _check_minimums(cfg, _EVAL_MINIMUMS)
    if cfg.max_objects is not None and (isinstance(cfg.max_objects, bool) or cfg.max_objects < 1):
        raise ValueError(f"max_objects must be >= 1 or null, got {cfg.max_objects}")
    if not 0.0 < float(cfg.fscore_threshold):
        raise ValueError(f"fscore_threshold must be > 0, got {cfg.fscore_threshold}")
