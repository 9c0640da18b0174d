"""softrecon: single-view 3D mesh reconstruction with an exact Soft Rasterizer.

``import softrecon`` stays light (no torch): the commands' ``--help`` and the config
tools start fast. The compiled kernels ``softrecon._C`` link against torch's shared
libraries (libc10.so, libtorch_cpu.so), which the dynamic loader finds only once torch
itself is loaded; the finder below imports torch first whenever ``softrecon._C`` is
imported, so ``python -c "import softrecon._C"`` works on its own.
"""

import importlib.abc
import sys

__version__ = "0.2.0"


class _TorchBeforeKernels(importlib.abc.MetaPathFinder):
    """Imports torch before ``softrecon._C`` is loaded; the import itself is left to
    the usual finders (``find_spec`` returns None)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "softrecon._C" and "torch" not in sys.modules:
            import torch  # noqa: F401  (loads the libraries the extension links against)
        return None


if not any(isinstance(finder, _TorchBeforeKernels) for finder in sys.meta_path):
    sys.meta_path.insert(0, _TorchBeforeKernels())

# Imported on first use, so that ``import softrecon`` stays light (no torch, no models).
_LAZY = {"load_model": "softrecon.predict"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'softrecon' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
