"""The Soft Rasterizer: functional core, settings, and the modules around it.

- ``soft_rasterize`` + ``RasterSettings``: the functional core (docs/METHOD.md sections 1 to 4);
- ``rasterize_reference``: the dense pure-PyTorch oracle behind the same function;
- cameras (docs/METHOD.md section 5), ``Lighting`` and the ``SoftRenderer`` module on top.
"""

from softrecon.structures.textures import bake_uv_texture, surface_texel_index, texel_barycentrics

from .cameras import (
    BENCHMARK_AZIMUTH_STEP,
    BENCHMARK_DISTANCE,
    BENCHMARK_ELEVATION,
    BENCHMARK_NUM_VIEWS,
    BENCHMARK_VIEWING_ANGLE,
    Camera,
    OrthographicCamera,
    PerspectiveCamera,
    ProjectionCamera,
    benchmark_camera,
    eye_from_spherical,
    look_along,
    look_at_rotation,
)
from .lighting import Lighting
from .nmr import NmrSettings, nmr_rasterize_reference
from .rasterize import resolve_backend, soft_rasterize
from .reference import pixel_centers, rasterize_reference
from .settings import AggrAlpha, AggrRGB, DistCDF, DistFunc, RasterSettings
from .soft_renderer import SoftRenderer

__all__ = [
    "AggrAlpha",
    "AggrRGB",
    "BENCHMARK_AZIMUTH_STEP",
    "BENCHMARK_DISTANCE",
    "BENCHMARK_ELEVATION",
    "BENCHMARK_NUM_VIEWS",
    "BENCHMARK_VIEWING_ANGLE",
    "Camera",
    "DistCDF",
    "DistFunc",
    "Lighting",
    "NmrSettings",
    "OrthographicCamera",
    "PerspectiveCamera",
    "ProjectionCamera",
    "RasterSettings",
    "SoftRenderer",
    "bake_uv_texture",
    "benchmark_camera",
    "eye_from_spherical",
    "look_along",
    "look_at_rotation",
    "nmr_rasterize_reference",
    "pixel_centers",
    "rasterize_reference",
    "resolve_backend",
    "soft_rasterize",
    "surface_texel_index",
    "texel_barycentrics",
]
