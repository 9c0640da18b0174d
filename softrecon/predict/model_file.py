"""Exported model files: one file that holds everything needed to use a trained model.

``softrecon-export-model RUN -o model.pt`` writes a dict of tensors and plain
builtins only (it loads with ``torch.load(weights_only=True)``; no pickled code runs):

=================== ==========================================================================
key                 value
=================== ==========================================================================
format              'softrecon-model'
format_version      FORMAT_VERSION (1)
model               {'config': the model's constructor arguments (``softrecon.models``
                    registry), 'weights': its state dict}
input               the image protocol: the framed image's side, the model's input side, the
                    channel layout (RGB premultiplied by alpha, then alpha; values 0..1,
                    channels first), the background
framing             ``Framing.to_dict()``: fill, centre, framed side, where they come from
camera              the benchmark camera the model was trained with (for rendering a
                    reconstruction from its input view): views, distance, elevation, azimuth
                    step, viewing half-angle
classes             [[class id, name], ...] of the training data
provenance          softrecon version, training commit (or 'unknown'), the commit it was
                    exported from, the checkpoint's iteration and file name, the export time
training_config     the run's resolved config (plain values; paths are the training machine's)
=================== ==========================================================================

``read_model_source(path)`` reads such a file, or makes the same dict from a training
checkpoint or run folder (measuring the framing on the run's training data).
"""

from __future__ import annotations

import datetime
import os
import warnings
from typing import Any, Dict, List, Optional

import numpy as np
import torch

import softrecon
from softrecon.datasets.classes import class_name
from softrecon.datasets.open import checkpoint_dataset
from softrecon.models import ModelConfigError, model_arguments
from softrecon.protocol import (
    ALPHA_CHANNEL,
    AZIMUTH_STEP,
    CAMERA_DISTANCE,
    ELEVATION,
    IMAGE_SIZE,
    NUM_VIEWS,
    RGB_CHANNELS,
    VIEWING_ANGLE,
)
from softrecon.rundir.checkpoint import CheckpointError, load_checkpoint
from softrecon.utils.atomic import atomic_write
from softrecon.utils.provenance import UNKNOWN, package_commit

from .framing import Framing, measure_framing, protocol_framing

MODEL_FORMAT = "softrecon-model"
FORMAT_VERSION = 1
REQUIRED_KEYS = ("format", "format_version", "model", "input", "framing", "camera", "classes", "provenance")
# Training views the framing is measured on: every view of up to this many objects,
# spread evenly over the training split (a few seconds of reading).
FRAMING_OBJECTS = 200
CHANNELS = ["red", "green", "blue", "alpha"]


class ModelFileError(ValueError):
    """A model file (or checkpoint) that cannot be used; the message names the file."""


def _measured_framing(checkpoint: Dict, data_root: Optional[str]):
    """(framing, dataset or None): measured on the run's training split, or the
    benchmark camera's framing (with a warning) when that data cannot be read."""
    config = checkpoint["config"]
    split = str(config.get("data", {}).get("train_split", "train"))
    try:
        dataset = checkpoint_dataset(checkpoint, split, data_root)
    except (FileNotFoundError, OSError, ValueError, KeyError) as error:
        warnings.warn(
            f"the run's training data cannot be read ({error}); the framing is the benchmark camera's instead of one "
            f"measured on the training images. Pass the data's folder (--data-root) to measure it"
        )
        return protocol_framing(IMAGE_SIZE), None
    if len(dataset) == 0:
        return protocol_framing(dataset.image_size), dataset
    chosen = np.unique(np.linspace(0, len(dataset) - 1, min(FRAMING_OBJECTS, len(dataset))).round().astype(int))
    masks = np.concatenate(
        [dataset.get_object_images_uint8(int(index))[:, ALPHA_CHANNEL] > 127 for index in chosen]
    )  # (objects * views, S, S)
    framing = measure_framing(
        masks, f"training views ({len(chosen)} objects x {dataset.num_views} views of split {split!r})"
    )
    return framing, dataset


