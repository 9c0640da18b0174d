"""Build a model from a config by name: only the project's own classes, never a path
read from a file.

A config (from the command line, or stored in a checkpoint) names its class with
``_target_``; that name is looked up in ``MODEL_CLASSES`` (never imported), the other
keys are validated against the schema ``softrecon.config.ModelConfig`` (unknown keys,
wrong types, interpolations and nested objects are refused), and the class is called
with them; a key the config leaves out takes the class's own default. Nothing in a checkpoint can make evaluation import or call other code.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from softrecon.config.schema import ModelConfig

from .reconstruction import ReconstructionModel

# The classes a config may name, keyed by their ``_target_`` string; a config without
# ``_target_`` builds DEFAULT_TARGET.
DEFAULT_TARGET = "softrecon.models.ReconstructionModel"
MODEL_CLASSES = {DEFAULT_TARGET: ReconstructionModel}
_HYDRA_KEYS = ("_target_", "_convert_")  # schema keys that are not constructor arguments


class ModelConfigError(ValueError):
    """A model config names an unknown class or does not match the schema."""


def _check_plain(value: Any, where: str) -> None:
    """Only numbers, strings without interpolations, and lists of them (no nested dicts)."""
    if isinstance(value, str):
        if "${" in value:
            raise ModelConfigError(
                f"model config: {where} is an interpolation {value!r}; only literal values are accepted"
            )
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            if isinstance(item, (list, tuple, dict)) or (isinstance(item, str) and "${" in item):
                raise ModelConfigError(f"model config: {where}[{index}] = {item!r} is not a plain number or string")
    elif value is not None and not isinstance(value, (bool, int, float)):
        raise ModelConfigError(f"model config: {where} = {value!r} is not a plain number, string or list")


def model_arguments(config: Mapping) -> Dict[str, Any]:
    """Validate ``config`` against the schema and return its values.

    Args:
        config: a plain dict (as stored in a checkpoint) or a resolved DictConfig.

    Returns:
        ``{"_target_": name, **arguments}``: the keys ``config`` gives (the schema has no
        values: a key left out takes the model class's default).

    Raises:
        ModelConfigError: not a mapping, an unknown ``_target_``, an unknown key, a
            value of the wrong type, an interpolation or a nested object.
    """
    if isinstance(config, DictConfig):
        config = OmegaConf.to_container(config, resolve=True)
    if not isinstance(config, Mapping):
        raise ModelConfigError(f"model config must be a mapping of the ModelConfig fields, got {type(config).__name__}")
    for key, value in config.items():
        _check_plain(value, str(key))
    target = config.get("_target_", DEFAULT_TARGET)
    if target not in MODEL_CLASSES:
        raise ModelConfigError(
            f"model config: _target_ {target!r} is not one of the known models {sorted(MODEL_CLASSES)}"
        )
    try:
        merged = OmegaConf.merge(OmegaConf.structured(ModelConfig), dict(config))
        left_out = set(OmegaConf.missing_keys(merged))
        values = {k: v for k, v in OmegaConf.to_container(merged, resolve=True).items() if k not in left_out}
    except OmegaConfBaseException as error:
        reason = str(error).splitlines()[0]
        raise ModelConfigError(
            f"model config does not match the schema softrecon.config.ModelConfig: {reason}"
        ) from None
    return {"_target_": target, **values}


def build_model(config: Mapping) -> ReconstructionModel:
    """The model described by ``config`` (see ``model_arguments``), on the CPU.

    Raises:
        ModelConfigError: see ``model_arguments``.
    """
    values = model_arguments(config)
    cls = MODEL_CLASSES[values["_target_"]]
    return cls(**{key: value for key, value in values.items() if key not in _HYDRA_KEYS})
