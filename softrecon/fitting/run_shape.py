"""The body of ``scripts/fit_mesh.py``: fit a template sphere to a mesh's silhouettes
and write the fitted mesh, a GIF of the run and a metrics JSON into a run folder.

Metrics (all in the object frame, target normalized to the unit box):

- heldout_silhouette_iou: mean over the held-out views of the IoU of the fitted mesh's
  binary silhouette with the target's (pixel centres inside a face).
- voxel_iou: IoU of the two meshes' filled 32^3 occupancy grids (SPEC section 7).
- chamfer: symmetric Chamfer distance with squared distances (mean over A of the
  squared distance to the nearest point of B, plus the converse), on area-uniform
  surface samples.

With ``fit_colors=true`` (a target with vertex colours, e.g. the cow's texture),
vertex colours are fitted too and ``heldout_rgb_mse`` is added: the mean squared RGB
error (all pixels, background black) of hard z-buffer renders on the held-out views.

The same metrics are reported for the starting sphere (mid-grey) under ``initial``.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any, Dict, Optional

import torch
from omegaconf import DictConfig, OmegaConf

from softrecon.geometry import icosphere
from softrecon.io import save_obj
from softrecon.metrics import chamfer_distance, sample_points_on_mesh, voxel_iou
from softrecon.renderer import RasterSettings
from softrecon.voxel import voxelize

from .outputs import load_normalized_mesh, renderer_backend, set_num_threads, write_metrics
from .shape import ShapeFitOptions, fit_shape, hard_color_images, hard_silhouettes
from .views import ViewSet, orbit_views, split_views
from .visualization import write_gif

MESH_FILE = "fitted.obj"
GIF_FILE = "fitting.gif"
METRICS_FILE = "metrics.json"
# Colour of the template before colour fitting (mid grey), for the ``initial`` metrics.
INITIAL_GRAY = 0.5


def shape_metrics(
    vertices: torch.Tensor,
    faces: torch.Tensor,
    target_vertices: torch.Tensor,
    target_faces: torch.Tensor,
    heldout_views: ViewSet,
    heldout_targets: torch.Tensor,
    voxel_resolution: int,
    chamfer_points: int,
    seed: int,
    colors: Optional[torch.Tensor] = None,
    heldout_colors: Optional[torch.Tensor] = None,
) -> Dict[str, float]:
    """Score a mesh against the target (see the module docstring).

    Args:
        vertices: (V, 3) float and faces (F, 3) long: the mesh to score.
        target_vertices: (V', 3) float and target_faces (F', 3) long: the target.
        heldout_views: K held-out views; heldout_targets (K, H, W) bool their target silhouettes.
        voxel_resolution: R of the occupancy grids.
        chamfer_points: surface samples per mesh.
        seed: seed of the surface sampling.
        colors: (V, 3) vertex colours of the mesh, and heldout_colors (K, 3, H, W) the
            target's hard colour renders on the held-out views: both or neither.

    Returns:
        {'heldout_silhouette_iou', 'voxel_iou', 'chamfer'} (and 'heldout_rgb_mse' with
        colours) as floats.
    """
    vertices = vertices.detach()
    silhouettes = hard_silhouettes(vertices, faces, heldout_views, heldout_targets.shape[-1])
    # voxel_iou takes the IoU over the last three axes: a silhouette is a (1, H, W) grid.
    per_view = voxel_iou(silhouettes[:, None], heldout_targets[:, None])
    grid_iou = voxel_iou(voxelize(vertices, faces, voxel_resolution), voxelize(target_vertices, target_faces, voxel_resolution))
    generator = torch.Generator().manual_seed(seed)
    points = sample_points_on_mesh(vertices.double(), faces, chamfer_points, generator=generator)
    target_points = sample_points_on_mesh(target_vertices.double(), target_faces, chamfer_points, generator=generator)
    metrics = {
        "heldout_silhouette_iou": float(per_view.mean()),
        "voxel_iou": float(grid_iou),
        # numpy arrays take chamfer_distance's k-d tree path (no gradient needed here).
        "chamfer": float(chamfer_distance(points.numpy(), target_points.numpy())),
    }
    if colors is not None:
        images = hard_color_images(vertices, faces, colors, heldout_views, heldout_targets.shape[-1])
        metrics["heldout_rgb_mse"] = float((images - heldout_colors).pow(2).mean())
    return metrics


def run_fit_mesh(cfg: DictConfig, run_dir: str) -> str:
    """Run one shape fit as configured (``configs/fit_mesh.yaml``) and write its outputs.

    Args:
        cfg: the composed config (schema ``FitMeshConfig``).
        run_dir: existing folder for the outputs.

    Returns:
        The absolute path of the metrics JSON, written last (atomically, as every file).

    Raises:
        ValueError (MeshLoadError for the target) naming the offending file or option.
    """
    started = time.perf_counter()
    if not os.path.isdir(run_dir):
        raise ValueError(f"run_dir {run_dir!r} is not an existing folder")
    set_num_threads(cfg.num_threads)
    options = ShapeFitOptions(
        steps=cfg.steps,
        lr=cfg.lr,
        views_per_step=cfg.views_per_step,
        sigma_start=cfg.sigma_start,
        sigma_end=cfg.sigma_end,
        laplacian_weight=cfg.laplacian_weight,
        flatten_weight=cfg.flatten_weight,
        frame_every=cfg.gif_every,
        seed=cfg.seed,
        color_weight=cfg.color_weight if cfg.fit_colors else 0.0,
    )
    if cfg.fit_colors and not cfg.color_weight > 0:
        raise ValueError(f"fit_colors=true needs color_weight > 0, got {cfg.color_weight!r}")
    if cfg.gif_views < 1:
        raise ValueError(f"gif_views must be >= 1, got {cfg.gif_views!r}")
    settings = RasterSettings(image_size=cfg.image_size, sigma=cfg.sigma_start, dist_cdf=cfg.dist_cdf, aggr_alpha=cfg.aggr_alpha)
    target_vertices, target_faces, target_vertex_colors = load_normalized_mesh(cfg.target)
    if cfg.fit_colors and target_vertex_colors is None:
        raise ValueError(f"fit_colors=true needs a target with vertex colours, and {cfg.target} has none")
    views = orbit_views(cfg.num_views, list(cfg.elevations), cfg.camera_distance, cfg.viewing_angle)
    fit_index, heldout_index = split_views(cfg.num_views, cfg.heldout_every)
    targets = hard_silhouettes(target_vertices, target_faces, views, cfg.image_size)
    target_images = None
    if cfg.fit_colors:
        target_images = hard_color_images(target_vertices, target_faces, target_vertex_colors, views, cfg.image_size)

    template_vertices, template_faces = icosphere(cfg.template_level)
    template_vertices = template_vertices * cfg.template_radius
    score = functools.partial(
        shape_metrics,
        faces=template_faces,
        target_vertices=target_vertices,
        target_faces=target_faces,
        heldout_views=views.subset(heldout_index),
        heldout_targets=targets[heldout_index],
        voxel_resolution=cfg.voxel_resolution,
        chamfer_points=cfg.chamfer_points,
        seed=cfg.seed,
        heldout_colors=None if target_images is None else target_images[heldout_index],
    )
    gray = None if target_images is None else torch.full_like(template_vertices, INITIAL_GRAY)
    initial = score(template_vertices, colors=gray)

    fit_started = time.perf_counter()
    result = fit_shape(
        template_vertices,
        template_faces,
        targets[fit_index],
        views.subset(fit_index),
        settings,
        options,
        frame_views=torch.arange(min(cfg.gif_views, len(fit_index))),
        progress=cfg.progress,
        target_colors=None if target_images is None else target_images[fit_index],
    )
    fit_seconds = time.perf_counter() - fit_started
    final = score(result.vertices, colors=result.colors)

    save_obj(os.path.join(run_dir, MESH_FILE), result.vertices, template_faces, colors=result.colors)
    if result.frames:
        write_gif(os.path.join(run_dir, GIF_FILE), result.frames)
    metrics: Dict[str, Any] = {
        "target": os.path.abspath(cfg.target),
        **final,
        "initial": initial,
        "final_loss": result.losses[-1],
        "fit_time_s": fit_seconds,
        "wall_time_s": time.perf_counter() - started,
        "renderer_backend": renderer_backend(template_vertices.device),
        "torch_threads": torch.get_num_threads(),
        "fit_views": fit_index.tolist(),
        "heldout_views": heldout_index.tolist(),
        "files": {"mesh": MESH_FILE, "gif": GIF_FILE if result.frames else None},
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    return write_metrics(os.path.join(run_dir, METRICS_FILE), metrics)
