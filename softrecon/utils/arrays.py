"""Converting user inputs (tensors, arrays, nested lists) to NumPy with named errors."""

from __future__ import annotations

import numpy as np
import torch


def as_numpy(value, name: str) -> np.ndarray:
    """``value`` as a NumPy array (a tensor is detached and copied to the CPU).

    Raises:
        ValueError naming ``name`` when ``value`` cannot be read as an array.
    """
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except Exception as error:  # noqa: BLE001 (rephrased with the argument name)
        raise ValueError(f"{name} must be an array or tensor, got {type(value).__name__}: {error}") from None
