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
from .outputs import load_normalized_mesh, renderer_backend, set_num_threads, write_metrics
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
    started = time.perf_counter()
    if not os.path.isdir(run_dir):
        raise ValueError(f"run_dir {run_dir!r} is not an existing folder")
    set_num_threads(cfg.num_threads)
    if cfg.num_starts < 1:
        raise ValueError(f"num_starts must be >= 1, got {cfg.num_starts!r}")
    if not 0.0 <= cfg.rotation_perturbation_deg <= 180.0:
        raise ValueError(f"rotation_perturbation_deg must be in [0, 180], got {cfg.rotation_perturbation_deg!r}")
    if cfg.translation_perturbation < 0:
        raise ValueError(f"translation_perturbation must be >= 0, got {cfg.translation_perturbation!r}")
    options = PoseFitOptions(
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
    vertices, faces, colors = load_pose_object(cfg.target, cfg.object_level)
    camera = PerspectiveCamera.from_spherical(
        cfg.camera_distance, cfg.camera_elevation, cfg.camera_azimuth, viewing_angle=cfg.viewing_angle
    )
    # The target is rendered with the final (sharpest) blur and temperature.
    settings = instantiate(cfg.renderer).replace(sigma=cfg.sigma_end, gamma=cfg.gamma_end)
    true_rotation = torch.eye(3)
    true_translation = torch.zeros(3)
    with torch.no_grad():
        clean = render_rgba(vertices, faces, colors, camera, settings)[0]
    occluded = occluder_mask(settings.image_size, list(cfg.occluder))
    object_pixels = clean[-1] > ALPHA_THRESHOLD
    hidden_fraction = float((object_pixels & occluded).sum()) / max(int(object_pixels.sum()), 1)
    target = paint_occluder(clean, occluded)

    starts: List[Dict[str, Any]] = []
    frames = []
    for index in range(cfg.num_starts):
        generator = torch.Generator().manual_seed(cfg.seed + index)
        start_rotation = random_rotation(cfg.rotation_perturbation_deg, generator) @ true_rotation
        start_translation = true_translation + cfg.translation_perturbation * random_unit_vector(generator)
        result = fit_pose(
            vertices,
            faces,
            colors,
            target,
            ~occluded,
            camera,
            settings,
            start_rotation,
            start_translation,
            options if index == 0 else _without_frames(options),
            true_rotation=true_rotation,
            progress=cfg.progress,
        )
        if index == 0:
            frames = result.frames
        rotation_error = float(geodesic_angle_degrees(result.rotation, true_rotation))
        starts.append(
            {
                "seed": cfg.seed + index,
                "initial_rotation_error_deg": float(geodesic_angle_degrees(start_rotation, true_rotation)),
                "initial_translation_error": float((start_translation - true_translation).norm()),
                "rotation_error_deg": rotation_error,
                "translation_error": float((result.translation - true_translation).norm()),
                "success": rotation_error < cfg.success_rotation_deg,
                "final_loss": result.losses[-1],
            }
        )

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
        "occluded_object_fraction": hidden_fraction,
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
