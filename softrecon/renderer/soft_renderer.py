"""``SoftRenderer``: lighting -> camera -> ``soft_rasterize`` -> optional supersampling.

Shape symbols: N batch, V vertices, F faces, C colour channels, H x W output image,
R surface texture resolution.

Anti-aliasing by supersampling (``antialias = k``): the mesh is rasterized at
(k H) x (k W) and each k x k block is averaged. The fine pixel centres of a block average
exactly to the coarse pixel's centre (docs/METHOD.md section 1), so nothing shifts. ``sigma`` is
kept as is: it is in squared NDC units, not pixels, so the same sigma gives the same
NDC blur of the edges at any resolution; the averaging then adds the box filter of one
output pixel, which is what removes the staircase of small sigmas and hard rendering.
(Scaling sigma by 1/k**2 would keep the blur constant in fine pixels instead, i.e.
sharpen the edges k times, which is not what a user who chose sigma at H x W wants.)
The cost grows by k**2.
"""

from __future__ import annotations

from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import nn

from ..geometry.faces import check_faces, gather_face_attributes
from ..structures.mesh import Mesh
from .cameras import Camera, ProjectionCamera
from .lighting import Lighting
from .rasterize import BACKENDS, soft_rasterize
from .settings import RasterSettings

AnyCamera = Union[Camera, ProjectionCamera]

# Colour of meshes without colours: white, so that lighting alone shows the shape.
DEFAULT_MESH_COLOR = 1.0
# Number of channels given to meshes without colours (RGB).
DEFAULT_NUM_CHANNELS = 3
# Largest supersampling factor accepted (the cost grows with its square).
MAX_ANTIALIAS = 8

_DEFAULT_LIGHTING = Lighting()


