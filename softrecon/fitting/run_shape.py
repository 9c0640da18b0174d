"""The body of ``scripts/fit_mesh.py``: fit a template sphere to target silhouettes
(and optionally colours) seen from known cameras, and write the fitted mesh, a GIF of
the run and a metrics JSON into a run folder.

Targets, one of:

- ``target=mesh``: a mesh file, normalized to the unit box and rendered (binary
  silhouettes, hard colour renders) from ``num_views`` orbit views;
- ``images=... cameras=...``: target images with their cameras
  (``softrecon.fitting.targets``: an .npy of (N, 4, H, W) images with an .npy of
  (distance, elevation, azimuth) rows, as SoftRas' ``demo_deform`` takes them, or a
  folder of PNGs with a camera JSON). ``reference=mesh`` optionally gives the true
  shape, in the cameras' frame (not normalized), for the 3D metrics.

Coarse-to-fine (``subdivisions=S``): after the first stage of ``steps`` steps, the
fitted mesh is subdivided (every face into four at its edge midpoints: the surface does
not move) and fitted again for ``refine_steps`` steps, S times (1280 faces become 5120,
20480, 81920). Each refined stage starts its blur at ``refine_sigma_start`` and anneals
it to ``sigma_end``, and multiplies the learning rate by ``refine_lr_scale`` and the
Laplacian and flatten weights by ``refine_regularizer_scale`` per level (see
docs/FITTING.md for why and for the measured effect). ``template=mesh`` starts from a
mesh file (e.g. a previous fit) instead of the icosphere.

Metrics (object frame):

- heldout_silhouette_iou: mean over the held-out views of the IoU of the fitted mesh's
  binary silhouette with the target's (pixel centres inside a face; for image targets,
  alpha > 0.5).
- voxel_iou: IoU of the two meshes' filled 32^3 occupancy grids (docs/METHOD.md section 7); and
- chamfer: symmetric Chamfer distance with squared distances (mean over A of the
  squared distance to the nearest point of B, plus the converse), on area-uniform
  surface samples; both only when a target or reference mesh is known.

With ``fit_colors=true`` vertex colours are fitted too and ``heldout_rgb_mse`` is
added: the mean squared RGB error (all pixels) of hard z-buffer renders on the
held-out views. The same metrics are reported for the starting mesh under ``initial``
and at the end of every stage under ``stages`` (whose meshes are written as
``fitted_stage<k>.obj``, the last as ``fitted.obj``).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from softrecon.geometry import icosphere, subdivide_midpoints
from softrecon.io import load_mesh, save_obj
from softrecon.metrics import chamfer_distance, sample_points_on_mesh, voxel_iou
from softrecon.voxel import voxelize

from .outputs import load_normalized_mesh, renderer_backend, start_run, write_metrics
from .shape import ShapeFitOptions, fit_shape, hard_color_images, hard_silhouettes
from .targets import load_image_targets, target_masks
from .views import ViewSet, orbit_views, split_views
from .visualization import write_gif

MESH_FILE = "fitted.obj"
# With subdivisions, the mesh at the end of every stage but the last: fitted_stage0.obj, ...
STAGE_MESH_FILE = "fitted_stage{}.obj"
GIF_FILE = "fitting.gif"
METRICS_FILE = "metrics.json"
# Colour of the template before colour fitting (mid grey), for the ``initial`` metrics.
INITIAL_GRAY = 0.5


@dataclasses.dataclass
class FitTargets:
    """What the fit matches and how it is scored.

    Attributes:
        views: the K views of the targets.
        silhouettes: (K, H, W) bool target masks.
        colors: (K, 3, H, W) float target colour images, or None (silhouettes only).
        mesh: (vertices (V, 3), faces (F, 3)) of the true shape for the 3D metrics, or None.
        source: what the targets were read from (for the metrics JSON).
    """

    views: ViewSet
    silhouettes: torch.Tensor
    colors: Optional[torch.Tensor]
    mesh: Optional[Tuple[torch.Tensor, torch.Tensor]]
    source: Dict[str, Optional[str]]

    @property
    def image_size(self) -> int:
        return int(self.silhouettes.shape[-1])


def shape_metrics(
    vertices: torch.Tensor,
    faces: torch.Tensor,
    target_mesh: Optional[Tuple[torch.Tensor, torch.Tensor]],
    heldout_views: ViewSet,
    heldout_targets: torch.Tensor,
    voxel_resolution: int,
    chamfer_points: int,
    seed: int,
    colors: Optional[torch.Tensor] = None,
    heldout_colors: Optional[torch.Tensor] = None,
) -> Dict[str, float]:
    """Score a mesh against the targets (see the module docstring).

    Args:
        vertices: (V, 3) float and faces (F, 3) long: the mesh to score.
        target_mesh: (vertices (V', 3), faces (F', 3)) of the true shape, or None (no 3D metrics).
        heldout_views: K held-out views; heldout_targets (K, H, W) bool their target silhouettes.
        voxel_resolution: R of the occupancy grids.
        chamfer_points: surface samples per mesh.
        seed: seed of the surface sampling.
        colors: (V, 3) vertex colours of the mesh, and heldout_colors (K, 3, H, W) the
            target colour images on the held-out views: both or neither.

    Returns:
        {'heldout_silhouette_iou'} plus 'voxel_iou' and 'chamfer' with a target mesh,
        and 'heldout_rgb_mse' with colours, as floats.
    """
    vertices = vertices.detach()
    silhouettes = hard_silhouettes(vertices, faces, heldout_views, heldout_targets.shape[-1])
    # voxel_iou takes the IoU over the last three axes: a silhouette is a (1, H, W) grid.
    per_view = voxel_iou(silhouettes[:, None], heldout_targets[:, None])
    metrics = {"heldout_silhouette_iou": float(per_view.mean())}
    if target_mesh is not None:
        target_vertices, target_faces = target_mesh
        metrics["voxel_iou"] = float(
            voxel_iou(
                voxelize(vertices, faces, voxel_resolution), voxelize(target_vertices, target_faces, voxel_resolution)
            )
        )
        generator = torch.Generator().manual_seed(seed)
        points = sample_points_on_mesh(vertices.double(), faces, chamfer_points, generator=generator)
        target_points = sample_points_on_mesh(
            target_vertices.double(), target_faces, chamfer_points, generator=generator
        )
        # numpy arrays take chamfer_distance's k-d tree path (no gradient needed here).
        metrics["chamfer"] = float(chamfer_distance(points.numpy(), target_points.numpy()))
    if colors is not None:
        images = hard_color_images(vertices, faces, colors, heldout_views, heldout_targets.shape[-1])
        metrics["heldout_rgb_mse"] = float((images - heldout_colors).pow(2).mean())
    return metrics


def load_targets(cfg: DictConfig) -> FitTargets:
    """The targets of a run: a mesh rendered from orbit views, or images with cameras.

    Raises:
        ValueError naming the option or file: neither or both kinds given, unreadable
        files, colours asked for without colour targets.
    """
    has_mesh = cfg.target is not None
    has_images = cfg.images is not None or cfg.cameras is not None
    if has_mesh == has_images:
        raise ValueError(
            "give either target=<mesh file> or images=<.npy or PNG folder> with cameras=<.npy or .json>, not both or neither"
        )
    if has_images:
        if cfg.images is None or cfg.cameras is None:
            raise ValueError("images= and cameras= go together (the images' cameras are needed to fit them)")
        views, rgba = load_image_targets(cfg.images, cfg.cameras, cfg.viewing_angle)
        mesh = None
        if cfg.reference is not None:
            reference = load_mesh(cfg.reference)
            mesh = (reference.vertices[0].float(), reference.faces[0])
        colors = rgba[:, :3].contiguous() if cfg.fit_colors else None
        source = {
            "images": os.path.abspath(cfg.images),
            "cameras": os.path.abspath(cfg.cameras),
            "reference": cfg.reference and os.path.abspath(cfg.reference),
        }
        return FitTargets(views, target_masks(rgba), colors, mesh, source)
    if cfg.reference is not None:
        raise ValueError("reference= is for image targets; with target=<mesh> the target itself is the reference")
    vertices, faces, vertex_colors = load_normalized_mesh(cfg.target)
    if cfg.fit_colors and vertex_colors is None:
        raise ValueError(f"fit_colors=true needs a target with vertex colours, and {cfg.target} has none")
    views = orbit_views(cfg.num_views, list(cfg.elevations), cfg.camera_distance, cfg.viewing_angle)
    silhouettes = hard_silhouettes(vertices, faces, views, cfg.image_size)
    colors = hard_color_images(vertices, faces, vertex_colors, views, cfg.image_size) if cfg.fit_colors else None
    return FitTargets(views, silhouettes, colors, (vertices, faces), {"target": os.path.abspath(cfg.target)})


def _template(cfg: DictConfig) -> Tuple[torch.Tensor, torch.Tensor]:
    """The starting mesh: the icosphere of ``template_level`` and ``template_radius``, or
    the mesh file ``template`` (used as it is, in the cameras' frame)."""
    if cfg.template is not None:
        mesh = load_mesh(cfg.template)
        return mesh.vertices[0].float(), mesh.faces[0]
    vertices, faces = icosphere(cfg.template_level)
    return vertices * cfg.template_radius, faces


def _stage_options(cfg: DictConfig, level: int) -> ShapeFitOptions:
    """Optimization settings of stage ``level`` (0: the first, coarse stage)."""
    return ShapeFitOptions(
        steps=cfg.steps if level == 0 else cfg.refine_steps,
        lr=cfg.lr * cfg.refine_lr_scale**level,
        views_per_step=cfg.views_per_step,
        sigma_start=cfg.renderer.sigma if level == 0 else cfg.refine_sigma_start,
        sigma_end=cfg.sigma_end,
        laplacian_weight=cfg.laplacian_weight * cfg.refine_regularizer_scale**level,
        flatten_weight=cfg.flatten_weight * cfg.refine_regularizer_scale**level,
        gif_every=cfg.gif_every,
        seed=cfg.seed + level,
        color_weight=cfg.color_weight if cfg.fit_colors else 0.0,
    )


def _check_options(cfg: DictConfig, num_faces: int) -> None:
    if cfg.fit_colors and not cfg.color_weight > 0:
        raise ValueError(f"fit_colors=true needs color_weight > 0, got {cfg.color_weight!r}")
    if cfg.gif_views < 1:
        raise ValueError(f"gif_views must be >= 1, got {cfg.gif_views!r}")
    if cfg.subdivisions < 0:
        raise ValueError(f"subdivisions must be >= 0, got {cfg.subdivisions!r}")
    if cfg.subdivisions and cfg.refine_steps < 1:
        raise ValueError(f"refine_steps must be >= 1 when subdivisions > 0, got {cfg.refine_steps!r}")
    for name in ("refine_lr_scale", "refine_regularizer_scale", "refine_sigma_start"):
        if not getattr(cfg, name) > 0:
            raise ValueError(f"{name} must be > 0, got {getattr(cfg, name)!r}")
    final_faces = num_faces * 4**cfg.subdivisions
    if final_faces > cfg.max_faces:
        raise ValueError(
            f"subdivisions={cfg.subdivisions} would give {final_faces} faces, above max_faces={cfg.max_faces}"
        )


@dataclasses.dataclass
class StagesResult:
    """The end of a coarse-to-fine fit: the last stage's mesh, each stage's record
    (faces, vertices, steps, time, metrics), the GIF frames and losses of all stages,
    and the seconds spent fitting."""

    vertices: torch.Tensor
    faces: torch.Tensor
    colors: Optional[torch.Tensor]
    stages: List[Dict[str, Any]]
    frames: List[np.ndarray]
    losses: List[float]
    seconds: float


def fit_stages(cfg: DictConfig, mesh: tuple, targets: FitTargets, fit_index, settings, score, run_dir: str):
    """Fit ``mesh`` (vertices, faces, colours or None) to the targets of ``fit_index``,
    then ``cfg.subdivisions`` times subdivide and fit again (``_stage_options``); the
    mesh at the end of every stage but the last is written as ``STAGE_MESH_FILE``.
    ``score(vertices, faces, colors=...)`` gives each stage's metrics. Returns a
    ``StagesResult``."""
    vertices, faces, colors = mesh
    fit_views = targets.views.subset(fit_index)
    stages: List[Dict[str, Any]] = []
    frames: List[np.ndarray] = []
    losses: List[float] = []
    fit_seconds = 0.0
    for level in range(cfg.subdivisions + 1):
        if level > 0:
            if colors is not None:  # RGB of the midpoints: the mean of the edge's ends, same order
                colors = subdivide_midpoints(colors, faces)[0]
            vertices, faces = subdivide_midpoints(vertices, faces)
        stage_started = time.perf_counter()
        result = fit_shape(
            vertices,
            faces,
            targets.silhouettes[fit_index],
            fit_views,
            settings,
            _stage_options(cfg, level),
            frame_views=torch.arange(min(cfg.gif_views, len(fit_index))),
            progress=cfg.progress,
            target_colors=None if targets.colors is None else targets.colors[fit_index],
            initial_colors=None if level == 0 else colors,
        )
        stage_seconds = time.perf_counter() - stage_started
        fit_seconds += stage_seconds
        vertices, colors = result.vertices, result.colors
        if level < cfg.subdivisions:
            save_obj(os.path.join(run_dir, STAGE_MESH_FILE.format(level)), vertices, faces, colors=colors)
        frames += result.frames
        losses += result.losses
        stages.append({"faces": int(faces.shape[0]), "vertices": int(vertices.shape[0]), "steps": len(result.losses),
                       "fit_time_s": stage_seconds, **score(vertices, faces, colors=colors)})  # fmt: skip
    return StagesResult(vertices, faces, colors, stages, frames, losses, fit_seconds)


def run_fit_mesh(cfg: DictConfig, run_dir: str) -> str:
    """Run one shape fit as configured (``configs/fit_mesh.yaml``) and write its outputs.

    Args:
        cfg: the composed config (schema ``FitMeshConfig``).
        run_dir: existing folder for the outputs.

    Returns:
        The absolute path of the metrics JSON, written last (atomically, as every file).

    Raises:
        ValueError (MeshLoadError for mesh files) naming the offending file or option.
    """
    started = start_run(run_dir, cfg.num_threads)
    vertices, faces = _template(cfg)
    _check_options(cfg, faces.shape[0])
    targets = load_targets(cfg)
    settings = instantiate(cfg.renderer, image_size=targets.image_size)
    fit_index, heldout_index = split_views(len(targets.views), cfg.heldout_every)
    score = functools.partial(
        shape_metrics,
        target_mesh=targets.mesh,
        heldout_views=targets.views.subset(heldout_index),
        heldout_targets=targets.silhouettes[heldout_index],
        voxel_resolution=cfg.voxel_resolution,
        chamfer_points=cfg.chamfer_points,
        seed=cfg.seed,
        heldout_colors=None if targets.colors is None else targets.colors[heldout_index],
    )
    colors = None if targets.colors is None else torch.full_like(vertices, INITIAL_GRAY)
    initial = score(vertices, faces, colors=colors)
    fit = fit_stages(cfg, (vertices, faces, colors), targets, fit_index, settings, score, run_dir)
    vertices, faces, colors, stages, frames = fit.vertices, fit.faces, fit.colors, fit.stages, fit.frames
    save_obj(os.path.join(run_dir, MESH_FILE), vertices, faces, colors=colors)
    if frames:
        write_gif(os.path.join(run_dir, GIF_FILE), frames)
    metrics: Dict[str, Any] = {
        **targets.source,
        **{k: v for k, v in stages[-1].items() if k not in ("steps", "fit_time_s")},
        "initial": initial,
        "stages": stages,
        "final_loss": fit.losses[-1],
        "fit_time_s": fit.seconds,
        "wall_time_s": time.perf_counter() - started,
        "renderer_backend": renderer_backend(vertices.device),
        "torch_threads": torch.get_num_threads(),
        "fit_views": fit_index.tolist(),
        "heldout_views": heldout_index.tolist(),
        "files": {
            "mesh": MESH_FILE,
            "gif": GIF_FILE if frames else None,
            "stage_meshes": [STAGE_MESH_FILE.format(level) for level in range(cfg.subdivisions)],
        },  # fmt: skip
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    return write_metrics(os.path.join(run_dir, METRICS_FILE), metrics)
