"""How well a reconstruction explains its input: its silhouette from the benchmark views
against the input's mask.

A reconstruction is in the object frame, not the camera's: the network infers the
viewpoint. For a dataset image the input view is known; for any other picture
``best_views`` renders the mesh from all benchmark views (elevation 30 degrees, 15
degrees of azimuth apart) and keeps the one whose silhouette matches best.

Shape symbols: N meshes, V vertices, F faces, S image side, K views.
"""

from __future__ import annotations

from typing import Tuple

import torch

from softrecon.protocol import NUM_VIEWS
from softrecon.renderer import RasterSettings, SoftRenderer, benchmark_camera

# Blur of the scoring renders: sharp at any image size used here, so that thresholding
# the soft silhouette at 1/2 gives the hard one.
SCORE_SIGMA = 1e-6
THRESHOLD = 0.5


def render_masks(vertices: torch.Tensor, faces: torch.Tensor, views: torch.Tensor, image_size: int) -> torch.Tensor:
    """Hard silhouettes of meshes from benchmark views.

    Args:
        vertices: (N, V, 3) float, object frame.
        faces: (F, 3) int64.
        views: (N,) int64 view indices in [0, NUM_VIEWS).
        image_size: S.

    Returns:
        (N, S, S) bool, row 0 at the top (the dataset's image layout).
    """
    renderer = SoftRenderer(RasterSettings(image_size=int(image_size), sigma=SCORE_SIGMA), lighting=None)
    camera = benchmark_camera(views.cpu(), dtype=vertices.dtype, device=vertices.device)
    with torch.no_grad():
        return renderer.render_silhouette(vertices, faces.to(vertices.device), camera) > THRESHOLD


def mask_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(N, S, S) bool x2 -> (N,) float IoU (1 where both are empty)."""
    union = (a | b).flatten(1).sum(1)
    inter = (a & b).flatten(1).sum(1)
    return torch.where(
        union > 0, inter.double() / union.clamp_min(1).double(), torch.ones_like(union, dtype=torch.float64)
    )


def silhouette_iou(
    vertices: torch.Tensor, faces: torch.Tensor, masks: torch.Tensor, views: torch.Tensor
) -> torch.Tensor:
    """(N,) float64 IoU of each mesh's silhouette from ``views`` (N,) with ``masks`` (N, S, S) bool."""
    rendered = render_masks(vertices, faces, views, masks.shape[-1])
    return mask_iou(rendered, masks.to(rendered.device))


def best_views(vertices: torch.Tensor, faces: torch.Tensor, masks: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """The benchmark view whose silhouette of each mesh best matches its mask.

    Args:
        vertices: (N, V, 3); faces: (F, 3); masks: (N, S, S) bool.

    Returns:
        (views (N,) int64, ious (N,) float64).
    """
    views, ious = [], []
    all_views = torch.arange(NUM_VIEWS)
    for mesh_vertices, mask in zip(vertices, masks):
        scores = silhouette_iou(
            mesh_vertices[None].expand(NUM_VIEWS, -1, -1), faces, mask[None].expand(NUM_VIEWS, -1, -1), all_views
        )
        best = int(torch.argmax(scores))
        views.append(best)
        ious.append(float(scores[best]))
    return torch.tensor(views, dtype=torch.long), torch.tensor(ious, dtype=torch.float64)
