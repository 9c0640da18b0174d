"""Rasterizer settings: one frozen dataclass and the enums it uses.

The enums are ``IntEnum`` so that their values are exactly the integer codes of the
C++ ``enum class`` es in ``csrc/common/soft_raster_params.h``; strings are accepted
everywhere an enum is (case-insensitive) and converted once, here. The mode enums live
with their tables of modes: ``DistFunc`` in ``distances.py``, ``DistCDF`` in ``cdfs.py``,
``AggrAlpha`` in ``tconorms.py`` (all importable from here too); ``AggrRGB`` is here.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from typing import Optional, Sequence, Tuple, Union

import torch

from .cdfs import CDFS, CoverageCDF, DistCDF
from .distances import DistFunc
from .tconorms import TCONORM_PARAMETERS, AggrAlpha

__all__ = ["AggrAlpha", "AggrRGB", "DistCDF", "DistFunc", "RasterSettings"]


class AggrRGB(enum.IntEnum):
    """How the colour channels aggregate the faces (docs/METHOD.md section 3). Values are the C++
    ``AggrRGB``'s."""

    SOFTMAX = 0  # D_j exp(z_j / gamma) weighted mean with a background term
    HARD = 1  # z-buffer: colour of the nearest covering face; no geometry gradient


def _coerce_enum(field_name: str, value, enum_cls):
    """Return ``value`` as a member of ``enum_cls``; strings are matched by name."""
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        try:
            return enum_cls[value.strip().upper()]
        except KeyError:
            pass
    choices = ", ".join(repr(m.name.lower()) for m in enum_cls)
    raise ValueError(f"RasterSettings.{field_name} must be one of {choices} (or {enum_cls.__name__}), got {value!r}")


