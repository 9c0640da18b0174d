"""The Soft Rasterizer: functional core, settings, and the modules around it."""

from .rasterize import soft_rasterize
from .reference import pixel_centers, rasterize_reference
from .settings import AggrAlpha, AggrRGB, DistFunc, RasterSettings

__all__ = [
    "AggrAlpha",
    "AggrRGB",
    "DistFunc",
    "RasterSettings",
    "pixel_centers",
    "rasterize_reference",
    "soft_rasterize",
]

# ---- cameras, lighting and the renderer module (engineer G's block)
from .cameras import (  # noqa: E402
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
from .lighting import Lighting  # noqa: E402
from .soft_renderer import SoftRenderer  # noqa: E402

__all__ += [
    "BENCHMARK_AZIMUTH_STEP",
    "BENCHMARK_DISTANCE",
    "BENCHMARK_ELEVATION",
    "BENCHMARK_NUM_VIEWS",
    "BENCHMARK_VIEWING_ANGLE",
    "Camera",
    "Lighting",
    "OrthographicCamera",
    "PerspectiveCamera",
    "ProjectionCamera",
    "SoftRenderer",
    "benchmark_camera",
    "eye_from_spherical",
    "look_along",
    "look_at_rotation",
]
