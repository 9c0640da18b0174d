"""The model with its loss: one training step's forward and backward (Lightning's module).

The network predicts a mesh (and, for the colour model, surface textures) from each
image of a batch of view pairs; the objective renders them and returns the loss terms.
The step is split at the network's outputs (network forward, then renderer and losses
forward and backward down to those outputs, then the network backward) so that each
phase can be timed on its own; the gradients are the same as one backward pass.

Shape symbols: B view pairs, S image side, V vertices, F faces, T texels per face.
"""

from __future__ import annotations

from typing import Dict, List

import torch
from torch import nn

from softrecon.renderer.settings import RasterSettings
from softrecon.runtime.timing import PhaseTimer

from .objective import MultiViewObjective, StepOutput


class ReconstructionTask:
    """The network and the multi-view objective of one training run.

    Args:
        model: the ``ReconstructionModel`` (its ``faces``, ``has_color``, weights).
        objective: the ``MultiViewObjective`` (owns the renderer).
        network: what is called in the forward pass: ``model`` itself, or its
            ``DistributedDataParallel`` wrapper (whose backward all-reduces the gradients).
        timer: times the phases ``network_forward``, ``render_and_loss``, ``network_backward``.
    """

    def __init__(self, model: nn.Module, objective: MultiViewObjective, network: nn.Module, timer: PhaseTimer) -> None:
        self.model = model
        self.objective = objective
        self.network = network
        self.timer = timer

    def forward(self, images: torch.Tensor) -> List[torch.Tensor]:
        """The network's outputs for (2B, 4, S, S) images: [vertices (2B, V, 3)] or, for
        the colour model, [vertices, textures (2B, F, T, 3)]."""
        if self.model.has_color:
            vertices, color = self.network(images, with_color=True)
            return [vertices, color.textures]
        return [self.network(images)]

    def training_step(self, batch: Dict[str, torch.Tensor], settings: RasterSettings) -> StepOutput:
        """Forward and backward of one batch: leaves the gradients in the model's
        parameters (the caller zeroes them before and steps the optimizer after).

        Args:
            batch: 'images_a', 'images_b' (B, 4, S, S) float at the render size,
                'view_a', 'view_b' (B,) long view indices.
            settings: the renderer settings of this step (the scheduled sigma).

        Returns:
            The objective's ``StepOutput`` (loss, detached terms and renders).
        """
        self.network.train()
        with self.timer.phase("network_forward"):
            outputs = self.forward(torch.cat([batch["images_a"], batch["images_b"]], dim=0))
        with self.timer.phase("render_and_loss"):  # forward and backward down to the network's outputs
            leaves = [tensor.detach().requires_grad_() for tensor in outputs]
            textures = leaves[1] if len(leaves) > 1 else None
            output = self.objective(
                leaves[0], batch["images_a"], batch["images_b"], batch["view_a"], batch["view_b"], textures, settings
            )
            output.loss.backward()
        with self.timer.phase("network_backward"):  # includes the DDP gradient all-reduce
            grads = [leaf.grad if leaf.grad is not None else torch.zeros_like(leaf) for leaf in leaves]
            torch.autograd.backward(outputs, grads)
        return output
