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


def _args(settings: NmrSettings, face_vertices: torch.Tensor, face_colors: Optional[torch.Tensor]):
    """The op's one argument struct (``NmrArgs`` in ``csrc/common/nmr_params.h``)."""
    ext = soft_kernels._extension()
    args = ext.NmrParams()
    args.height, args.width = settings.image_size
    args.near = settings.near
    args.far = settings.far
    args.double_sided = bool(settings.double_sided)
    num_channels = 0 if face_colors is None else face_colors.shape[-1]
    background = list(settings.background)
    args.background = (background * num_channels if len(background) == 1 else background) if num_channels else []
    return args


class _NmrKernelFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, face_vertices, face_colors, settings, emulate_cuda):
        ext = soft_kernels._extension()
        params = _args(settings, face_vertices, face_colors)
        fv = face_vertices.detach().contiguous()
        fc = None if face_colors is None else face_colors.detach().contiguous()
        image, alpha_face, color_face, color_inv_depth = ext.nmr_forward(fv, fc, params, emulate_cuda)
        ctx.params = params
        ctx.emulate_cuda = emulate_cuda
        ctx.save_for_backward(fv, fc, image, alpha_face, color_face, color_inv_depth)
        return image

    @staticmethod
    def backward(ctx, grad_image):
        ext = soft_kernels._extension()
        fv, fc, image, alpha_face, color_face, color_inv_depth = ctx.saved_tensors
        grad_vertices, grad_colors = ext.nmr_backward(
            fv,
            fc,
            image,
            alpha_face,
            color_face,
            color_inv_depth,
            grad_image.contiguous(),
            ctx.params,
            ctx.emulate_cuda,
        )
        return grad_vertices, (grad_colors if fc is not None else None), None, None


def nmr_kernel(
    face_vertices: torch.Tensor, face_colors: Optional[torch.Tensor], settings: NmrSettings, emulate_cuda: bool = False
) -> torch.Tensor:
    """The compiled NMR renderer: (N, C + 1, H, W), gradients as ``nmr_rasterize_reference``."""
    return _NmrKernelFunction.apply(face_vertices, face_colors, settings, emulate_cuda)


def nmr_maps(face_vertices, face_colors, settings, emulate_cuda: bool = False):
    """The compiled forward's image and ``NmrMaps`` (for tests against the reference)."""
    ext = soft_kernels._extension()
    fc = None if face_colors is None else face_colors.contiguous()
    image, a, c, d = ext.nmr_forward(
        face_vertices.contiguous(), fc, _args(settings, face_vertices, face_colors), emulate_cuda
    )
    return image, NmrMaps(a, c, d)
