"""Colour error of the colour-supervised model on held-out views.

For each (object, input view v) the predicted textured mesh is rendered at the views
v + 6, v + 12 and v + 18 (mod the number of views: a quarter turn, the opposite side, a
three-quarter turn, never the input view) with the training renderer's settings, and
compared with the ground-truth images of those views: mean absolute RGB error over all
pixels (black background in both), averaged over the held-out views. Geometry errors
show in it too (a pixel the mesh does not cover compares black with the object's
colour), as in any image-space colour metric.

Shape symbols: N batch, V vertices, F faces, T texels per face, K held-out views, S side.
"""

from __future__ import annotations

from typing import Dict, Sequence

import torch

from softrecon.config.schema import RendererConfig
from softrecon.renderer.cameras import benchmark_camera
from softrecon.renderer.settings import RasterSettings
from softrecon.renderer.soft_renderer import SoftRenderer
from softrecon.structures.mesh import Mesh

# Offsets (in views) of the held-out views from the input view.
HELD_OUT_OFFSETS = (6, 12, 18)
_SCHEMA_KEYS = set(RendererConfig.__dataclass_fields__) - {"_target_"}


def renderer_from_config(renderer_config: Dict, image_size: int) -> SoftRenderer:
    """An unlit ``SoftRenderer`` with a checkpoint's stored renderer settings.

    Only the schema's fields are read (``RendererConfig``), into ``RasterSettings``
    directly: nothing in the file names code to run.

    Raises:
        ValueError: a key the schema does not know (named).
    """
    unknown = sorted(set(renderer_config) - _SCHEMA_KEYS - {"_target_"})
    if unknown:
        raise ValueError(f"renderer config has keys the schema RendererConfig does not know: {unknown}")
    values = {key: value for key, value in renderer_config.items() if key in _SCHEMA_KEYS}
    values["image_size"] = image_size
    return SoftRenderer(RasterSettings(**values), lighting=None)


@torch.no_grad()
def held_out_color_error(
    renderer: SoftRenderer,
    vertices: torch.Tensor,
    faces: torch.Tensor,
    textures: torch.Tensor,
    dataset,
    object_index: Sequence[int],
    view_index: Sequence[int],
    offsets: Sequence[int] = HELD_OUT_OFFSETS,
) -> torch.Tensor:
    """Mean absolute RGB error of each predicted mesh on its held-out views.

    Args:
        renderer: renders at the dataset's image size (``renderer_from_config``).
        vertices: (N, V, 3) float, object frame.
        faces: (F, 3) long.
        textures: (N, F, T, 3) float surface textures.
        dataset: a ``MultiViewDataset`` (``get_images``, ``num_views``).
        object_index, view_index: (N,) the object and the input view of each mesh.
        offsets: the K held-out view offsets.

    Returns:
        (N,) float errors in [0, 1] on the CPU.
    """
    num_views = dataset.num_views
    views = (torch.as_tensor(list(view_index))[:, None] + torch.as_tensor(list(offsets))[None]) % num_views  # (N, K)
    targets = torch.stack(
        [dataset.get_images(int(obj), row) for obj, row in zip(object_index, views)]
    )  # (N, K, 4, S, S)
    count, k = views.shape
    size = renderer.settings.height
    if targets.shape[-1] != size:
        raise ValueError(
            f"the renderer draws {size} x {size} images but the dataset's are {targets.shape[-1]} x {targets.shape[-1]}"
        )
    device = vertices.device
    meshes = Mesh(
        vertices.repeat_interleave(k, dim=0),
        faces,
        textures.repeat_interleave(k, dim=0),
        "texture",
        validate=False,
    )
    rgba = renderer(
        meshes, benchmark_camera(views.flatten().to(device), dtype=vertices.dtype, device=device)
    )  # (N K, 4, S, S)
    error = (rgba[:, :3] - targets.flatten(0, 1)[:, :3].to(device, rgba.dtype)).abs().mean(dim=(1, 2, 3))
    return error.view(count, k).mean(dim=1).cpu()
