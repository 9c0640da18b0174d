"""SoftRas' public API (``import soft_renderer as sr``) on softrecon's renderer.

Replace ``import soft_renderer as sr`` by ``import softrecon.compat.softras as sr`` and
``import soft_renderer.functional as srf`` by
``import softrecon.compat.softras.functional as srf``: the same names, signatures and
defaults as SoftRas 1.0.0 (github.com/ShichenLiu/SoftRas), on CPU and CUDA, float32
and float64, computing what SoftRas' CUDA kernel computes (its background weight
exp(2 eps / gamma) included). Where SoftRas crashes, the compat layer does what the
code documents (``Renderer``, ``Look``/``look`` with ``up=None``, ``Transform.eyes``);
each such choice is written in the docstring concerned. docs/MIGRATING.md has the
table of names, the defaults that differ from the native API, and the pitfalls.

Numpy inputs and loaded files go to ``default_device()``: CUDA when available (as
SoftRas), else the CPU.
"""

from . import functional
from ._convert import default_device
from .lighting import AmbientLighting, DirectionalLighting, Lighting
from .losses import FlattenLoss, LaplacianLoss
from .mesh import Mesh
from .rasterizer import SoftRasterizer
from .renderer import Renderer, SoftRenderer
from .transform import Look, LookAt, Projection, Transform

__version__ = "1.0.0"  # the SoftRas version whose API this reproduces

__all__ = [
    "AmbientLighting",
    "DirectionalLighting",
    "FlattenLoss",
    "LaplacianLoss",
    "Lighting",
    "Look",
    "LookAt",
    "Mesh",
    "Projection",
    "Renderer",
    "SoftRasterizer",
    "SoftRenderer",
    "Transform",
    "default_device",
    "functional",
]
