"""Configs stored by older versions (in checkpoints, ``config.yaml``), mapped to the current layout.

A checkpoint stores the resolved config of its run (``Trainer.state_dict``). When a key
moves to another group, the stored configs of older checkpoints keep the old place;
when a version adds a group, older configs lack it. ``upgrade_stored_config`` moves the
moved keys and adds each added group with the value that says what the older code did,
so that resuming, evaluating and comparing an old run read the same values as a new one.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, Tuple

# (old group, key) -> (new group, key): moved keys, oldest first.
MOVED_KEYS: Dict[Tuple[str, str], Tuple[str, str]] = {
    # The lr / sigma schedule left the trainer group for a group of its own.
    ("trainer", "decay_at"): ("schedule", "decay_at"),
    ("trainer", "decay_factor"): ("schedule", "decay_factor"),
}

# group -> its value in configs stored before the group existed (what that code did).
ADDED_GROUPS: Dict[str, Dict[str, Any]] = {
    # The loop's callbacks were a fixed list before the callbacks group named them.
    "callbacks": {"enabled": ["progress_bar", "scalars", "images", "meshes", "validation", "record", "checkpoint"]},
}

# Only a training config (one holding a ``trainer`` group, as every stored one does) gets
# the added groups; the upgrade leaves other configs (evaluation's) as they are.
_TRAINING_CONFIG_KEY = "trainer"


def upgrade_stored_config(config: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of a stored config with every key of ``MOVED_KEYS`` at its new place and,
    for a training config, each group of ``ADDED_GROUPS`` it lacks.

    A key already present at the new place wins (a config that holds both was written
    by the current version); the input is not modified.

    Args:
        config: a plain nested dict, as ``OmegaConf.to_container`` stores it.

    Returns:
        The upgraded copy (the input itself when nothing changes).
    """
    moved = any(isinstance(config.get(group), dict) and key in config[group] for group, key in MOVED_KEYS)
    training = isinstance(config.get(_TRAINING_CONFIG_KEY), dict)
    if not moved and not (training and any(group not in config for group in ADDED_GROUPS)):
        return config
    config = copy.deepcopy(config)
    if training:
        for group, value in ADDED_GROUPS.items():
            config.setdefault(group, copy.deepcopy(value))
    for (old_group, old_key), (new_group, new_key) in MOVED_KEYS.items():
        old = config.get(old_group)
        if isinstance(old, dict) and old_key in old:
            value = old.pop(old_key)
            config.setdefault(new_group, {}).setdefault(new_key, value)
    return config
