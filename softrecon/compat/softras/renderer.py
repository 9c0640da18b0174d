"""SoftRas' renderers (``soft_renderer/renderer.py``): lighting -> camera -> rasterizer.

Shape symbols: N batch, V vertices, F faces, S image size.
"""

from __future__ import annotations

import torch.nn as nn

from .lighting import Lighting
from .mesh import Mesh
from .rasterizer import SoftRasterizer
from .transform import Transform


class SoftRenderer(nn.Module):
    """SoftRas' ``SoftRenderer``, every keyword and default as there.

    Defaults that differ from softrecon's native renderer: image_size 256 (64),
    sigma_val 1e-5 (1e-4), dist_eps 1e-4 (1e-10), fill_back True (double_sided False),
    viewing_angle 30 (15), camera_mode 'projection' (which needs ``P``: without it the
    constructor raises ValueError, as SoftRas), eps 1e-3 meaning a background weight
    exp(2 eps / gamma) (see ``functional.soft_rasterize``), and flat (per-face)
    shading of meshes built without colours ('surface' textures of ones).

    ``forward(vertices, faces, textures=None, mode=None, texture_type='surface')``
    builds a ``Mesh`` and calls ``render_mesh``; both return (N, 4, S, S) RGBA.
    ``renderer='nmr'`` (not part of SoftRas) rasterizes with NMR (Kato et al. 2018):
    hard images with NMR's approximate gradient to the geometry.
    The mesh passed to ``render_mesh`` is modified in place (lit textures, screen-space
    vertices), as SoftRas does: build it again, or call ``mesh.reset_()``, before
    rendering it a second time.
    """

    def __init__(
        self,
        image_size=256,
        background_color=[0, 0, 0],  # noqa: B006 (SoftRas' signature; never mutated)
        near=1,
        far=100,
        anti_aliasing=False,
        fill_back=True,
        eps=1e-3,
        sigma_val=1e-5,
        dist_func="euclidean",
        dist_eps=1e-4,
        gamma_val=1e-4,
        aggr_func_rgb="softmax",
        aggr_func_alpha="prod",
        texture_type="surface",
        camera_mode="projection",
        P=None,
        dist_coeffs=None,
        orig_size=512,
        perspective=True,
        viewing_angle=30,
        viewing_scale=1.0,
        eye=None,
        camera_direction=[0, 0, 1],  # noqa: B006
        light_mode="surface",
        light_intensity_ambient=0.5,
        light_color_ambient=[1, 1, 1],  # noqa: B006
        light_intensity_directionals=0.5,
        light_color_directionals=[1, 1, 1],  # noqa: B006
        light_directions=[0, 1, 0],  # noqa: B006
        *,
        renderer="softras",
    ):
        super().__init__()
        self.lighting = Lighting(
            light_mode,
            light_intensity_ambient,
            light_color_ambient,
            light_intensity_directionals,
            light_color_directionals,
            light_directions,
        )
        self.transform = Transform(
            camera_mode, P, dist_coeffs, orig_size, perspective, viewing_angle, viewing_scale, eye, camera_direction
        )
        self.rasterizer = SoftRasterizer(
            image_size, background_color, near, far, anti_aliasing, fill_back, eps,
            sigma_val, dist_func, dist_eps, gamma_val, aggr_func_rgb, aggr_func_alpha, texture_type,
            renderer=renderer,
        )  # fmt: skip

    def set_sigma(self, sigma):
        self.rasterizer.sigma_val = sigma

    def set_gamma(self, gamma):
        self.rasterizer.gamma_val = gamma

    def set_texture_mode(self, mode):
        """'surface' or 'vertex': for both the lighting and the rasterizer."""
        if mode not in ("vertex", "surface"):
            raise ValueError("Mode only support surface and vertex")
        self.lighting.light_mode = mode
        self.rasterizer.texture_type = mode

    def render_mesh(self, mesh, mode=None):
        self.set_texture_mode(mesh.texture_type)
        mesh = self.lighting(mesh)
        mesh = self.transform(mesh)
        return self.rasterizer(mesh, mode)

    def forward(self, vertices, faces, textures=None, mode=None, texture_type="surface"):
        mesh = Mesh(vertices, faces, textures=textures, texture_type=texture_type)
        return self.render_mesh(mesh, mode)


class Renderer(SoftRenderer):
    """SoftRas' ``Renderer``, the hard (non-soft) rasterizer of Neural 3D Mesh Renderer
    style, with its own defaults (``anti_aliasing=True``, ``eps=1e-6``, no sigma).

    SoftRas' ``Renderer`` cannot be built: it calls ``sr.Rasterizer``, which SoftRas never
    defines. Its signature documents a standard rasterizer, which this is: a
    ``SoftRasterizer`` with ``dist_func='hard'``, ``aggr_func_alpha='hard'`` and
    ``aggr_func_rgb='hard'`` (a z-buffer: the nearest covering face's colour, coverage
    1 inside and 0 outside). Its images have gradients with respect to the colours
    only; ``renderer='nmr'`` (not part of SoftRas) gives them NMR's approximate gradient
    to the geometry as well, which makes this Kato et al.'s renderer. ``mode`` is ignored
    (RGBA always).
    """

    def __init__(
        self,
        image_size=256,
        background_color=[0, 0, 0],  # noqa: B006
        near=1,
        far=100,
        anti_aliasing=True,
        fill_back=True,
        eps=1e-6,
        camera_mode="projection",
        P=None,
        dist_coeffs=None,
        orig_size=512,
        perspective=True,
        viewing_angle=30,
        viewing_scale=1.0,
        eye=None,
        camera_direction=[0, 0, 1],  # noqa: B006
        light_mode="surface",
        light_intensity_ambient=0.5,
        light_color_ambient=[1, 1, 1],  # noqa: B006
        light_intensity_directionals=0.5,
        light_color_directionals=[1, 1, 1],  # noqa: B006
        light_directions=[0, 1, 0],  # noqa: B006
        *,
        renderer="softras",
    ):
        super().__init__(
            image_size=image_size, background_color=background_color, near=near, far=far, anti_aliasing=anti_aliasing,
            fill_back=fill_back, eps=eps, dist_func="hard", aggr_func_rgb="hard", aggr_func_alpha="hard",
            camera_mode=camera_mode, P=P, dist_coeffs=dist_coeffs, orig_size=orig_size, perspective=perspective,
            viewing_angle=viewing_angle, viewing_scale=viewing_scale, eye=eye, camera_direction=camera_direction,
            light_mode=light_mode, light_intensity_ambient=light_intensity_ambient, light_color_ambient=light_color_ambient,
            light_intensity_directionals=light_intensity_directionals, light_color_directionals=light_color_directionals,
            light_directions=light_directions, renderer=renderer,
        )  # fmt: skip

    def forward(self, mesh, mode=None):
        """Render a ``Mesh`` (SoftRas' ``Renderer.forward`` takes a mesh, not tensors)."""
        mesh = self.lighting(mesh)
        mesh = self.transform(mesh)
        return self.rasterizer(mesh, mode)
