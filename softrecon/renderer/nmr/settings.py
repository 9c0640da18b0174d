"""``NmrSettings``: the settings that select the NMR renderer (Kato et al. 2018).

A ``RasterSettings`` subclass, so that every place that takes a renderer's settings
(``soft_rasterize``, ``SoftRenderer``, training's ``renderer`` group, fitting, the compat
layer) accepts it unchanged and ``soft_rasterize`` dispatches on its type. The NMR image
is the hard z-buffered one, so the fields of the soft rasterizer that NMR does not use are
fixed to that forward: ``dist_func='hard'`` and ``aggr_rgb='hard'`` (rendering these
settings with the soft rasterizer gives the same image, only the gradients differ).
Used: ``image_size``, ``near``, ``far``, ``background``, ``double_sided``; ignored:
``sigma``, ``gamma``, ``dist_*``, ``background_eps``, ``cutoff_logit`` (a sigma schedule
may still write sigma: it has no effect).
"""

from __future__ import annotations

import dataclasses

from ..settings import AggrRGB, DistFunc, RasterSettings


@dataclasses.dataclass(frozen=True)
class NmrSettings(RasterSettings):
    """``RasterSettings`` that render with the NMR renderer (docs/METHOD.md, section 9).

    Same fields and validation as ``RasterSettings``; ``dist_func`` and ``aggr_rgb`` are
    always 'hard' (any other value is replaced: a config written for the soft rasterizer
    selects NMR by its ``_target_`` alone).
    """

    def __post_init__(self) -> None:
        object.__setattr__(self, "dist_func", DistFunc.HARD)
        object.__setattr__(self, "aggr_rgb", AggrRGB.HARD)
        super().__post_init__()
