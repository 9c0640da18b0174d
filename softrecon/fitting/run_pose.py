"""The body of ``scripts/fit_pose.py``: recover the rigid pose of a coloured mesh from
one image with an occluder, from one or several perturbed starts, and write a GIF and a
metrics JSON into a run folder.

The true pose is the identity (the mesh as loaded, normalized to the unit box); the
target image is rendered under it with the final (sharpest) sigma and gamma, and an
opaque grey rectangle is painted over it. Each start turns the true rotation by
``rotation_perturbation_deg`` about a random axis and moves the translation by
``translation_perturbation`` in a random direction (seeded: seed, seed + 1, ...).

Metrics: rotation error = geodesic angle between fitted and true rotation (degrees);
translation error = Euclidean distance of the translations (object units, the object
being 1 unit across). A start SUCCEEDS when its final rotation error is below
``success_rotation_deg``.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from typing import Any, Dict, List, Tuple

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from softrecon.renderer.cameras import PerspectiveCamera

from .objects import asymmetric_colored_object, position_colors
from .outputs import load_normalized_mesh, renderer_backend, start_run, write_metrics
from .pose import PoseFitOptions, fit_pose, occluder_mask, paint_occluder
from .rendering import render_rgba
from .rotation import geodesic_angle_degrees, random_rotation, random_unit_vector
from .visualization import write_gif

BUILTIN_TARGET = "builtin"
GIF_FILE = "pose_fitting.gif"
METRICS_FILE = "metrics.json"
# A rendered pixel counts as object when its alpha exceeds this.
ALPHA_THRESHOLD = 0.5


def load_pose_object(target: str, level: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The object to pose: the built-in one, or a mesh file with its own per-vertex
    colours (e.g. sampled from its texture), coloured by position when it has none.

    Returns:
        vertices (V, 3) float32 in the unit box, faces (F, 3) long, colors (V, 3) float32.
    """
    if target == BUILTIN_TARGET:
        return asymmetric_colored_object(level)
    vertices, faces, colors = load_normalized_mesh(target)
    return vertices, faces, position_colors(vertices) if colors is None else colors


def _check_options(cfg: DictConfig) -> None:
    """Raise ValueError naming the first out-of-range option the fit itself does not check."""
    if cfg.num_starts < 1:
        raise ValueError(f"num_starts must be >= 1, got {cfg.num_starts!r}")
    if not 0.0 <= cfg.rotation_perturbation_deg <= 180.0:
        raise ValueError(f"rotation_perturbation_deg must be in [0, 180], got {cfg.rotation_perturbation_deg!r}")
    if cfg.translation_perturbation < 0:
        raise ValueError(f"translation_perturbation must be >= 0, got {cfg.translation_perturbation!r}")


def fit_options(cfg: DictConfig) -> PoseFitOptions:
    """The optimization settings of the config: its keys of the same names, the starting
    blur and temperature from the ``renderer`` group (``renderer.sigma``, ``renderer.gamma``)."""
    return PoseFitOptions(
        steps=cfg.steps,
        lr=cfg.lr,
        sigma_start=cfg.renderer.sigma,
        sigma_end=cfg.sigma_end,
        gamma_start=cfg.renderer.gamma,
        gamma_end=cfg.gamma_end,
        rgb_weight=cfg.rgb_weight,
        silhouette_weight=cfg.silhouette_weight,
        gif_every=cfg.gif_every,
    )


@dataclasses.dataclass
class PoseTarget:
    """The image a pose fit matches: ``image`` (C + 1, H, W) with the occluder painted in,
    ``occluded`` (H, W) bool (pixels left out of the loss), and the fraction of the
    object's pixels the occluder hides."""

    image: torch.Tensor
    occluded: torch.Tensor
    hidden_fraction: float


def render_target(vertices, faces, colors, camera, settings, occluder: List[float]) -> PoseTarget:
    """The object rendered at the true pose (the identity) with ``settings``, the
    occluder rectangle (image fractions) painted over it."""
    with torch.no_grad():
        clean = render_rgba(vertices, faces, colors, camera, settings)[0]
    occluded = occluder_mask(settings.image_size, occluder)
    object_pixels = clean[-1] > ALPHA_THRESHOLD
    hidden_fraction = float((object_pixels & occluded).sum()) / max(int(object_pixels.sum()), 1)
    return PoseTarget(paint_occluder(clean, occluded), occluded, hidden_fraction)


