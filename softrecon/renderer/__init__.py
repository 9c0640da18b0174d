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
