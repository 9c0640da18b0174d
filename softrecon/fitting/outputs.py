"""What the fitting commands share: loading the target mesh, naming the renderer that
runs, and writing the metrics JSON.
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any, Dict, Optional, Tuple, Union

import torch

from softrecon.io import load_mesh, normalize_to_unit_box
from softrecon.io.errors import MeshLoadError
from softrecon.renderer import resolve_backend
from softrecon.utils.atomic import atomic_write

PathLike = Union[str, "os.PathLike[str]"]


def load_normalized_mesh(path: PathLike) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
    """Load a .obj/.ply mesh and normalize it to the benchmark's unit box.

    Args:
        path: the mesh file.

    Returns:
        vertices (V, 3) float32 (bounding-box centre at the origin, longest side 1),
        faces (F, 3) long, and the file's per-vertex colours (V, 3) float32 in [0, 1]
        (texture or material colours, as ``load_mesh`` reads them) or None.

    Raises:
        MeshLoadError (a ValueError) naming the file: missing, unreadable, no faces, NaN,
            degenerate (all vertices at one point, or no face of positive area).
    """
    mesh = load_mesh(path)
    try:
        vertices = normalize_to_unit_box(mesh.vertices[0].float())
    except ValueError as error:  # e.g. every vertex at one point
        raise MeshLoadError(path, str(error)) from None
    corners = vertices[mesh.faces[0]]  # (F, 3, 3)
    areas = torch.linalg.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]).norm(dim=-1)
    if not bool((areas > 0).any()):
        raise MeshLoadError(path, "degenerate mesh: no face has a positive area")
    colors = None if mesh.colors is None else mesh.colors[0].float()
    return vertices, mesh.faces[0], colors


def set_num_threads(num_threads: int) -> None:
    """Set torch's intra-op threads; 0 keeps torch's default (one per core).

    On a shared machine fewer threads can be much faster (docs/FITTING.md, "Notes").
    """
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 0:
        raise ValueError(f"num_threads must be an int >= 0 (0: torch's default), got {num_threads!r}")
    if num_threads > 0:
        torch.set_num_threads(num_threads)


def start_run(run_dir: str, num_threads: int) -> float:
    """The start of a fitting command's body: check that ``run_dir`` is an existing folder
    (ValueError otherwise), set torch's threads (``set_num_threads``); returns the start
    time (``time.perf_counter``) for the metrics' ``wall_time_s``."""
    started = time.perf_counter()
    if not os.path.isdir(run_dir):
        raise ValueError(f"run_dir {run_dir!r} is not an existing folder")
    set_num_threads(num_threads)
    return started


def renderer_backend(device: torch.device) -> str:
    """Which rasterizer ``soft_rasterize(..., backend='auto')`` runs on ``device``:
    'compiled <device type> kernel' or 'reference (dense PyTorch)'. Honours the
    ``SOFTRECON_BACKEND`` override the way ``soft_rasterize`` does."""
    if resolve_backend(device) == "reference":
        return "reference (dense PyTorch)"
    return f"compiled {device.type} kernel"


def _json_ready(value: Any) -> Any:
    """Floats that JSON cannot hold (NaN, inf) become None; containers recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def write_metrics(path: PathLike, metrics: Dict[str, Any]) -> str:
    """Write ``metrics`` as indented JSON, atomically; returns the absolute path."""
    path = os.path.abspath(os.fspath(path))
    with atomic_write(path, "w") as handle:
        json.dump(_json_ready(metrics), handle, indent=2, allow_nan=False)
        handle.write("\n")
    return path
