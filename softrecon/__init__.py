"""softrecon: single-view 3D mesh reconstruction with an exact Soft Rasterizer."""

__version__ = "0.1.0"
