"""Refuse config keys that no schema declares, appended ones (``+key=value``) included.

The schemas (``schema.py``) put every config in struct mode, so ``trainer.iteration=5``
fails at composition. Hydra's append syntax ``+trainer.iteration=5`` (the fix Hydra
itself suggests for that typo) bypasses struct mode and adds the key, which nothing
reads: the run would go on as if it were not there. ``unknown_keys`` walks a composed
config and lists every key of a schema-typed node (a dataclass) that the dataclass does
not declare, with the declared names closest to it (``difflib``); ``refuse_unknown_keys``
raises on them. It runs where a config is composed: ``compose_config``, the commands'
Hydra callback ``RefuseUnknownKeys`` (``configs/hydra/default.yaml``: before the run
folder is made), and the start-up checks of ``train`` and ``evaluate``.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
from typing import Any, List, Tuple

from hydra.errors import ConfigCompositionException
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

HYDRA_KEY = "hydra"  # Hydra's own node, typed by Hydra's schema, not ours


class UnknownConfigKeyError(ConfigCompositionException, ValueError):
    """A composed config holds keys its schema does not declare (the message names each,
    with the closest declared names). Hydra prints the message alone, without a traceback."""


def _declared(node: DictConfig) -> Tuple[str, ...]:
    """The keys the node's schema declares, or () when the node has no dataclass schema."""
    kind = OmegaConf.get_type(node)
    if kind is None or not dataclasses.is_dataclass(kind):
        return ()
    return tuple(f.name for f in dataclasses.fields(kind))


def unknown_keys(cfg: DictConfig, prefix: str = "") -> List[Tuple[str, List[str], str]]:
    """(dotted key, close declared names, schema name) for every key no schema declares.

    Only nodes typed by a dataclass are checked (every group of the project's configs
    is; a plain dict node, e.g. ``None``-typed values, is left alone). The ``hydra`` node
    at the top is Hydra's.
    """
    found: List[Tuple[str, List[str], str]] = []
    declared = _declared(cfg)
    for key in cfg.keys():
        key = str(key)
        if not prefix and key == HYDRA_KEY:
            continue
        dotted = f"{prefix}{key}"
        if declared and key not in declared:
            close = difflib.get_close_matches(key, declared, n=3, cutoff=0.6)
            found.append((dotted, close, OmegaConf.get_type(cfg).__name__))
            continue
        value = cfg._get_node(key)
        if isinstance(value, DictConfig) and not value._is_none() and not value._is_missing():
            found += unknown_keys(value, dotted + ".")
    return found


def describe_unknown_keys(found: List[Tuple[str, List[str], str]]) -> str:
    """One line per unknown key, e.g.
    ``  trainer.iteration: TrainerConfig has no such key; did you mean trainer.iterations?``"""
    lines = []
    for dotted, close, schema in found:
        parent = dotted.rsplit(".", 1)[0] + "." if "." in dotted else ""
        hint = f"; did you mean {' or '.join(parent + name for name in close)}?" if close else ""
        lines.append(f"  {dotted}: {schema} has no such key{hint}")
    return "\n".join(lines)


def refuse_unknown_keys(cfg: Any) -> None:
    """Raise ``UnknownConfigKeyError`` if ``cfg`` holds keys no schema declares.

    Raises:
        UnknownConfigKeyError: naming each key and the declared names closest to it.
    """
    if not isinstance(cfg, DictConfig):
        return
    found = unknown_keys(cfg)
    if found:
        raise UnknownConfigKeyError(
            "unknown config key(s), refused:\n"
            + describe_unknown_keys(found)
            + "\n(a key set with '+key=value' must be one its schema declares: softrecon/config/schema.py, "
            "softrecon/fitting/config.py)"
        )


class RefuseUnknownKeys(Callback):
    """Hydra callback (``hydra.callbacks`` of the commands' configs): refuses unknown keys
    right after composition, before a run folder is made (single runs) or a sweep starts,
    and again for each job of a sweep (its own overrides).

    Hydra turns an exception raised by a callback into a warning and carries on, so the
    refusal is a ``SystemExit`` (status 2, as argparse's usage errors) with the message
    on stderr, which Hydra lets through.
    """

    @staticmethod
    def _refuse(config: DictConfig) -> None:
        try:
            refuse_unknown_keys(config)
        except UnknownConfigKeyError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            raise SystemExit(2) from None

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._refuse(config)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._refuse(config)

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._refuse(config)
