"""Bridge to the compiled NMR ops of ``softrecon._C`` (``csrc/*/nmr_*``).

``nmr_available`` says whether this build has them (an older build of the extension may
not); ``nmr_kernel`` is an autograd Function whose forward and backward are the C++ /
CUDA kernels (or the CUDA kernels emulated on the host, ``emulate_cuda``).

Shape symbols: N batch, F faces, C colour channels, H x W image.
"""

from __future__ import annotations

from typing import Optional

import torch

from .. import _kernels as soft_kernels
from .reference import NmrMaps
from .settings import NmrSettings


def nmr_available(device: torch.device, emulate_cuda: bool = False) -> bool:
    """Whether ``softrecon._C`` has the NMR ops for ``device`` (or their CUDA emulation)."""
    ext = soft_kernels._extension()
    if ext is None or not hasattr(ext, "nmr_forward"):
        return False
    if emulate_cuda:
        return torch.device(device).type == "cpu"
    return soft_kernels.kernel_available(device)


def _params(settings: NmrSettings, emulate_cuda: bool):
    """The ops' parameter struct (``NmrParams`` in ``csrc/common/nmr_params.h``)."""
    params = soft_kernels._extension().NmrParams()
    params.height, params.width = settings.image_size
    params.near = settings.near
    params.far = settings.far
    params.double_sided = bool(settings.double_sided)
    params.emulate_cuda = bool(emulate_cuda)
    return params


def _colors_and_background(face_vertices: torch.Tensor, face_colors: Optional[torch.Tensor], settings: NmrSettings):
    """The colours as the op takes them (an empty tensor for alpha only) and the (C,)
    background."""
    if face_colors is None:
        empty = face_vertices.new_empty(0)
        return empty, empty
    background = torch.as_tensor(settings.background, dtype=face_vertices.dtype, device=face_vertices.device)
    return face_colors.detach().contiguous(), background.expand(face_colors.shape[-1]).contiguous()


def forward_maps(face_vertices, face_colors, settings, emulate_cuda: bool = False):
    """The compiled forward: ((N, C + 1, H, W) image, ``NmrMaps``), no autograd."""
    colors, background = _colors_and_background(face_vertices, face_colors, settings)
    image, alpha_face, color_face, color_inv_depth = soft_kernels._extension().nmr_forward(
        _params(settings, emulate_cuda), face_vertices.detach().contiguous(), colors, background
    )
    return image, NmrMaps(alpha_face, color_face, color_inv_depth)


class _NmrKernelFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, face_vertices, face_colors, settings, emulate_cuda):
        image, maps = forward_maps(face_vertices, face_colors, settings, emulate_cuda)
        ctx.params = _params(settings, emulate_cuda)
        ctx.has_colors = face_colors is not None
        colors, _ = _colors_and_background(face_vertices, face_colors, settings)
        ctx.save_for_backward(face_vertices.detach(), colors, image, *maps)
        return image

    @staticmethod
    def backward(ctx, grad_image):
        face_vertices, colors, image, alpha_face, color_face, color_inv_depth = ctx.saved_tensors
        grad_vertices, grad_colors = soft_kernels._extension().nmr_backward(
            ctx.params, face_vertices, colors, image, alpha_face, color_face, color_inv_depth, grad_image.contiguous()
        )
        return grad_vertices, (grad_colors if ctx.has_colors else None), None, None


def nmr_kernel(
    face_vertices: torch.Tensor, face_colors: Optional[torch.Tensor], settings: NmrSettings, emulate_cuda: bool = False
) -> torch.Tensor:
    """The compiled NMR renderer: (N, C + 1, H, W), gradients as ``nmr_rasterize_reference``."""
    return _NmrKernelFunction.apply(face_vertices, face_colors, settings, emulate_cuda)
