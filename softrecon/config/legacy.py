"""Configs stored by older versions (in checkpoints), mapped to the current layout.

A checkpoint stores the resolved config of its run (``Trainer.state_dict``). When a key
moves to another group, the stored configs of older checkpoints keep the old place;
``upgrade_stored_config`` moves them, so that resuming and evaluating an old checkpoint
read the same values as a new one.
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


def upgrade_stored_config(config: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of a stored config with every key of ``MOVED_KEYS`` at its new place.

    A key already present at the new place wins (a config that holds both was written
    by the current version); the input is not modified.

    Args:
        config: a plain nested dict, as ``OmegaConf.to_container`` stores it.

    Returns:
        The upgraded copy (the input itself when nothing moves).
    """
    if not any(isinstance(config.get(group), dict) and key in config[group] for group, key in MOVED_KEYS):
        return config
    config = copy.deepcopy(config)
    for (old_group, old_key), (new_group, new_key) in MOVED_KEYS.items():
        old = config.get(old_group)
        if isinstance(old, dict) and old_key in old:
            value = old.pop(old_key)
            config.setdefault(new_group, {}).setdefault(new_key, value)
    return config