def _positive_finite(field_name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"RasterSettings.{field_name} must be a number, got {value!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"RasterSettings.{field_name} must be a finite number > 0, got {value!r}")
    return value


def _finite(field_name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"RasterSettings.{field_name} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"RasterSettings.{field_name} must be finite, got {value!r}")
    return value


ImageSize = Union[int, Tuple[int, int]]


@dataclasses.dataclass(frozen=True)
class RasterSettings:
    """Everything the soft rasterizer needs besides the geometry.

    Attributes:
        image_size: output size, an int S for S x S or a pair (H, W). Stored as (H, W).
        sigma: blur of the coverage sigmoid, in squared NDC units (paper: 1e-4 at 64 x 64).
        gamma: temperature of the depth softmax used by ``aggr_rgb='softmax'``.
        dist_eps: probability cut-off eps_dist: a face whose D_j(p) would be below it
            is treated as absent. Sets the cut-off radius sqrt(-sigma * F^-1(eps)), which
            is sqrt(sigma * ln(1/eps - 1)) for the logistic F.
        near, far: depth range; a face whose interpolated depth at a pixel lies outside
            [near, far] contributes nothing there (alpha nor colour).
        background_eps: background weight exponent of the colour softmax: the background
            weighs w_b = exp(background_eps / gamma) (not a probability cut-off: that is
            ``dist_eps``). SoftRas calls it ``eps``.
        background: background colour, one value per colour channel (or one for all).
        dist_func: 'euclidean' | 'barycentric' | 'hard' (or a ``DistFunc``).
        dist_cdf: 'logistic' | 'gaussian' | 'laplace' | 'cauchy' | 'gumbel_max' |
            'gumbel_min' | 'uniform' | 'cubic_hermite' | 'wigner_semicircle' |
            'gudermannian' | 'reciprocal' | 'exponential' | 'exponential_rev' | 'gamma' |
            'gamma_rev' | 'levy' | 'levy_rev' (or a ``DistCDF``): the distribution whose CDF
            maps the signed scaled distance to D_j (not used by dist_func='hard'). dist_eps
            must be below its value on the boundary, F(0).
        aggr_alpha: 'prod' | 'sum' | 'hard' | 'max' | 'einstein' | 'hamacher' | 'frank' |
            'yager' | 'aczel_alsina' | 'dombi' | 'schweizer_sklar' (or an ``AggrAlpha``).
        aggr_rgb: 'softmax' | 'hard' (or an ``AggrRGB``).
        double_sided: whether back-facing faces contribute colour (silhouettes always
            include them).
        dist_squared: x = +-d^2 / sigma (True: SoftRas, GenDR's "squared" variant) or
            x = +-d / sigma (False; sigma is then a length in NDC units).
        dist_shape: the gamma distributions' shape p (> 0; GenDR's dist_shape).
        dist_shift: the one-sided distributions' shift, in units of x (GenDR's
            dist_shift); None for the CDF's default (1 for 'exponential', 'gamma', 'levy',
            whose F(0) is 0 without a shift; 0 for the reversed ones).
        tconorm_p: the parameter of 'hamacher' (lambda >= 0, default 0), 'frank' (s > 0,
            != 1, default 2), 'yager' (p > 0, default 2), 'aczel_alsina' (p > 0, default 2),
            'dombi' (p > 0, default 2), 'schweizer_sklar' (p < 0, default -2); None for the
            default; ignored by the other aggregations.
        cutoff_logit: GenDR's cut-off (an option; None, the default, keeps only dist_eps's):
            outside pairs with |x| >= cutoff_logit are skipped as well (GenDR: d^2 >= 300
            sigma, i.e. 300 for the squared distances). What it drops is stated by
            ``dropped_coverage``: at most that coverage per skipped pair.
    """

    image_size: ImageSize = 64
    sigma: float = 1e-4
    gamma: float = 1e-4
    dist_eps: float = 1e-10
    near: float = 1.0
    far: float = 100.0
    background_eps: float = 1e-3
    background: Sequence[float] = (0.0, 0.0, 0.0)
    dist_func: Union[str, DistFunc] = DistFunc.EUCLIDEAN
    aggr_alpha: Union[str, AggrAlpha] = AggrAlpha.PROD
    aggr_rgb: Union[str, AggrRGB] = AggrRGB.SOFTMAX
    double_sided: bool = False
    dist_cdf: Union[str, DistCDF] = DistCDF.LOGISTIC
    dist_squared: bool = True
    dist_shape: float = 2.0
    dist_shift: Optional[float] = None
    tconorm_p: Optional[float] = None
    cutoff_logit: Optional[float] = None

    def __post_init__(self) -> None:
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)
        set_("image_size", _normalize_image_size(self.image_size))
        set_("sigma", _positive_finite("sigma", self.sigma))
        set_("gamma", _positive_finite("gamma", self.gamma))
        dist_eps = _positive_finite("dist_eps", self.dist_eps)
        if not dist_eps < 0.5:
            raise ValueError(f"RasterSettings.dist_eps must be in (0, 0.5), got {dist_eps!r}")
        set_("dist_eps", dist_eps)
        try:
            near, far, background_eps = float(self.near), float(self.far), float(self.background_eps)
        except (TypeError, ValueError):
            raise ValueError(
                f"RasterSettings.near, far and background_eps must be numbers, got {self.near!r}, {self.far!r}, {self.background_eps!r}"
            ) from None
        if not (math.isfinite(near) and math.isfinite(far) and 0 <= near < far):
            raise ValueError(f"RasterSettings needs finite 0 <= near < far, got near={near!r}, far={far!r}")
        if not math.isfinite(background_eps):
            raise ValueError(f"RasterSettings.background_eps must be finite, got {background_eps!r}")
        set_("near", near)
        set_("far", far)
        set_("background_eps", background_eps)
        set_("background", _normalize_background(self.background))
        set_("dist_func", _coerce_enum("dist_func", self.dist_func, DistFunc))
        set_("dist_cdf", _coerce_enum("dist_cdf", self.dist_cdf, DistCDF))
        if not isinstance(self.dist_squared, bool):
            raise ValueError(f"RasterSettings.dist_squared must be a bool, got {self.dist_squared!r}")
        set_("dist_shape", _positive_finite("dist_shape", self.dist_shape))
        if self.dist_shift is not None:
            set_("dist_shift", _finite("dist_shift", self.dist_shift))
        if self.cutoff_logit is not None:
            set_("cutoff_logit", _positive_finite("cutoff_logit", self.cutoff_logit))
        boundary = self.cdf.at_zero
        if not dist_eps < boundary:
            raise ValueError(
                f"RasterSettings.dist_eps must be below F(0) = {boundary:.4g} for dist_cdf={self.dist_cdf.name.lower()!r} "
                f"(the cut-off must lie outside the triangles; a one-sided distribution needs a larger dist_shift), "
                f"got {dist_eps!r}"
            )
        set_("aggr_alpha", _coerce_enum("aggr_alpha", self.aggr_alpha, AggrAlpha))
        set_("aggr_rgb", _coerce_enum("aggr_rgb", self.aggr_rgb, AggrRGB))
        if self.tconorm_p is not None:
            set_("tconorm_p", _finite("tconorm_p", self.tconorm_p))
            if self.aggr_alpha in TCONORM_PARAMETERS:
                _, valid, domain = TCONORM_PARAMETERS[self.aggr_alpha]
                if not valid(self.tconorm_p):
                    raise ValueError(
                        f"RasterSettings.tconorm_p must be {domain} for aggr_alpha={self.aggr_alpha.name.lower()!r}, "
                        f"got {self.tconorm_p!r}"
                    )
        if not isinstance(self.double_sided, bool):
            raise ValueError(f"RasterSettings.double_sided must be a bool, got {self.double_sided!r}")

    # ----------------------------------------------------------------- derived values
    @property
    def height(self) -> int:
        return self.image_size[0]

    @property
    def width(self) -> int:
        return self.image_size[1]

    @property
    def cdf(self) -> CoverageCDF:
        """The coverage CDF with its parameters (``cdfs.CDFS``)."""
        return CDFS[self.dist_cdf](self.dist_shape, self.dist_shift)

    @property
    def aggr_alpha_parameter(self) -> float:
        """tconorm_p, or the aggregation's default (0 for the unparametrised ones)."""
        if self.aggr_alpha not in TCONORM_PARAMETERS:
            return 0.0
        return TCONORM_PARAMETERS[self.aggr_alpha][0] if self.tconorm_p is None else self.tconorm_p

    @property
    def cdf_shift(self) -> float:
        """The coverage CDF's shift in units of x as used (``dist_shift`` or the CDF's default;
        0 for the CDFs without one)."""
        return getattr(self.cdf, "shift", 0.0)

    @property
    def dist_log_gamma_shape(self) -> float:
        """lgamma(dist_shape), which the gamma CDFs' kernels need (computed once here)."""
        return math.lgamma(self.dist_shape)

    @property
    def cutoff_logit_value(self) -> float:
        """|x| of the cut-off: -F^-1(dist_eps), or cutoff_logit where that is smaller."""
        limit = -self.cdf.quantile(self.dist_eps)
        return limit if self.cutoff_logit is None else min(limit, self.cutoff_logit)

    @property
    def cutoff_squared(self) -> float:
        """Outside a face, D_j(p) < dist_eps beyond this d^2 (or b^2): -sigma F^-1(dist_eps)
        (sigma ln(1/dist_eps - 1) for the logistic F), its square unsquared; GenDR's
        cut-off_logit may shrink it."""
        limit = self.sigma * self.cutoff_logit_value
        return limit if self.dist_squared else limit * limit

    @property
    def dropped_coverage(self) -> float:
        """The largest coverage D_j(p) of a pair the cut-off skips: dist_eps, or F(-cutoff_logit)
        where GenDR's cut-off is the nearer. A pixel's alpha misses at most 1 - (1 -
        dropped_coverage)^K of its K skipped faces under 'prod' (K dropped_coverage at most)."""
        x = torch.tensor([-self.cutoff_logit_value], dtype=torch.float64)
        return max(self.dist_eps, self.cdf.coverage_and_log_miss(x)[0].item())

    @property
    def cutoff_radius(self) -> float:
        """The cut-off distance sqrt(cutoff_squared), in NDC units."""
        return math.sqrt(self.cutoff_squared)

    def replace(self, **changes) -> "RasterSettings":
        """A copy with some fields changed (validated again), e.g. a decayed sigma."""
        return dataclasses.replace(self, **changes)


def _normalize_image_size(image_size) -> Tuple[int, int]:
    if isinstance(image_size, bool):
        raise ValueError(f"RasterSettings.image_size must be an int or (H, W), got {image_size!r}")
    if isinstance(image_size, int):
        size = (image_size, image_size)
    else:
        try:
            size = tuple(int(s) for s in image_size)
        except (TypeError, ValueError):
            raise ValueError(f"RasterSettings.image_size must be an int or (H, W), got {image_size!r}") from None
        if len(size) != 2 or any(int(s) != s for s in image_size):
            raise ValueError(f"RasterSettings.image_size must be an int or (H, W), got {image_size!r}")
    if min(size) < 1:
        raise ValueError(f"RasterSettings.image_size must be positive, got {image_size!r}")
    return size


def _normalize_background(background) -> Tuple[float, ...]:
    if isinstance(background, (int, float)):
        background = (background,)
    try:
        values = tuple(float(v) for v in background)
    except (TypeError, ValueError):
        raise ValueError(f"RasterSettings.background must be a sequence of numbers, got {background!r}") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise ValueError(f"RasterSettings.background must be non-empty and finite, got {background!r}")
    return values