class SoftRenderer(nn.Module):
    """Render batches of meshes with the soft rasterizer.

    Args:
        settings: the rasterizer settings (image size, sigma, gamma, modes...). The
            image size is that of the OUTPUT; supersampling renders larger internally.
        lighting: a ``Lighting`` (default: SoftRas' 0.5 ambient + 0.5 directional from
            above), or None for raw, unshaded colours.
        antialias: supersampling factor k >= 1 (1: none). See the module docstring.
        backend: passed to ``soft_rasterize`` ('auto', 'reference', 'cpu', 'cuda', 'cuda_emulated').
    """

    def __init__(
        self,
        settings: RasterSettings,
        lighting: Optional[Lighting] = _DEFAULT_LIGHTING,
        antialias: int = 1,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        if not isinstance(settings, RasterSettings):
            raise ValueError(f"settings must be a RasterSettings, got {type(settings).__name__}")
        if lighting is not None and not isinstance(lighting, Lighting):
            raise ValueError(f"lighting must be a Lighting or None, got {type(lighting).__name__}")
        if isinstance(antialias, bool) or not isinstance(antialias, int) or not 1 <= antialias <= MAX_ANTIALIAS:
            raise ValueError(f"antialias must be an int in [1, {MAX_ANTIALIAS}], got {antialias!r}")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.settings = settings
        self.lighting = lighting
        self.antialias = antialias
        self.backend = backend

    # ------------------------------------------------------------------ settings
    def set_sigma(self, sigma: float) -> None:
        """Replace sigma (e.g. the paper's decay by 0.3 late in training); validated."""
        self.settings = self.settings.replace(sigma=sigma)

    def set_gamma(self, gamma: float) -> None:
        """Replace gamma, the depth-softmax temperature; validated."""
        self.settings = self.settings.replace(gamma=gamma)

    def extra_repr(self) -> str:
        return f"settings={self.settings}, lighting={self.lighting}, antialias={self.antialias}"

    # ------------------------------------------------------------------ rendering
    def forward(self, mesh: Mesh, camera: AnyCamera, settings: Optional[RasterSettings] = None) -> torch.Tensor:
        """Render RGBA images.

        Colours: per-face colours are shaded with face normals, per-vertex colours with
        area-weighted vertex normals (world frame), then interpolated by the rasterizer.
        Surface textures ('texture' mode, (N, F, R * R, C)) are shaded per face, as in
        SoftRas: every texel of a face is multiplied by the light of its face normal;
        the rasterizer then shows the texel under each pixel. A mesh without colours is
        rendered white (``DEFAULT_MESH_COLOR``), shaded.

        Args:
            mesh: a ``Mesh`` of N meshes (float32/float64).
            camera: any camera of ``softrecon.renderer.cameras`` with 1 or N cameras
                (or N cameras and a mesh batch of 1).
            settings: this call's settings instead of ``self.settings`` (e.g. a sigma
                schedule: ``renderer.settings.replace(sigma=...)``), or None.

        Returns:
            (max(N, Nc), C + 1, H, W) mesh dtype: C colour channels then alpha.
            Differentiable with respect to the vertices and colours (textures included;
            a texture's colour itself is piecewise constant over the face, so geometry
            gets gradient from coverage, depth and shading, not from the texel pattern).
        """
        if not isinstance(mesh, Mesh):
            raise ValueError(f"mesh must be a Mesh, got {type(mesh).__name__}")
        colors, mode = mesh.colors, mesh.color_mode
        if colors is None:
            colors = mesh.vertices.new_full(
                (mesh.num_meshes, mesh.num_vertices, DEFAULT_NUM_CHANNELS), DEFAULT_MESH_COLOR
            )
            mode = "vertex"
        if self.lighting is not None and mode == "texture":
            light = self.lighting.light(mesh.face_normals(), colors.shape[-1])  # (N, F, C)
            colors = colors * light[:, :, None, :]  # one light per face onto all its R * R texels
        elif self.lighting is not None:
            normals = mesh.face_normals() if mode == "face" else mesh.vertex_normals()
            colors = self.lighting.apply(colors, normals)
        face_colors = mesh.face_colors(colors)  # (N, F, 3, C) per-corner, or (N, F, R * R, C) textures
        face_vertices = mesh.face_vertices(_project(camera, mesh.vertices))
        if face_colors.shape[0] != face_vertices.shape[0]:  # one mesh seen by N cameras
            face_colors = face_colors.expand(face_vertices.shape[0], -1, -1, -1)
        return self._rasterize(face_vertices, face_colors, settings)

    def render_silhouette(
        self, vertices: torch.Tensor, faces: torch.Tensor, camera: AnyCamera, settings: Optional[RasterSettings] = None
    ) -> torch.Tensor:
        """Alpha only, without building a Mesh or any colour (the training fast path).

        Args:
            vertices: (N, V, 3) float world/object-frame positions.
            faces: (F, 3) or (N, F, 3) int64.
            camera: 1 or N cameras.
            settings: this call's settings instead of ``self.settings``, or None.

        Returns:
            (N, H, W) soft silhouettes in [0, 1]; differentiable in ``vertices``.
        """
        check_faces(faces)
        face_vertices = gather_face_attributes(_project(camera, vertices), faces)
        return self._rasterize(face_vertices, None, settings)[:, 0]

    def _rasterize(
        self, face_vertices: torch.Tensor, face_colors: Optional[torch.Tensor], settings: Optional[RasterSettings]
    ) -> torch.Tensor:
        k = self.antialias
        if settings is None:
            settings = self.settings
        elif not isinstance(settings, RasterSettings):
            raise ValueError(f"settings must be a RasterSettings or None, got {type(settings).__name__}")
        if k > 1:
            settings = settings.replace(image_size=(k * settings.height, k * settings.width))
        image = soft_rasterize(
            face_vertices.contiguous(),
            None if face_colors is None else face_colors.contiguous(),
            settings,
            self.backend,
        )
        if k > 1:
            image = F.avg_pool2d(image, kernel_size=k)
        return image


def _project(camera: AnyCamera, vertices: torch.Tensor) -> torch.Tensor:
    if not isinstance(camera, (Camera, ProjectionCamera)):
        raise ValueError(f"camera must be a camera of softrecon.renderer.cameras, got {type(camera).__name__}")
    return camera.project(vertices)
