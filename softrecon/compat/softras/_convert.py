"""Turning SoftRas-style arguments (lists, tuples, numpy arrays, tensors) into tensors,
and the device that numpy inputs and loaded files go to.

SoftRas sends every numpy input and every loaded file to the GPU (``.cuda()``); the
compat layer sends them to ``default_device()``: CUDA when available, else the CPU, so
the same script runs on both.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch


def default_device() -> torch.device:
    """Where numpy inputs and loaded meshes go: CUDA when available (as SoftRas), else the CPU."""
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def as_float_tensor(value, name: str, like: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``value`` (number, list, tuple, numpy array or tensor) as a floating tensor.

    With ``like``, the result has its dtype and device; otherwise a numpy array or list
    becomes float32 on ``default_device()`` (SoftRas' ``torch.from_numpy(x).float().cuda()``)
    and a floating tensor is kept as it is.
    """
    if isinstance(value, torch.Tensor):
        tensor = value
    else:
        try:
            tensor = torch.as_tensor(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be a number, a sequence of numbers, a numpy array or a tensor, got {value!r}"
            ) from None
        if like is None:
            tensor = tensor.to(dtype=torch.float32, device=default_device())
    if like is not None:
        return tensor.to(dtype=like.dtype, device=like.device)
    if not tensor.dtype.is_floating_point:
        tensor = tensor.to(torch.get_default_dtype())
    return tensor


def as_index_tensor(value, name: str) -> torch.Tensor:
    """Integer indices (numpy array or tensor) as a tensor; numpy goes to ``default_device()``
    as int32, SoftRas' face dtype."""
    if isinstance(value, np.ndarray):
        if not np.issubdtype(value.dtype, np.integer):
            raise ValueError(f"{name} must hold integer vertex indices, got dtype {value.dtype}")
        return torch.from_numpy(value.astype(np.int32)).to(default_device())
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a numpy array or a torch.Tensor, got {type(value).__name__}")
    if value.dtype.is_floating_point or value.dtype == torch.bool:
        raise ValueError(f"{name} must hold integer vertex indices, got {value.dtype}")
    return value