def fit_one_start(cfg: DictConfig, index: int, scene: tuple, target: PoseTarget, options: PoseFitOptions):
    """Start ``index`` (seed ``cfg.seed + index``): the true pose perturbed, then fitted.

    Args:
        scene: (vertices, faces, colors, camera, settings) of the object and its camera.

    Returns:
        (the start's record for the metrics, the fit's ``PoseFitResult``).
    """
    vertices, faces, colors, camera, settings = scene
    true_rotation, true_translation = torch.eye(3), torch.zeros(3)
    generator = torch.Generator().manual_seed(cfg.seed + index)
    start_rotation = random_rotation(cfg.rotation_perturbation_deg, generator) @ true_rotation
    start_translation = true_translation + cfg.translation_perturbation * random_unit_vector(generator)
    result = fit_pose(
        vertices,
        faces,
        colors,
        target.image,
        ~target.occluded,
        camera,
        settings,
        start_rotation,
        start_translation,
        options,
        true_rotation=true_rotation,
        progress=cfg.progress,
    )
    rotation_error = float(geodesic_angle_degrees(result.rotation, true_rotation))
    record = {
        "seed": cfg.seed + index,
        "initial_rotation_error_deg": float(geodesic_angle_degrees(start_rotation, true_rotation)),
        "initial_translation_error": float((start_translation - true_translation).norm()),
        "rotation_error_deg": rotation_error,
        "translation_error": float((result.translation - true_translation).norm()),
        "success": rotation_error < cfg.success_rotation_deg,
        "final_loss": result.losses[-1],
    }
    return record, result


def run_fit_pose(cfg: DictConfig, run_dir: str) -> str:
    """Run the pose fit(s) as configured (``configs/fit_pose.yaml``) and write the outputs.

    Args:
        cfg: the composed config (schema ``FitPoseConfig``).
        run_dir: existing folder for the outputs.

    Returns:
        The absolute path of the metrics JSON, written last.

    Raises:
        ValueError (MeshLoadError for the target) naming the offending file or option.
    """
    started = start_run(run_dir, cfg.num_threads)
    _check_options(cfg)
    options = fit_options(cfg)
    vertices, faces, colors = load_pose_object(cfg.target, cfg.object_level)
    camera = PerspectiveCamera.from_spherical(
        cfg.camera_distance, cfg.camera_elevation, cfg.camera_azimuth, viewing_angle=cfg.viewing_angle
    )
    # The target is rendered with the final (sharpest) blur and temperature.
    settings = instantiate(cfg.renderer).replace(sigma=cfg.sigma_end, gamma=cfg.gamma_end)
    target = render_target(vertices, faces, colors, camera, settings, list(cfg.occluder))
    scene = (vertices, faces, colors, camera, settings)
    starts: List[Dict[str, Any]] = []
    frames = []
    for index in range(cfg.num_starts):
        # Only the first start is filmed.
        record, result = fit_one_start(cfg, index, scene, target, options if index == 0 else _without_frames(options))
        starts.append(record)
        if index == 0:
            frames = result.frames
    if frames:
        write_gif(os.path.join(run_dir, GIF_FILE), frames)
    rotation_errors = [s["rotation_error_deg"] for s in starts]
    metrics: Dict[str, Any] = {
        "target": cfg.target if cfg.target == BUILTIN_TARGET else os.path.abspath(cfg.target),
        "rotation_error_deg": starts[0]["rotation_error_deg"],
        "translation_error": starts[0]["translation_error"],
        "num_starts": cfg.num_starts,
        "success_rotation_deg": cfg.success_rotation_deg,
        "success_rate": sum(s["success"] for s in starts) / len(starts),
        "median_rotation_error_deg": statistics.median(rotation_errors),
        "median_translation_error": statistics.median(s["translation_error"] for s in starts),
        "occluded_object_fraction": target.hidden_fraction,
        "starts": starts,
        "wall_time_s": time.perf_counter() - started,
        "renderer_backend": renderer_backend(vertices.device),
        "torch_threads": torch.get_num_threads(),
        "files": {"gif": GIF_FILE if frames else None},
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    return write_metrics(os.path.join(run_dir, METRICS_FILE), metrics)


def _without_frames(options: PoseFitOptions) -> PoseFitOptions:
    """The same options without GIF frames (only the first start is filmed)."""
    return dataclasses.replace(options, gif_every=0)
