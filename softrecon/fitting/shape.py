"""Shape fitting: deform a template sphere until its soft silhouettes match a set of
target silhouettes (the paper's image-based shape fitting), and score the result.

The template's vertices move as ``exp(log_scale) * (template + offsets) + translation``
(per-vertex offsets, one global scale, one translation), optimized with Adam on the
soft IoU loss of the rendered silhouettes plus Laplacian and flatten regularizers,
while the rasterizer's blur sigma is annealed geometrically from large to small.
Optionally (``color_weight > 0`` and colour targets given) per-vertex colours are
fitted too, with a mean squared error on the rendered RGB (SoftRas' default lighting).

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

from .rendering import render_rgba
from .schedule import geometric_anneal
from .views import ViewSet
from .visualization import make_frame

# Adam's betas for fitting, as in SoftRas' deformation demo (a short first-moment
# memory suits the moving target of an annealed blur).
ADAM_BETAS = (0.5, 0.99)
# Rasterizer settings of the binary (hard) silhouettes used as targets and for scoring.
HARD_SILHOUETTE = {"dist_func": "hard", "aggr_alpha": "hard"}
# ... and of the hard colour images: z-buffer colours (the nearest face's).
HARD_RGBA = {**HARD_SILHOUETTE, "aggr_rgb": "hard"}
# Faces x views of one call of the hard renders (targets, held-out scoring): bounds their
# memory for big meshes (the rasterizer's memory per face and view: docs/DATA.md section 5).
FACE_VIEWS_PER_CALL = 1 << 20
# Starting colour of fitted vertex colours (sigmoid of zero logits): mid grey.
INITIAL_COLOR_LOGIT = 0.0
# Colours carried into a new stage are clamped to [c, 1 - c] before their logit (finite).
COLOR_CLAMP = 1e-3
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
        if (
            not isinstance(template_vertices, torch.Tensor)
            or template_vertices.dim() != 2
            or template_vertices.shape[1] != 3
        ):
            raise ValueError(
                f"template_vertices must be a (V, 3) tensor, got {getattr(template_vertices, 'shape', None)}"
            )
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
        gif_every: record a GIF frame every this many steps (0: no frames).
        seed: seed of the view sampling.
        color_weight: weight of the RGB mean squared error when colour targets are
            given (0: silhouettes only).
    """

    steps: int = 300
    lr: float = 0.01
    views_per_step: int = 0
    sigma_start: float = 3e-4
    sigma_end: float = 3e-5
    laplacian_weight: float = 0.03
    flatten_weight: float = 3e-4
    gif_every: int = 10
    seed: int = 0
    color_weight: float = 0.0

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
        for name in ("laplacian_weight", "flatten_weight", "color_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.gif_every < 0:
            raise ValueError(f"gif_every must be >= 0 (0: no frames), got {self.gif_every!r}")


@dataclasses.dataclass
class ShapeFitResult:
    """What ``fit_shape`` returns.

    Attributes:
        vertices: (V, 3) float, the fitted vertices (detached).
        losses: the total loss at every step.
        frames: GIF frames (H', W', 3) uint8: target silhouettes, current silhouettes
            (and, when fitting colours, target colours, current colours), one row each.
        colors: (V, C) float fitted vertex colours in [0, 1], or None (not fitted).
    """

    vertices: torch.Tensor
    losses: List[float]
    frames: List[np.ndarray]
    colors: Optional[torch.Tensor] = None


def render_silhouettes(
    vertices: torch.Tensor, faces: torch.Tensor, views: ViewSet, settings: RasterSettings
) -> torch.Tensor:
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
        return torch.cat(
            [
                render_silhouettes(vertices.detach(), faces, chunk, settings) > 0.5
                for chunk in _view_chunks(views, len(faces))
            ]
        )


def hard_color_images(
    vertices: torch.Tensor, faces: torch.Tensor, colors: torch.Tensor, views: ViewSet, image_size: int
) -> torch.Tensor:
    """Hard (z-buffer colour) renders of a mesh with vertex colours, lit as in fitting.

    Args:
        vertices: (V, 3) float; faces (F, 3) long; colors (V, C) float in [0, 1].
        views: K views.
        image_size: S for S x S images.

    Returns:
        (K, C, H, W) colour images (background colour outside the object).
    """
    settings = RasterSettings(image_size=image_size, **HARD_RGBA)
    with torch.no_grad():
        return torch.cat(
            [
                render_rgba(
                    vertices.detach(),
                    faces,
                    colors,
                    chunk.camera(dtype=vertices.dtype, device=vertices.device),
                    settings,
                )[:, :-1]
                for chunk in _view_chunks(views, len(faces))
            ]
        )


def _view_chunks(views: ViewSet, num_faces: int):
    """``views`` in consecutive subsets of about ``FACE_VIEWS_PER_CALL`` // F views (at
    least one): a big target mesh is rendered a few views at a time (each view's image
    is the same as in one call with all views)."""
    step = max(1, FACE_VIEWS_PER_CALL // max(1, num_faces))
    for start in range(0, len(views), step):
        yield views.subset(list(range(start, min(len(views), start + step))))


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
    target_colors: Optional[torch.Tensor] = None,
    initial_colors: Optional[torch.Tensor] = None,
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
        target_colors: None, or (K, C, H, W) float target colour images (background
            colour outside the object): per-vertex colours are then fitted as well,
            weighted by ``options.color_weight`` (which must be > 0).
        initial_colors: None (start mid-grey), or (V, C) colours in [0, 1] to start the
            colour fit from (e.g. a coarser stage's, carried over by subdivision).

    Returns:
        A ``ShapeFitResult``.
    """
    _check_targets(target_silhouettes, target_colors, views, settings, options)
    dtype, device = template_vertices.dtype, template_vertices.device
    num_views = len(views)
    targets = target_silhouettes.to(dtype=dtype, device=device)
    if target_colors is not None:
        target_colors = target_colors.to(dtype=dtype, device=device)
    if frame_views is None:
        frame_views = torch.arange(min(num_views, 4))
    deformation = TemplateDeformation(template_vertices, initial_scale=1.0).to(device)
    parameters = list(deformation.parameters())
    color_logits = None
    if target_colors is not None:
        color_logits = nn.Parameter(_initial_color_logits(template_vertices, target_colors.shape[1], initial_colors))
        parameters.append(color_logits)
    scene = _ShapeScene(faces, views, color_logits)
    laplacian = LaplacianLoss(faces, template_vertices.shape[0]).to(device)
    flatten = FlattenLoss(faces).to(device)
    optimizer = torch.optim.Adam(parameters, lr=options.lr, betas=ADAM_BETAS)
    generator = torch.Generator().manual_seed(options.seed)
    batch_size = num_views if options.views_per_step == 0 else min(options.views_per_step, num_views)

    losses: List[float] = []
    frames: List[np.ndarray] = []
    bar = tqdm(range(options.steps), desc="fit shape", disable=not progress, dynamic_ncols=True)
    for step in bar:
        sigma = geometric_anneal(options.sigma_start, options.sigma_end, step, options.steps)
        step_settings = settings.replace(sigma=sigma)
        chosen = torch.randperm(num_views, generator=generator)[:batch_size].sort().values.to(device)
        vertices = deformation()
        silhouettes, colors = scene.render(vertices, chosen, step_settings)
        loss = soft_iou_loss(silhouettes, targets[chosen])
        if colors is not None:
            loss = loss + options.color_weight * (colors - target_colors[chosen]).pow(2).mean()
        loss = (
            loss
            + options.laplacian_weight * laplacian(vertices[None])
            + options.flatten_weight * flatten(vertices[None])
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        bar.set_postfix(loss=f"{losses[-1]:.4f}", sigma=f"{sigma:.1e}")
        if on_step is not None:
            on_step(step, losses[-1])
        if options.gif_every and (step % options.gif_every == 0 or step == options.steps - 1):
            index = frame_views.to(device)
            rows = [targets[index]] + ([] if target_colors is None else [target_colors[index]])
            frames.append(scene.frame(deformation, index, step_settings, rows))
    colors = None if color_logits is None else torch.sigmoid(color_logits).detach()
    return ShapeFitResult(vertices=deformation().detach(), losses=losses, frames=frames, colors=colors)


def _check_targets(
    target_silhouettes: torch.Tensor,
    target_colors: Optional[torch.Tensor],
    views: ViewSet,
    settings: RasterSettings,
    options: ShapeFitOptions,
) -> None:
    """Raise ``ValueError`` naming the argument when the targets do not fit the views,
    the image size or each other (see ``fit_shape``)."""
    num_views = len(views)
    if target_silhouettes.dim() != 3 or target_silhouettes.shape[0] != num_views:
        raise ValueError(
            f"target_silhouettes must have shape (K={num_views}, H, W), got {tuple(target_silhouettes.shape)}"
        )
    if tuple(target_silhouettes.shape[1:]) != tuple(settings.image_size):
        raise ValueError(
            f"target_silhouettes are {tuple(target_silhouettes.shape[1:])} but settings.image_size is {settings.image_size}"
        )
    if target_colors is None:
        return
    if (
        target_colors.dim() != 4
        or target_colors.shape[0] != num_views
        or target_colors.shape[2:] != target_silhouettes.shape[1:]
    ):
        raise ValueError(
            f"target_colors must have shape (K={num_views}, C, H, W) matching the silhouettes, got {tuple(target_colors.shape)}"
        )
    if not options.color_weight > 0:
        raise ValueError(
            f"target_colors were given but options.color_weight is {options.color_weight!r}; it must be > 0"
        )


def _initial_color_logits(
    template_vertices: torch.Tensor, num_channels: int, initial_colors: Optional[torch.Tensor]
) -> torch.Tensor:
    """(V, C) logits of the starting vertex colours: mid-grey, or ``initial_colors`` (V, C)
    in [0, 1] (clamped away from 0 and 1), on the template's dtype and device."""
    dtype, device = template_vertices.dtype, template_vertices.device
    shape = (template_vertices.shape[0], num_channels)
    if initial_colors is None:
        return torch.full(shape, INITIAL_COLOR_LOGIT, dtype=dtype, device=device)
    if tuple(initial_colors.shape) != shape:
        raise ValueError(f"initial_colors must have shape {shape}, got {tuple(initial_colors.shape)}")
    return torch.logit(initial_colors.detach().to(dtype=dtype, device=device).clamp(COLOR_CLAMP, 1 - COLOR_CLAMP))


class _ShapeScene:
    """What ``fit_shape`` renders: the template's faces from chosen views, with the fitted
    vertex colours (``color_logits`` (V, C), sigmoid-ed) or as silhouettes alone (None)."""

    def __init__(self, faces: torch.Tensor, views: ViewSet, color_logits: Optional[torch.Tensor]) -> None:
        self.faces, self.views, self.color_logits = faces, views, color_logits

    def render(self, vertices: torch.Tensor, view_index: torch.Tensor, settings: RasterSettings):
        """(silhouettes (B, H, W), colour images (B, C, H, W) or None) of the views
        ``view_index`` (B,) long."""
        chosen_views = self.views.subset(view_index)
        if self.color_logits is None:
            return render_silhouettes(vertices, self.faces, chosen_views, settings), None
        camera = chosen_views.camera(dtype=vertices.dtype, device=vertices.device)
        rgba = render_rgba(vertices, self.faces, torch.sigmoid(self.color_logits), camera, settings)
        return rgba[:, -1], rgba[:, :-1]

    def frame(self, deformation, view_index: torch.Tensor, settings: RasterSettings, target_rows) -> np.ndarray:
        """One GIF frame: the target silhouettes, the current ones (and, with colours, the
        target colours, the current colours), one row each."""
        with torch.no_grad():
            current, current_colors = self.render(deformation(), view_index, settings)
        rows = [target_rows[0], current]
        if current_colors is not None:
            rows += [target_rows[1], current_colors]
        return make_frame(rows, scale=max(1, GIF_TILE_PIXELS // settings.width))
