"""Config schemas (dataclasses registered in Hydra's ConfigStore) and helpers."""

from .compose import CONFIG_DIR, compose_config
from .resolvers import launch_id, register_resolvers
from .schema import (
    CallbacksConfig,
    DataConfig,
    EvalConfig,
    LoggingConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    PathsConfig,
    RendererConfig,
    ScheduleConfig,
    TrainConfig,
    TrainerConfig,
    register_configs,
)
from .strict import UnknownConfigKeyError, refuse_unknown_keys

__all__ = [
    "CallbacksConfig",
    "CONFIG_DIR",
    "compose_config",
    "DataConfig",
    "EvalConfig",
    "LoggingConfig",
    "LossConfig",
    "ModelConfig",
    "OptimConfig",
    "PathsConfig",
    "RendererConfig",
    "ScheduleConfig",
    "TrainConfig",
    "TrainerConfig",
    "UnknownConfigKeyError",
    "launch_id",
    "register_configs",
    "register_resolvers",
    "refuse_unknown_keys",
]
