"""Shape fitting: deform a template sphere until its soft silhouettes match a set of
target silhouettes (the paper's image-based shape fitting), and score the result.

The template's vertices move as ``exp(log_scale) * (template + offsets) + translation``
(per-vertex offsets, one global scale, one translation), optimized with Adam on the
soft IoU loss of the rendered silhouettes plus Laplacian and flatten regularizers,
while the rasterizer's blur sigma is annealed geometrically from large to small.

Shape symbols: V vertices, F faces, K views, H x W image.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, List, Optional

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from softrecon.losses import FlattenLoss, LaplacianLoss, soft_iou_loss
from softrecon.renderer import RasterSettings
from softrecon.renderer.soft_renderer import SoftRenderer

from .schedule import geometric_anneal
from .views import ViewSet
from .visualization import make_frame

# Adam's betas for fitting, as in SoftRas' deformation demo (a short first-moment
# memory suits the moving target of an annealed blur).
ADAM_BETAS = (0.5, 0.99)
# Rasterizer settings of the binary (hard) silhouettes used as targets and for scoring.
HARD_SILHOUETTE = {"dist_func": "hard", "aggr_alpha": "hard"}
# GIF tiles are upscaled (nearest neighbour) to about this width in pixels.
GIF_TILE_PIXELS = 128


class TemplateDeformation(nn.Module):
    """A deformable template: ``exp(log_scale) * (template + offsets) + translation``.

    Args:
        template_vertices: (V, 3) float, the undeformed template (e.g. a unit icosphere).
        initial_scale: the global scale at the start, > 0.

    Parameters: ``offsets`` (V, 3) zeros, ``log_scale`` () and ``translation`` (3,) zeros.
    """

    def __init__(self, template_vertices: torch.Tensor, initial_scale: float = 1.0) -> None:
        super().__init__()
        if not isinstance(template_vertices, torch.Tensor) or template_vertices.dim() != 2 or template_vertices.shape[1] != 3:
            raise ValueError(f"template_vertices must be a (V, 3) tensor, got {getattr(template_vertices, 'shape', None)}")
        if not (math.isfinite(initial_scale) and initial_scale > 0):
            raise ValueError(f"initial_scale must be a finite number > 0, got {initial_scale!r}")
        self.register_buffer("template", template_vertices.detach().clone())
        self.offsets = nn.Parameter(torch.zeros_like(self.template))
        self.log_scale = nn.Parameter(torch.tensor(math.log(initial_scale), dtype=template_vertices.dtype))
        self.translation = nn.Parameter(torch.zeros(3, dtype=template_vertices.dtype))

    def forward(self) -> torch.Tensor:
        """The current vertices: (V, 3)."""
        return self.log_scale.exp() * (self.template + self.offsets) + self.translation


@dataclasses.dataclass(frozen=True)
class ShapeFitOptions:
    """Optimization settings of ``fit_shape``.

    Attributes:
        steps: number of Adam steps, >= 1.
        lr: Adam learning rate.
        views_per_step: fitting views rendered per step (a random subset drawn each
            step); 0 renders all of them every step.
        sigma_start, sigma_end: the rasterizer blur at the first and last step,
            annealed geometrically.
        laplacian_weight: weight of the Laplacian smoothness term.
        flatten_weight: weight of the flatten term.
        frame_every: record a GIF frame every this many steps (0: no frames).
        seed: seed of the view sampling.
    """

    steps: int = 300
    lr: float = 0.01
    views_per_step: int = 0
    sigma_start: float = 3e-4
    sigma_end: float = 3e-5
    laplacian_weight: float = 0.03
    flatten_weight: float = 3e-4
    frame_every: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if self.views_per_step < 0:
            raise ValueError(f"views_per_step must be >= 0 (0: all views), got {self.views_per_step!r}")
        for name in ("sigma_start", "sigma_end"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("laplacian_weight", "flatten_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.frame_every < 0:
            raise ValueError(f"frame_every must be >= 0 (0: no frames), got {self.frame_every!r}")


@dataclasses.dataclass
class ShapeFitResult:
    """What ``fit_shape`` returns.

    Attributes:
        vertices: (V, 3) float, the fitted vertices (detached).
        losses: the total loss at every step.
        frames: GIF frames (H', W', 3) uint8: targets on top, current fit below.
    """

    vertices: torch.Tensor
    losses: List[float]
    frames: List[np.ndarray]


def render_silhouettes(vertices: torch.Tensor, faces: torch.Tensor, views: ViewSet, settings: RasterSettings) -> torch.Tensor:
    """Silhouettes of one mesh from every view of ``views``.

    Args:
        vertices: (V, 3) float, object frame.
        faces: (F, 3) long.
        views: K views.
        settings: rasterizer settings (soft or hard).

    Returns:
        (K, H, W) float in [0, 1], differentiable with respect to ``vertices``.
    """
    camera = views.camera(dtype=vertices.dtype, device=vertices.device)
    batch = vertices[None].expand(len(views), -1, -1)
    return SoftRenderer(settings).render_silhouette(batch, faces, camera)


def hard_silhouettes(vertices: torch.Tensor, faces: torch.Tensor, views: ViewSet, image_size: int) -> torch.Tensor:
    """Binary silhouettes (a pixel is set where its centre lies inside a face): (K, H, W) bool."""
    settings = RasterSettings(image_size=image_size, **HARD_SILHOUETTE)
    with torch.no_grad():
        return render_silhouettes(vertices.detach(), faces, views, settings) > 0.5


def fit_shape(
    template_vertices: torch.Tensor,
    faces: torch.Tensor,
    target_silhouettes: torch.Tensor,
    views: ViewSet,
    settings: RasterSettings,
    options: ShapeFitOptions = ShapeFitOptions(),
    frame_views: Optional[torch.Tensor] = None,
    progress: bool = False,
    on_step: Optional[Callable[[int, float], None]] = None,
) -> ShapeFitResult:
    """Deform a template so that its soft silhouettes match ``target_silhouettes``.

    Args:
        template_vertices: (V, 3) float: the template in the object frame (already at
            its starting size; the global scale starts at 1).
        faces: (F, 3) long: the template's faces (outward, counter-clockwise).
        target_silhouettes: (K, H, W) float or bool: the masks to match, one per view.
        views: the K views of the targets.
        settings: rasterizer settings; its sigma is replaced by the annealed one.
        options: optimization settings.
        frame_views: (M,) long indices into the K views shown in the GIF frames
            (default: up to the first four).
        progress: show a tqdm progress bar with the loss.
        on_step: called as ``on_step(step, loss)`` after every step.

    Returns:
        A ``ShapeFitResult``.
    """
    num_views = len(views)
    if target_silhouettes.dim() != 3 or target_silhouettes.shape[0] != num_views:
        raise ValueError(f"target_silhouettes must have shape (K={num_views}, H, W), got {tuple(target_silhouettes.shape)}")
    if tuple(target_silhouettes.shape[1:]) != tuple(settings.image_size):
        raise ValueError(f"target_silhouettes are {tuple(target_silhouettes.shape[1:])} but settings.image_size is {settings.image_size}")
    dtype, device = template_vertices.dtype, template_vertices.device
    targets = target_silhouettes.to(dtype=dtype, device=device)
    if frame_views is None:
        frame_views = torch.arange(min(num_views, 4))
    deformation = TemplateDeformation(template_vertices, initial_scale=1.0).to(device)
    laplacian = LaplacianLoss(faces, template_vertices.shape[0]).to(device)
    flatten = FlattenLoss(faces).to(device)
    optimizer = torch.optim.Adam(deformation.parameters(), lr=options.lr, betas=ADAM_BETAS)
    generator = torch.Generator().manual_seed(options.seed)
    batch_size = num_views if options.views_per_step == 0 else min(options.views_per_step, num_views)

    losses: List[float] = []
    frames: List[np.ndarray] = []
    bar = tqdm(range(options.steps), desc="fit shape", disable=not progress, dynamic_ncols=True)
    for step in bar:
        sigma = geometric_anneal(options.sigma_start, options.sigma_end, step, options.steps)
        step_settings = settings.replace(sigma=sigma)
        chosen = torch.randperm(num_views, generator=generator)[:batch_size].sort().values
        vertices = deformation()
        silhouettes = render_silhouettes(vertices, faces, views.subset(chosen), step_settings)
        loss = soft_iou_loss(silhouettes, targets[chosen.to(device)])
        loss = loss + options.laplacian_weight * laplacian(vertices[None]) + options.flatten_weight * flatten(vertices[None])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        bar.set_postfix(loss=f"{losses[-1]:.4f}", sigma=f"{sigma:.1e}")
        if on_step is not None:
            on_step(step, losses[-1])
        if options.frame_every and (step % options.frame_every == 0 or step == options.steps - 1):
            frames.append(_frame(deformation, faces, views.subset(frame_views), targets[frame_views.to(device)], step_settings))
    return ShapeFitResult(vertices=deformation().detach(), losses=losses, frames=frames)


def _frame(deformation: TemplateDeformation, faces, views: ViewSet, targets: torch.Tensor, settings: RasterSettings) -> np.ndarray:
    """One GIF frame: the targets on top, the current soft silhouettes below."""
    with torch.no_grad():
        current = render_silhouettes(deformation(), faces, views, settings)
    return make_frame([targets, current], scale=max(1, GIF_TILE_PIXELS // settings.width))
