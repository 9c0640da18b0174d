"""The multi-view objective of the paper (docs/METHOD.md section 7), silhouettes and colours.

For a batch of view pairs (a, b) of the same objects, the mesh predicted from image a
and the mesh predicted from image b are each rendered at view a and at view b; the four
silhouettes are compared with the ground-truth masks of views a and b (soft IoU), and
the Laplacian and flatten regularizers act on both predicted meshes.

The colour-supervised model also predicts surface textures: the four renders are then
RGBA (softmax colour aggregation, no lighting: the textures are sampled from shaded
input images already), their RGB is compared with the target views' RGB (L1), and a
Laplacian over adjacent faces smooths the textures. The alpha of an RGBA render is the
silhouette of the alpha-only render, so the IoU term is the same in both models.

Shape symbols: B view pairs, S image side, V vertices, F faces, T texels per face.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Optional

import torch
from torch import nn

from softrecon.losses import ColorLaplacianLoss, FlattenLoss, LaplacianLoss, color_l1_loss, multiview_iou_loss
from softrecon.protocol import ALPHA_CHANNEL, RGB_CHANNELS
from softrecon.renderer.cameras import benchmark_camera
from softrecon.renderer.settings import RasterSettings
from softrecon.renderer.soft_renderer import SoftRenderer
from softrecon.structures.mesh import Mesh

RGB = slice(0, RGB_CHANNELS)  # the colour channels of an RGBA image


@dataclasses.dataclass
class StepOutput:
    """What one forward pass of the objective produced."""

    loss: torch.Tensor  # scalar, the weighted total
    terms: Dict[str, torch.Tensor]  # 'iou', 'laplacian', 'flatten' (+ 'color', 'color_laplacian'): scalars (detached)
    vertices: torch.Tensor  # (2B, V, 3): meshes from images a then images b (detached)
    silhouettes: torch.Tensor  # (4, B, S, S): (mesh a, mesh b) x (view a, view b) (detached)
    targets: torch.Tensor  # (4, B, S, S): the matching ground-truth masks
    inputs: Optional[torch.Tensor] = None  # (B, 4, S, S): images a, set by the loop for logging
    schedule: Optional[Dict[str, float]] = None  # {'lr', 'sigma'} the step used, set by the loop (``Schedule.at``)
    textures: Optional[torch.Tensor] = None  # (2B, F, T, 3) colour model: the predicted textures (detached)
    colors: Optional[torch.Tensor] = None  # (4, B, 3, S, S) colour model: the RGB renders (detached)
    color_targets: Optional[torch.Tensor] = None  # (4, B, 3, S, S): the matching target RGB


class MultiViewObjective(nn.Module):
    """Loss of a batch of view pairs: mean soft IoU of 4 silhouettes + regularizers.

    Args:
        renderer: a ``SoftRenderer`` whose settings give the silhouette size and the
            defaults of each call (a call may pass its own settings: the sigma schedule).
        faces: (F, 3) long, the template faces shared by all predicted meshes.
        num_vertices: V.
        weight_iou, weight_laplacian, weight_flatten: the loss weights (paper: 1, 5e-3, 5e-4).
        weight_color, weight_color_laplacian: the colour terms' weights (used when
            textures are given; see the module docstring).
    """

    def __init__(
        self,
        renderer: SoftRenderer,
        faces: torch.Tensor,
        num_vertices: int,
        weight_iou: float = 1.0,
        weight_laplacian: float = 5e-3,
        weight_flatten: float = 5e-4,
        weight_color: float = 0.0,
        weight_color_laplacian: float = 0.0,
    ) -> None:
        super().__init__()
        self.renderer = renderer
        self.register_buffer("faces", faces.long().clone(), persistent=False)
        self.laplacian = LaplacianLoss(faces, num_vertices)
        self.flatten = FlattenLoss(faces)
        self.color_laplacian = ColorLaplacianLoss(faces)
        self.weights = {
            "iou": float(weight_iou),
            "laplacian": float(weight_laplacian),
            "flatten": float(weight_flatten),
            "color": float(weight_color),
            "color_laplacian": float(weight_color_laplacian),
        }

    def forward(
        self,
        vertices: torch.Tensor,
        images_a: torch.Tensor,
        images_b: torch.Tensor,
        view_a: torch.Tensor,
        view_b: torch.Tensor,
        textures: Optional[torch.Tensor] = None,
        settings: Optional[RasterSettings] = None,
    ) -> StepOutput:
        """Args:
        vertices: (2B, V, 3) float: the meshes predicted from images_a, then from images_b.
        images_a, images_b: (B, 4, S, S) float in [0, 1], already at the render size.
        view_a, view_b: (B,) long benchmark view indices of the two images.
        textures: None (silhouette model), or (2B, F, T, 3) float surface textures
            of the same meshes (colour model): adds the colour terms.
        settings: the renderer settings of this step (e.g. the scheduled sigma), or
            None for the renderer's own; the image size must stay the renderer's.
        """
        size = self.renderer.settings.height
        if settings is not None and (settings.height, settings.width) != (
            self.renderer.settings.height,
            self.renderer.settings.width,
        ):
            raise ValueError(
                f"settings must keep the renderer's image size {size}, got {settings.height} x {settings.width}"
            )
        if images_a.shape != images_b.shape or images_a.dim() != 4 or images_a.shape[-1] != size:
            raise ValueError(
                f"images_a and images_b must both be (B, 4, {size}, {size}), got {tuple(images_a.shape)} and {tuple(images_b.shape)}"
            )
        batch = images_a.shape[0]
        if vertices.dim() != 3 or vertices.shape[0] != 2 * batch:
            raise ValueError(f"vertices must be (2B, V, 3) = ({2 * batch}, V, 3), got {tuple(vertices.shape)}")
        # Render [mesh a, mesh b] at view a, then [mesh a, mesh b] at view b.
        render_vertices = torch.cat([vertices, vertices], dim=0)  # (4B, V, 3)
        views = torch.cat([view_a, view_a, view_b, view_b], dim=0)
        camera = benchmark_camera(views, dtype=vertices.dtype, device=vertices.device)
        colors = color_targets = None
        if textures is None:
            silhouettes = self.renderer.render_silhouette(render_vertices, self.faces, camera, settings).view(
                4, batch, size, size
            )
        else:
            if textures.dim() != 4 or textures.shape[0] != 2 * batch or textures.shape[1] != self.faces.shape[0]:
                raise ValueError(
                    f"textures must be (2B, F, T, 3) = ({2 * batch}, {self.faces.shape[0]}, T, 3), got {tuple(textures.shape)}"
                )
            meshes = Mesh(
                render_vertices, self.faces, torch.cat([textures, textures], dim=0), "texture", validate=False
            )
            rgba = self.renderer(meshes, camera, settings).view(4, batch, -1, size, size)  # (4, B, 3 + 1, S, S)
            silhouettes, colors = rgba[:, :, ALPHA_CHANNEL], rgba[:, :, RGB]
            rgb_a, rgb_b = images_a[:, RGB], images_b[:, RGB]
            color_targets = torch.stack([rgb_a, rgb_a, rgb_b, rgb_b], dim=0)
        mask_a, mask_b = images_a[:, ALPHA_CHANNEL], images_b[:, ALPHA_CHANNEL]
        targets = torch.stack([mask_a, mask_a, mask_b, mask_b], dim=0)
        terms = {
            "iou": multiview_iou_loss(silhouettes, targets),
            "laplacian": self.laplacian(vertices),
            "flatten": self.flatten(vertices),
        }
        if textures is not None:
            terms["color"] = color_l1_loss(colors.flatten(0, 1), color_targets.flatten(0, 1))
            terms["color_laplacian"] = self.color_laplacian(textures)
        loss = sum(self.weights[name] * value for name, value in terms.items())
        return StepOutput(
            loss=loss,
            terms={name: value.detach() for name, value in terms.items()},
            vertices=vertices.detach(),
            silhouettes=silhouettes.detach(),
            targets=targets,
            textures=None if textures is None else textures.detach(),
            colors=None if colors is None else colors.detach(),
            color_targets=color_targets,
        )
