"""The network a checkpoint holds: rebuilt from its stored config, its weights loaded.

Shared by evaluation and the image-to-mesh application (``softrecon.predict``)."""

from __future__ import annotations

from typing import Dict

import torch

from softrecon.models import ModelConfigError, build_model

from .checkpoint import CheckpointError, load_weights


def model_from_checkpoint(checkpoint: Dict, device: torch.device) -> torch.nn.Module:
    """Rebuild the network from the config stored in a checkpoint and load its weights.

    Only the project's own model classes can be built (``softrecon.models.build_model``):
    the stored config is validated against the schema, never instantiated as it is.

    Args:
        checkpoint: a dict read by ``load_checkpoint``.
        device: where the model goes; it is returned in eval mode.

    Raises:
        CheckpointError: the checkpoint has no model config, names an unknown class,
            does not match the schema, or its weights do not fit (names the file).
    """
    path = checkpoint.get("path", "<checkpoint>")
    config = checkpoint.get("config")
    if not isinstance(config, dict) or "model" not in config:
        raise CheckpointError(
            f"checkpoint {path!r} has no stored model config ('config' -> 'model'); it was not written by softrecon's train.py"
        )
    try:
        model = build_model(config["model"])
    except ModelConfigError as error:
        raise CheckpointError(f"checkpoint {path!r}: {error}") from None
    load_weights(model, checkpoint["model"], path)
    return model.to(device).eval()
