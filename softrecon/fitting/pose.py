"""Pose fitting: recover the rigid pose of a known coloured mesh from one image in which
part of the object is hidden by an occluder, with an annealed (blurry-to-sharp) soft
rasterizer.

The object is posed as ``v -> R v + t`` in the object/world frame and seen by a fixed
camera. The rotation is ``R = exp([w]_x) R_start`` with ``w`` (axis-angle, radians)
and the translation ``t`` the parameters, optimized with Adam on

    rgb_weight * MSE(RGB) + silhouette_weight * (1 - soft IoU(alpha))

computed over the UNOCCLUDED pixels only: the occluder's pixels are excluded from both
terms (they say nothing about the object behind them). Sigma and gamma are annealed
geometrically from large (wide basin of attraction) to small (sharp, precise).

Shape symbols: V vertices, F faces, C colour channels, H x W image.
"""

from __future__ import annotations

import dataclasses
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from softrecon.losses import soft_iou_loss
from softrecon.renderer import RasterSettings

from .rendering import render_rgba
from .rotation import axis_angle_to_matrix, geodesic_angle_degrees
from .schedule import geometric_anneal
from .visualization import make_frame

# Colour painted over the occluded rectangle of the target image (mid grey).
OCCLUDER_COLOR = 0.5
# GIF tiles are upscaled (nearest neighbour) to about this width in pixels.
GIF_TILE_PIXELS = 128


class RigidPose(nn.Module):
    """A rigid transform ``v -> R v + t`` with ``R = exp([w]_x) R_start``.

    Args:
        start_rotation: (3, 3) float, the rotation at the start.
        start_translation: (3,) float, the translation at the start.

    Parameters: ``axis_angle`` (3,) zeros (the correction to ``start_rotation``) and
    ``translation`` (3,).
    """

    def __init__(self, start_rotation: torch.Tensor, start_translation: torch.Tensor) -> None:
        super().__init__()
        if start_rotation.shape != (3, 3):
            raise ValueError(f"start_rotation must have shape (3, 3), got {tuple(start_rotation.shape)}")
        if start_translation.shape != (3,):
            raise ValueError(f"start_translation must have shape (3,), got {tuple(start_translation.shape)}")
        self.register_buffer("start_rotation", start_rotation.detach().clone())
        self.axis_angle = nn.Parameter(torch.zeros(3, dtype=start_rotation.dtype))
        self.translation = nn.Parameter(start_translation.detach().clone())

    def rotation(self) -> torch.Tensor:
        """The current rotation: (3, 3)."""
        return axis_angle_to_matrix(self.axis_angle) @ self.start_rotation

    def forward(self, vertices: torch.Tensor) -> torch.Tensor:
        """Apply the pose to (V, 3) vertices: (V, 3)."""
        return vertices @ self.rotation().transpose(0, 1) + self.translation


def occluder_mask(image_size: Tuple[int, int], box: Sequence[float]) -> torch.Tensor:
    """The pixels of a rectangle given in image fractions.

    Args:
        image_size: (H, W).
        box: (left, top, right, bottom) as fractions of the width and height, each in
            [0, 1] with left < right and top < bottom (top = row 0).

    Returns:
        (H, W) bool, True inside the rectangle (pixel centres inside it).
    """
    box = tuple(float(b) for b in box)
    if len(box) != 4 or not all(0.0 <= b <= 1.0 for b in box) or not (box[0] < box[2] and box[1] < box[3]):
        raise ValueError(
            f"occluder box must be (left, top, right, bottom) fractions in [0, 1] with left < right, top < bottom, got {box!r}"
        )
    height, width = image_size
    cols = (torch.arange(width, dtype=torch.float64) + 0.5) / width
    rows = (torch.arange(height, dtype=torch.float64) + 0.5) / height
    inside_cols = (cols >= box[0]) & (cols <= box[2])
    inside_rows = (rows >= box[1]) & (rows <= box[3])
    return inside_rows[:, None] & inside_cols[None, :]


def paint_occluder(image: torch.Tensor, occluded: torch.Tensor, color: float = OCCLUDER_COLOR) -> torch.Tensor:
    """Paint an opaque occluder over an RGBA image.

    Args:
        image: (C + 1, H, W) float: colour channels then alpha.
        occluded: (H, W) bool: the occluder's pixels.
        color: the occluder's colour (every channel).

    Returns:
        (C + 1, H, W): ``color`` and alpha 1 on the occluder, ``image`` elsewhere.
    """
    if image.dim() != 3 or occluded.shape != image.shape[1:]:
        raise ValueError(
            f"image must be (C + 1, H, W) and occluded (H, W) of the same size, got {tuple(image.shape)} and {tuple(occluded.shape)}"
        )
    painted = torch.full_like(image, color)
    painted[-1] = 1.0
    return torch.where(occluded[None], painted, image)


