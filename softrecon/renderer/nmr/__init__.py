"""The NMR renderer (Kato et al. 2018, "Neural 3D Mesh Renderer") beside the soft one.

Hard z-buffered rasterization forward, NMR's approximate gradient backward
(docs/METHOD.md section 9). Selected by ``NmrSettings`` (a ``RasterSettings``):
``soft_rasterize(..., settings=NmrSettings(...))`` and everything built on it (``SoftRenderer``,
training's ``renderer=nmr``, fitting, the compat layer) render with NMR.

- ``nmr_rasterize``: validation done by ``soft_rasterize``; dispatch to the kernels or
  the dense reference;
- ``nmr_rasterize_reference`` / ``NmrReferenceFunction``: the dense pure-PyTorch oracle.
"""

from .rasterize import nmr_rasterize, resolve_nmr_backend
from .reference import (
    NmrMaps,
    NmrReferenceFunction,
    nmr_backward_reference,
    nmr_forward_reference,
    nmr_rasterize_reference,
)
from .settings import NmrSettings

__all__ = [
    "NmrMaps",
    "NmrReferenceFunction",
    "NmrSettings",
    "nmr_backward_reference",
    "nmr_forward_reference",
    "nmr_rasterize",
    "nmr_rasterize_reference",
    "resolve_nmr_backend",
]
