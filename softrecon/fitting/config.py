"""Typed schemas of the fitting commands' Hydra configs (``configs/fit_mesh.yaml``,
``configs/fit_pose.yaml``).

The YAML files hold every value (with a comment each); these dataclasses hold only the
types, so that a misspelt or unknown key, or a value of the wrong type, fails when the
config is composed, before any work starts. ``register_configs()`` puts them in Hydra's
ConfigStore under the names the YAML defaults lists use.

The rasterizer settings are the training's ``renderer`` group (schema ``RendererConfig``,
``configs/renderer/``): ``renderer.sigma`` (and for the pose fit ``renderer.gamma``) is
the value at the first step, annealed to ``sigma_end`` (``gamma_end``).
"""

from __future__ import annotations

import dataclasses
from typing import List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from softrecon.config.schema import RendererConfig

FIT_MESH_SCHEMA = "fit_mesh_schema"
FIT_POSE_SCHEMA = "fit_pose_schema"


@dataclasses.dataclass
class FitMeshConfig:
    """Shape fitting of a template sphere to multi-view silhouettes (see the YAML for meanings)."""

    renderer: RendererConfig = dataclasses.field(default_factory=RendererConfig)
    target: Optional[str] = MISSING
    images: Optional[str] = MISSING
    cameras: Optional[str] = MISSING
    reference: Optional[str] = MISSING
    template: Optional[str] = MISSING
    image_size: int = MISSING
    num_views: int = MISSING
    elevations: List[float] = MISSING
    camera_distance: float = MISSING
    viewing_angle: float = MISSING
    heldout_every: int = MISSING
    template_level: int = MISSING
    template_radius: float = MISSING
    steps: int = MISSING
    views_per_step: int = MISSING
    lr: float = MISSING
    sigma_end: float = MISSING
    laplacian_weight: float = MISSING
    flatten_weight: float = MISSING
    subdivisions: int = MISSING
    refine_steps: int = MISSING
    refine_sigma_start: float = MISSING
    refine_lr_scale: float = MISSING
    refine_regularizer_scale: float = MISSING
    max_faces: int = MISSING
    fit_colors: bool = MISSING
    color_weight: float = MISSING
    gif_every: int = MISSING
    gif_views: int = MISSING
    voxel_resolution: int = MISSING
    chamfer_points: int = MISSING
    seed: int = MISSING
    num_threads: int = MISSING
    progress: bool = MISSING


@dataclasses.dataclass
class FitPoseConfig:
    """Pose fitting of a coloured mesh under occlusion (see the YAML for meanings)."""

    renderer: RendererConfig = dataclasses.field(default_factory=RendererConfig)
    target: str = MISSING
    image_size: int = MISSING
    camera_distance: float = MISSING
    camera_elevation: float = MISSING
    camera_azimuth: float = MISSING
    viewing_angle: float = MISSING
    occluder: List[float] = MISSING
    rotation_perturbation_deg: float = MISSING
    translation_perturbation: float = MISSING
    steps: int = MISSING
    lr: float = MISSING
    sigma_end: float = MISSING
    gamma_end: float = MISSING
    rgb_weight: float = MISSING
    silhouette_weight: float = MISSING
    num_starts: int = MISSING
    success_rotation_deg: float = MISSING
    gif_every: int = MISSING
    object_level: int = MISSING
    seed: int = MISSING
    num_threads: int = MISSING
    progress: bool = MISSING


def register_configs() -> None:
    """Store both schemas in Hydra's ConfigStore (idempotent)."""
    store = ConfigStore.instance()
    store.store(name=FIT_MESH_SCHEMA, node=FitMeshConfig)
    store.store(name=FIT_POSE_SCHEMA, node=FitPoseConfig)