@dataclasses.dataclass(frozen=True)
class PoseFitOptions:
    """Optimization settings of ``fit_pose``.

    Attributes:
        steps: number of Adam steps, >= 1.
        lr: Adam learning rate (radians for the axis-angle, object units for t).
        sigma_start, sigma_end: blur at the first and last step (geometric anneal).
        gamma_start, gamma_end: depth-softmax temperature, annealed likewise.
        rgb_weight: weight of the colour MSE term.
        silhouette_weight: weight of the silhouette soft IoU term.
        gif_every: record a GIF frame every this many steps (0: none).
    """

    steps: int = 150
    lr: float = 0.03
    sigma_start: float = 3e-3
    sigma_end: float = 1e-5
    gamma_start: float = 3e-2
    gamma_end: float = 1e-4
    rgb_weight: float = 1.0
    silhouette_weight: float = 1.0
    gif_every: int = 5

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps!r}")
        for name in ("lr", "sigma_start", "sigma_end", "gamma_start", "gamma_end"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("rgb_weight", "silhouette_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.gif_every < 0:
            raise ValueError(f"gif_every must be >= 0 (0: no frames), got {self.gif_every!r}")


@dataclasses.dataclass
class PoseFitResult:
    """What ``fit_pose`` returns.

    Attributes:
        rotation: (3, 3) the fitted rotation (detached).
        translation: (3,) the fitted translation (detached).
        losses: total loss at every step.
        rotation_errors: geodesic error to the true rotation (degrees) before every
            step and after the last (steps + 1 values); empty without a true pose.
        frames: GIF frames (H', W', 3) uint8: target | current render | |difference|.
    """

    rotation: torch.Tensor
    translation: torch.Tensor
    losses: List[float]
    rotation_errors: List[float]
    frames: List[np.ndarray]


def masked_pose_loss(
    rendered: torch.Tensor, target: torch.Tensor, visible: torch.Tensor, options: PoseFitOptions
) -> torch.Tensor:
    """The pose loss over the visible pixels.

    Args:
        rendered: (C + 1, H, W) float, the current render (colour then alpha).
        target: (C + 1, H, W) float, the occluded target image.
        visible: (H, W) bool, pixels not hidden by the occluder.

    Returns:
        A scalar: rgb_weight * mean squared colour error over the visible pixels +
        silhouette_weight * soft IoU loss of the alphas restricted to them.
    """
    weight = visible.to(rendered.dtype)
    num_channels = rendered.shape[0] - 1
    squared = (rendered[:-1] - target[:-1]).pow(2) * weight
    mse = squared.sum() / (weight.sum().clamp(min=1.0) * num_channels)
    iou = soft_iou_loss((rendered[-1] * weight)[None], (target[-1] * weight)[None])
    return options.rgb_weight * mse + options.silhouette_weight * iou


def fit_pose(
    vertices: torch.Tensor,
    faces: torch.Tensor,
    colors: torch.Tensor,
    target: torch.Tensor,
    visible: torch.Tensor,
    camera,
    settings: RasterSettings,
    start_rotation: torch.Tensor,
    start_translation: torch.Tensor,
    options: PoseFitOptions = PoseFitOptions(),
    true_rotation: Optional[torch.Tensor] = None,
    progress: bool = False,
) -> PoseFitResult:
    """Find the pose (R, t) under which the mesh renders like ``target`` on visible pixels.

    Args:
        vertices: (V, 3) float, the mesh in its canonical frame.
        faces: (F, 3) long.
        colors: (V, C) float per-vertex colours in [0, 1].
        target: (C + 1, H, W) float: the target image (colour, then alpha), occluder painted in.
        visible: (H, W) bool: pixels the loss uses (False on the occluder).
        camera: the fixed camera (batch size 1) with ``.project``.
        settings: rasterizer settings; sigma and gamma are replaced by the annealed ones.
        start_rotation: (3, 3) and start_translation (3,): the initial pose.
        options: optimization settings.
        true_rotation: (3, 3) or None: when given, the rotation error is tracked.
        progress: show a tqdm progress bar with the loss.

    Returns:
        A ``PoseFitResult``.
    """
    if (
        target.dim() != 3
        or target.shape[0] != colors.shape[-1] + 1
        or tuple(target.shape[1:]) != tuple(settings.image_size)
    ):
        raise ValueError(
            f"target must have shape (C + 1 = {colors.shape[-1] + 1}, H, W = {settings.image_size}), got {tuple(target.shape)}"
        )
    if visible.shape != target.shape[1:] or visible.dtype != torch.bool:
        raise ValueError(
            f"visible must be a bool (H, W) = {tuple(target.shape[1:])} mask, got {visible.dtype} {tuple(visible.shape)}"
        )
    pose = RigidPose(start_rotation.to(vertices.dtype), start_translation.to(vertices.dtype))
    optimizer = torch.optim.Adam(pose.parameters(), lr=options.lr)
    losses: List[float] = []
    errors: List[float] = []
    frames: List[np.ndarray] = []

    def track_error() -> None:
        if true_rotation is not None:
            with torch.no_grad():
                errors.append(float(geodesic_angle_degrees(pose.rotation(), true_rotation.to(vertices.dtype))))

    bar = tqdm(range(options.steps), desc="fit pose", disable=not progress, dynamic_ncols=True)
    for step in bar:
        track_error()
        step_settings = settings.replace(
            sigma=geometric_anneal(options.sigma_start, options.sigma_end, step, options.steps),
            gamma=geometric_anneal(options.gamma_start, options.gamma_end, step, options.steps),
        )
        rendered = render_rgba(pose(vertices), faces, colors, camera, step_settings)[0]
        loss = masked_pose_loss(rendered, target, visible, options)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        postfix = {"loss": f"{losses[-1]:.4f}"}
        if errors:
            postfix["rot_err"] = f"{errors[-1]:.1f}"
        bar.set_postfix(postfix)
        if options.gif_every and step % options.gif_every == 0:
            frames.append(_pose_frame(target, rendered.detach(), settings))
    track_error()
    with torch.no_grad():
        final = render_rgba(pose(vertices), faces, colors, camera, step_settings)[0]
    if options.gif_every:
        frames.append(_pose_frame(target, final, settings))
    return PoseFitResult(pose.rotation().detach(), pose.translation.detach().clone(), losses, errors, frames)


def _pose_frame(target: torch.Tensor, rendered: torch.Tensor, settings: RasterSettings) -> np.ndarray:
    """One GIF frame, left to right: the target, the current render, their absolute difference."""
    tiles = torch.stack([target, rendered, (rendered - target).abs()])
    return make_frame([tiles], scale=max(1, GIF_TILE_PIXELS // settings.width))
