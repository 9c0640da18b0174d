"""How two configs of one run differ, setting by setting.

A run folder's saved config (``config.yaml``) and the config stored in each of its
checkpoints say what every iteration of the run was trained with. Two readers compare
them with a config composed now: ``Trainer`` before it resumes (``softrecon.training.
assemble.check_resume_config``: a resume with other settings is refused) and the tables'
drift check (``softrecon.experiments.drift.config_drift``). Both compare plain nested
dicts, never resolving anything in a stored config: it is data.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

# Config keys that say where a run is and how it reports (logging, the loop's callbacks),
# not what it trains: a run folder or its data folder may move, and a run may be resumed
# on another device, without the run changing.
PLACE_KEYS = (
    "task_name",
    "paths",
    "logging",
    "callbacks",
    "resume",
    "ckpt_path",
    "data.root",
    "trainer.device",
    "trainer.profile",
)


def leaves(config: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """A nested config as {dotted key: value} (lists are values)."""
    found = {}
    for key, value in config.items():
        if isinstance(value, Mapping):
            found.update(leaves(value, f"{prefix}{key}."))
        else:
            found[f"{prefix}{key}"] = value
    return found


def _ignored(key: str, ignore: Sequence[str]) -> bool:
    return any(key == prefix or key.startswith(prefix + ".") for prefix in ignore)


def config_differences(old: Mapping[str, Any], new: Mapping[str, Any], ignore: Sequence[str] = PLACE_KEYS) -> List[str]:
    """The settings of ``old`` that ``new`` gives another value.

    Args:
        old: a run's stored config, a plain nested dict (in the current layout:
            ``softrecon.config.legacy.upgrade_stored_config``).
        new: the config to compare with, a plain nested dict (resolved).
        ignore: dotted keys (and the keys under them) that are not compared.

    Returns:
        ``'key: old -> new'`` for each setting present in both that differs, in key
        order; a key present on one side only (a setting a later version added or
        removed) is not a difference.
    """
    before, after = leaves(old), leaves(new)
    return [
        f"{key}: {before[key]!r} -> {after[key]!r}"
        for key in sorted(before.keys() & after.keys())
        if not _ignored(key, ignore) and before[key] != after[key]
    ]
