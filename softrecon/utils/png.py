"""Writing a PNG atomically: encoded in memory, then written to a temporary file in the
target folder and moved into place (``softrecon.utils.atomic``), so a reader never sees
half a picture."""

from __future__ import annotations

import os
from typing import Union

import numpy as np

from .atomic import atomic_write


def save_png(path: Union[str, "os.PathLike[str]"], image: np.ndarray) -> str:
    """Write ``image`` as a PNG at ``path``, atomically; returns the path (a str).

    Args:
        path: the file to write (its folder must exist); an existing file is replaced.
        image: (H, W) grey or (H, W, C) with C in 1..4 (grey, grey + alpha, RGB, RGBA),
            uint8 (or uint16), as imageio writes it.
    """
    import imageio.v3 as iio

    data = iio.imwrite("<bytes>", image, extension=".png")
    path = os.fspath(path)
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    return path
