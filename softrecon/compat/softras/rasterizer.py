"""SoftRas' ``SoftRasterizer`` module (``soft_renderer/rasterizer.py``).

Shape symbols: N batch, F faces, S image size.
"""

from __future__ import annotations

import torch.nn as nn
import torch.nn.functional as F

from . import functional as srf

DIST_FUNCS = ("hard", "euclidean", "barycentric")
AGGR_FUNCS_RGB = ("hard", "softmax")
AGGR_FUNCS_ALPHA = ("hard", "prod", "sum")
TEXTURE_TYPES = ("surface", "vertex")


class SoftRasterizer(nn.Module):
    """Rasterize a ``Mesh`` already in screen space: ``forward(mesh, mode=None)`` ->
    (N, 4, S, S) RGBA via ``functional.soft_rasterize``.

    Every attribute (``sigma_val``, ``gamma_val``, ``texture_type``...) may be changed
    between calls, as SoftRas' code does. ``anti_aliasing`` renders at 2 S and averages
    2 x 2 blocks (sigma unchanged, as SoftRas). ``mode`` is accepted and ignored, as in
    SoftRas (every call returns RGBA).

    ``renderer='nmr'`` (not part of SoftRas) renders with the NMR renderer (Kato et al.
    2018): hard images, NMR's approximate gradient (``functional.soft_rasterize``).

    Note the defaults: SoftRas' ``SoftRasterizer`` has ``fill_back=False`` while its
    ``SoftRenderer`` passes ``fill_back=True``; both are kept.
    """

    def __init__(
        self,
        image_size=256,
        background_color=[0, 0, 0],  # noqa: B006 (SoftRas' signature; never mutated)
        near=1,
        far=100,
        anti_aliasing=False,
        fill_back=False,
        eps=1e-3,
        sigma_val=1e-5,
        dist_func="euclidean",
        dist_eps=1e-4,
        gamma_val=1e-4,
        aggr_func_rgb="softmax",
        aggr_func_alpha="prod",
        texture_type="surface",
        *,
        renderer="softras",
    ):
        super().__init__()
        if renderer not in srf.RENDERERS:
            raise ValueError(f"renderer must be one of {srf.RENDERERS}, got {renderer!r}")
        if dist_func not in DIST_FUNCS:
            raise ValueError("Distance function only support hard, euclidean and barycentric")
        if aggr_func_rgb not in AGGR_FUNCS_RGB:
            raise ValueError("Aggregate function(rgb) only support hard and softmax")
        if aggr_func_alpha not in AGGR_FUNCS_ALPHA:
            raise ValueError("Aggregate function(a) only support hard, prod and sum")
        if texture_type not in TEXTURE_TYPES:
            raise ValueError("Texture type only support surface and vertex")
        self.image_size = image_size
        self.background_color = background_color
        self.near = near
        self.far = far
        self.anti_aliasing = anti_aliasing
        self.eps = eps
        self.fill_back = fill_back
        self.sigma_val = sigma_val
        self.dist_func = dist_func
        self.dist_eps = dist_eps
        self.gamma_val = gamma_val
        self.aggr_func_rgb = aggr_func_rgb
        self.aggr_func_alpha = aggr_func_alpha
        self.texture_type = texture_type
        self.renderer = renderer

    def forward(self, mesh, mode=None):
        image_size = self.image_size * (2 if self.anti_aliasing else 1)
        images = srf.soft_rasterize(
            mesh.face_vertices,
            mesh.face_textures,
            image_size,
            self.background_color,
            self.near,
            self.far,
            self.fill_back,
            self.eps,
            self.sigma_val,
            self.dist_func,
            self.dist_eps,
            self.gamma_val,
            self.aggr_func_rgb,
            self.aggr_func_alpha,
            self.texture_type,
            renderer=self.renderer,
        )
        if self.anti_aliasing:
            images = F.avg_pool2d(images, kernel_size=2, stride=2)
        return images

    def native_settings(self):
        """The ``softrecon.renderer.RasterSettings`` this rasterizer renders with (at the
        output size, before anti-aliasing). Not part of SoftRas: for porting."""
        return srf.raster_settings(
            self.image_size, self.background_color, self.near, self.far, self.fill_back, self.eps,
            self.sigma_val, self.dist_func, self.dist_eps, self.gamma_val, self.aggr_func_rgb, self.aggr_func_alpha,
            renderer=self.renderer,
        )  # fmt: skip
