"""Data structures: the batched ``Mesh``."""

from .mesh import COLOR_MODES, Mesh

__all__ = ["COLOR_MODES", "Mesh"]
