"""Whether a run folder still is what its row makes now: its config (``config_drift``)
and its data (``data_identity``, ``data_mismatch``); which extra overrides reach both
training and evaluation (``shared_overrides``)."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence

from softrecon.datasets.fingerprint import dataset_fingerprint
from softrecon.rundir.config_diff import PLACE_KEYS, config_differences

# The config groups that train.py and eval.py both compose: an extra override (--override)
# of a key in them is given to both, so a row is scored on the data it was trained on.
SHARED_GROUPS = ("data", "paths")
# The data settings that decide which objects a run reads (train.py and eval.py must agree).
DATA_KEYS = ("root", "class_ids", "fmt")


def config_drift(trained: Mapping[str, Any], current: Mapping[str, Any]) -> List[str]:
    """What a row's run was trained with that the row's overrides no longer compose to.

    Args:
        trained: the run's saved config (a plain nested dict, upgraded to the current
            layout by ``softrecon.config.legacy.upgrade_stored_config``).
        current: the config the row's overrides compose to now, resolved.

    Returns:
        ``'key: trained -> now'`` for each setting present in both that differs, in key
        order; the keys of ``PLACE_KEYS`` and a key present on one side only (a setting a
        later version added or removed) are not differences.
    """
    return config_differences(trained, current, PLACE_KEYS)


def shared_overrides(extra_overrides: Sequence[str]) -> List[str]:
    """The overrides of ``extra_overrides`` whose key lies in a group both train.py and
    eval.py compose (``SHARED_GROUPS``): ``data.class_ids=[a,b]`` yes, ``trainer.iterations=5`` no."""
    shared = []
    for override in extra_overrides:
        key = override.split("=", 1)[0].lstrip("+~")
        if key.split(".", 1)[0] in SHARED_GROUPS:
            shared.append(override)
    return shared


def data_identity(data: Mapping[str, Any], cwd: str) -> Dict[str, Any]:
    """What a run's data is: its folder (absolute; a relative ``root`` is relative to
    ``cwd``, where train.py and eval.py run) and the fingerprint of its content
    (``softrecon.datasets.fingerprint``; None while the folder holds no dataset files).

    Args:
        data: a resolved ``data`` config (plain dict): ``root``, ``class_ids``, ``fmt``.
        cwd: the folder the commands run in.
    """
    root = os.path.normpath(os.path.join(cwd, os.path.expanduser(str(data["root"]))))
    class_ids = data.get("class_ids")
    return {
        "root": root,
        "fingerprint": dataset_fingerprint(
            root, None if class_ids is None else list(class_ids), data.get("fmt", "auto")
        ),
    }


def data_mismatch(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> Optional[str]:
    """How the data a result was computed on differs from the data of a run now, or None.

    Two fingerprints known and equal: the same data (moved or copied, perhaps); known
    and different: other content. Otherwise (a result recorded before fingerprints, a
    folder missing now) the folders themselves must be the same.
    """
    old, new = recorded.get("fingerprint"), current.get("fingerprint")
    if old and new:
        if old == new:
            return None
        return f"the content of the data differs (fingerprint {old[:12]} in {recorded.get('root')}, now {new[:12]} in {current.get('root')})"
    if recorded.get("root") == current.get("root"):
        return None
    return f"the data folder differs ({recorded.get('root')}, now {current.get('root')})"
