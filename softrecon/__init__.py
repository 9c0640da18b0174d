"""softrecon: single-view 3D mesh reconstruction with an exact Soft Rasterizer."""

__version__ = "0.1.0"

# Imported on first use, so that ``import softrecon`` stays light (no torch, no models).
_LAZY = {"load_model": "softrecon.predict"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'softrecon' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
