"""Small helpers shared by the whole package."""

from .atomic import atomic_write

__all__ = ["atomic_write"]