def export_payload(
    checkpoint: Dict,
    data_root: Optional[str] = None,
    framing: Optional[Framing] = None,
    training_commit: Optional[str] = None,
) -> Dict[str, Any]:
    """The model-file dict (module docstring) of a training checkpoint.

    Args:
        checkpoint: a dict read by ``softrecon.rundir.load_checkpoint``.
        data_root: the training data's folder, if not the one the run stored.
        framing: use this framing instead of measuring it on the training data.
        training_commit: the commit the run was trained at, where the checkpoint does
            not record it.

    Raises:
        ModelFileError: the checkpoint has no model config or a config the model
            registry refuses.
    """
    path = checkpoint.get("path", "<checkpoint>")
    config = checkpoint.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise ModelFileError(f"checkpoint {path!r} has no stored model config: it was not written by train.py")
    try:
        arguments = model_arguments(config["model"])
    except ModelConfigError as error:
        raise ModelFileError(f"checkpoint {path!r}: {error}") from None
    dataset = None
    if framing is None:
        framing, dataset = _measured_framing(checkpoint, data_root)
    class_ids: List[str] = (
        list(dataset.class_ids) if dataset is not None else list(config["data"].get("class_ids") or [])
    )
    weights = {key: value.detach().cpu().contiguous().clone() for key, value in checkpoint["model"].items()}
    return {
        "format": MODEL_FORMAT,
        "format_version": FORMAT_VERSION,
        "model": {"config": arguments, "weights": weights},
        "input": {
            "framed_size": int(framing.image_size),
            "model_size": int(arguments.get("image_size", framing.image_size)),
            "channels": CHANNELS[:RGB_CHANNELS] + CHANNELS[ALPHA_CHANNEL:],
            "layout": "channels first (C, H, W), float in [0, 1]",
            "premultiplied": True,
            "background": "transparent black (RGB 0, alpha 0)",
        },
        "framing": framing.to_dict(),
        "camera": {
            "num_views": NUM_VIEWS,
            "distance": CAMERA_DISTANCE,
            "elevation": ELEVATION,
            "azimuth_step": AZIMUTH_STEP,
            "viewing_angle": VIEWING_ANGLE,
        },
        "classes": [[class_id, class_name(class_id)] for class_id in class_ids],
        "provenance": {
            "softrecon_version": softrecon.__version__,
            "training_commit": str(training_commit or checkpoint.get("commit") or UNKNOWN),
            "export_commit": package_commit(),
            "iteration": int(checkpoint.get("iteration", -1)),
            "checkpoint": os.path.basename(str(path)),
            "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        },
        "training_config": config,
    }


def save_model_file(path: str, payload: Dict[str, Any]) -> str:
    """Write ``payload`` to ``path`` atomically; returns the absolute path."""
    check_payload(payload, path)
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise ModelFileError(f"output folder {folder!r} does not exist")
    with atomic_write(path, "wb") as handle:
        torch.save(payload, handle)
    return path


def check_payload(payload: Any, path: str) -> None:
    """Raise ``ModelFileError`` (naming ``path``) unless ``payload`` is a model-file dict
    this version reads."""
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{path!r} is not a softrecon model file (no format {MODEL_FORMAT!r})")
    version = payload.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path!r} is model file format version {version!r}; this softrecon ({softrecon.__version__}) reads up to "
            f"{FORMAT_VERSION}: update softrecon"
        )
    missing = [key for key in REQUIRED_KEYS if key not in payload]
    if missing:
        raise ModelFileError(f"{path!r}: the model file lacks {missing}")
    model = payload["model"]
    if (
        not isinstance(model, dict)
        or not isinstance(model.get("config"), dict)
        or not isinstance(model.get("weights"), dict)
    ):
        raise ModelFileError(f"{path!r}: 'model' must hold a 'config' dict and a 'weights' dict")
    try:
        Framing.from_dict(payload["framing"])
    except ValueError as error:
        raise ModelFileError(f"{path!r}: {error}") from None


def read_model_source(
    path: str, map_location: Optional[torch.device] = None, data_root: Optional[str] = None
) -> Dict[str, Any]:
    """The model-file dict of ``path``: an exported model file, a training checkpoint or
    a run folder (its latest checkpoint, exported on the fly).

    Raises:
        ModelFileError: the path does not exist, or is neither.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError(
            f"model {path!r} does not exist (give a run folder, a checkpoint or an exported model file)"
        )
    if os.path.isfile(path):
        try:
            payload = torch.load(path, map_location=map_location or "cpu", weights_only=True)
        except Exception as error:  # noqa: BLE001 - any reading failure names the file
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ModelFileError(f"cannot read model file {path!r}: {reason}") from None
        if isinstance(payload, dict) and payload.get("format") == MODEL_FORMAT:
            check_payload(payload, path)
            return payload
    try:
        checkpoint = load_checkpoint(path, map_location=map_location)
    except CheckpointError as error:
        raise ModelFileError(f"{error} (nor is it an exported model file)") from None
    return export_payload(checkpoint, data_root=data_root)
