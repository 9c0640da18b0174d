"""The coverage CDFs D = F(x) of the signed scaled distance x: one class per mode.

The table of ``DistCDF`` modes. Each class holds everything of its distribution: the
boundary coverage F(0), the quantile F^-1 (the cut-off radius), and the per-pair values
the dense reference differentiates, D and log(1 - D) and the log-odds log(D / (1 - D)),
each without cancellation and with finite gradients for every finite x. Twin of
``csrc/common/soft_raster_cdfs.h`` (one struct per mode there, same names); a new CDF is
one class here, one struct there, one line in each enum.

A class is instantiated with the distribution's parameters (``RasterSettings.cdf``):
``shape`` (the gamma distributions' p) and ``shift`` (the one-sided distributions' offset,
in units of x; GenDR's dist_shift); the others ignore them.
"""

from __future__ import annotations

import enum
import math
import statistics
from typing import Dict, Optional, Tuple, Type

import scipy.special
import torch
import torch.nn.functional as F

# Gumbel CDFs: |x| beyond this makes D exactly 0 or 1 in float64 and float32 alike; x is
# clamped there so that exp never overflows (and no inf reaches a gradient). The
# kernels' kGumbelExponentLimit.
GUMBEL_EXPONENT_LIMIT = 80.0
# Gumbel max: below this y = exp(-x), log(1 - D) = -x - y / 2 to rounding (log(-expm1(-y))
# would lose y's digits once y is denormal). The kernels' kGumbelSmall.
GUMBEL_SMALL = 1e-8


class DistCDF(enum.IntEnum):
    """The cumulative distribution F turning the signed scaled distance x into D_j = F(x)
    (docs/METHOD.md section 2; the logistic sigmoid is the paper's, the others GenDR's, CVPR 2022).
    All are standard forms in x = sign * d^2 / sigma (or b |b| / sigma); the first four
    are symmetric (F(0) = 1/2 on the boundary), the two Gumbel ones are not. Values are
    the C++ ``DistCDF``'s (``csrc/common/soft_raster_params.h``)."""

    LOGISTIC = 0  # 1 / (1 + exp(-x)): SoftRas
    GAUSSIAN = 1  # Phi(x), the standard normal CDF: lighter tails, a tighter cut-off
    LAPLACE = 2  # exp(x) / 2 for x < 0, 1 - exp(-x) / 2 otherwise
    CAUCHY = 3  # 1/2 + atan(x) / pi: heavy tails, a very wide cut-off (nearly dense)
    GUMBEL_MAX = 4  # exp(-exp(-x)): F(0) = 1/e, a thin outer tail (the silhouette shrinks)
    GUMBEL_MIN = 5  # 1 - exp(-exp(x)): F(0) = 1 - 1/e, a long outer tail (the silhouette grows)
    UNIFORM = 6  # (x + 1) / 2 on [-1, 1]
    CUBIC_HERMITE = 7  # smoothstep of (x + 1) / 2 on [-1, 1]
    WIGNER_SEMICIRCLE = 8  # the semicircle law on [-1, 1]
    GUDERMANNIAN = 9  # (2 / pi) atan(exp(x)): the hyperbolic secant distribution
    RECIPROCAL = 10  # 1/2 + x / (2 (1 + |x|)): 1 / |x| tails
    EXPONENTIAL = 11  # 1 - exp(-(x + shift)) beyond -shift
    EXPONENTIAL_REV = 12  # exp(x - shift) below shift, else 1
    GAMMA = 13  # P(shape, x + shift), the regularized lower incomplete gamma
    GAMMA_REV = 14  # 1 - P(shape, shift - x)
    LEVY = 15  # erfc(1 / sqrt(2 (x + shift)))
    LEVY_REV = 16  # erf(1 / sqrt(2 (shift - x))): the heaviest outer tail


class CoverageCDF:
    """One CDF. Subclasses define ``quantile`` and ``coverage_and_log_miss`` and override
    ``at_zero`` / ``log_odds`` where the generic value does not hold or loses accuracy.
    ``coverage_and_log_miss`` gives log(1 - D) = -inf, a constant, where 1 - D is exactly 0
    (the bounded supports)."""

    #: F(0): the coverage of a pixel on a triangle's boundary.
    at_zero: float = 0.5

    def __init__(self, shape: float = 2.0, shift: Optional[float] = None) -> None:
        self.shape = float(shape)

    @staticmethod
    def quantile(probability: float) -> float:
        """F^-1(probability), for probability in (0, F(0))."""
        raise NotImplementedError

    @staticmethod
    def coverage_and_log_miss(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """D = F(x) and log(1 - D) = log F(-x), each shaped as x."""
        raise NotImplementedError

    @staticmethod
    def log_odds(x: torch.Tensor, coverage: torch.Tensor, log_miss: torch.Tensor) -> torch.Tensor:
        """log(D / (1 - D)) from x and the two values above (D > 0 where it is used)."""
        return torch.log(coverage) - log_miss


class Logistic(CoverageCDF):
    @staticmethod
    def quantile(probability: float) -> float:
        return -math.log(1.0 / probability - 1.0)

    @staticmethod
    def coverage_and_log_miss(x):
        return torch.sigmoid(x), F.logsigmoid(-x)

    @staticmethod
    def log_odds(x, coverage, log_miss):
        return x  # exactly


class Gaussian(CoverageCDF):
    @staticmethod
    def quantile(probability: float) -> float:
        return statistics.NormalDist().inv_cdf(probability)

    @staticmethod
    def coverage_and_log_miss(x):  # erfc, not ndtr: float32 ndtr(x) is 0 already at x = -6
        return 0.5 * torch.special.erfc(-x * math.sqrt(0.5)), torch.special.log_ndtr(-x)

    @staticmethod
    def log_odds(x, coverage, log_miss):
        return torch.special.log_ndtr(x) - log_miss


class Laplace(CoverageCDF):
    @staticmethod
    def quantile(probability: float) -> float:
        return math.log(2.0 * probability)

    @staticmethod
    def coverage_and_log_miss(x):
        negative, positive = x.clamp(max=0.0), x.clamp(min=0.0)
        coverage = torch.where(x < 0, 0.5 * torch.exp(negative), 1.0 - 0.5 * torch.exp(-positive))
        log_miss = torch.where(x < 0, torch.log1p(-0.5 * torch.exp(negative)), math.log(0.5) - positive)
        return coverage, log_miss


class Cauchy(CoverageCDF):
    @staticmethod
    def quantile(probability: float) -> float:
        return -1.0 / math.tan(math.pi * probability)  # tan(pi (p - 1/2))

    @staticmethod
    def coverage_and_log_miss(x):  # F(x) = atan2(1, -x) / pi, accurate in both tails
        one = torch.ones_like(x)
        return torch.atan2(one, -x) / math.pi, torch.log(torch.atan2(one, x) / math.pi)


class GumbelMax(CoverageCDF):
    at_zero = math.exp(-1.0)

    @staticmethod
    def quantile(probability: float) -> float:
        return -math.log(-math.log(probability))

    @staticmethod
    def coverage_and_log_miss(x):  # F = exp(-y), y = exp(-x); 1 - F = -expm1(-y) ~ y as x grows
        y = torch.exp(-x.clamp(min=-GUMBEL_EXPONENT_LIMIT))
        small = y < GUMBEL_SMALL
        log_miss = torch.where(small, -x - 0.5 * y, torch.log(-torch.expm1(-y.clamp(min=GUMBEL_SMALL))))
        return torch.exp(-y), log_miss


class GumbelMin(CoverageCDF):
    at_zero = -math.expm1(-1.0)

    @staticmethod
    def quantile(probability: float) -> float:
        return math.log(-math.log1p(-probability))

    @staticmethod
    def coverage_and_log_miss(x):  # F = 1 - exp(-e), e = exp(x)
        e = torch.exp(x.clamp(max=GUMBEL_EXPONENT_LIMIT))
        return -torch.expm1(-e), -e


# ----------------------------------------------------------------- GenDR's other CDFs
# Helpers for the distributions whose support is bounded on one side: there D is exactly
# 0 or 1, 1 - D exactly 0 (log(1 - D) = -inf, a constant: no gradient flows through a
# saturated pair, as the T-conorms' own saturation needs; see tconorms.py).


def _log_of(miss: torch.Tensor) -> torch.Tensor:
    """log(miss), -inf (without gradient) where miss is 0."""
    positive = miss > 0
    return torch.where(positive, torch.log(torch.where(positive, miss, torch.ones_like(miss))), float("-inf"))


def _safe(condition: torch.Tensor, value: torch.Tensor, fill: float = 1.0) -> torch.Tensor:
    """value where condition holds, else ``fill``: keeps the unused branch of a where finite."""
    return torch.where(condition, value, torch.full_like(value, fill))


def _bisect(function, target: float, low: float, high: float) -> float:
    """The x in [low, high] where the increasing ``function`` reaches ``target`` (float64,
    to the last bit)."""
    for _ in range(2000):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if function(middle) < target:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def _coverage_at(cdf: "CoverageCDF", x: float) -> float:
    return cdf.coverage_and_log_miss(torch.tensor([x], dtype=torch.float64))[0].item()


def _one_minus_cos(u: torch.Tensor) -> torch.Tensor:
    return 2.0 * torch.sin(0.5 * u) ** 2


def _u_minus_sin_u(u: torch.Tensor) -> torch.Tensor:
    """u - sin(u) for u >= 0, without cancellation for small u (its series below 0.5)."""
    small = u < 0.5
    v = torch.where(small, u, torch.zeros_like(u))
    v2 = v * v
    series = v * v2 / 6.0 * (1 - v2 / 20.0 * (1 - v2 / 42.0 * (1 - v2 / 72.0 * (1 - v2 / 110.0 * (1 - v2 / 156.0)))))
    return torch.where(small, series, u - torch.sin(u))


class Uniform(CoverageCDF):
    """(x + 1) / 2 on [-1, 1]: bounded support, so the cut-off is x = -1 at any dist_eps."""

    @staticmethod
    def quantile(probability: float) -> float:
        return 2.0 * probability - 1.0

    @staticmethod
    def coverage_and_log_miss(x):
        return ((x + 1.0) * 0.5).clamp(0.0, 1.0), _log_of(((1.0 - x) * 0.5).clamp(0.0, 1.0))


class CubicHermite(CoverageCDF):
    """The smoothstep 3y^2 - 2y^3 of y = (x + 1) / 2 on [-1, 1]."""

    def quantile(self, probability: float) -> float:
        return _bisect(lambda x: _coverage_at(self, x), probability, -1.0, 0.0)

    @staticmethod
    def coverage_and_log_miss(x):
        y = ((x + 1.0) * 0.5).clamp(0.0, 1.0)
        z = ((1.0 - x) * 0.5).clamp(0.0, 1.0)
        return y * y * (3.0 - 2.0 * y), _log_of(z * z * (3.0 - 2.0 * z))


class WignerSemicircle(CoverageCDF):
    """1/2 + (x sqrt(1 - x^2) + asin x) / pi on [-1, 1], as (u - sin u) / (2 pi) with
    u = 4 asin(sqrt((1 + x) / 2)): accurate in both tails."""

    def quantile(self, probability: float) -> float:
        return _bisect(lambda x: _coverage_at(self, x), probability, -1.0, 0.0)

    @staticmethod
    def coverage_and_log_miss(x):
        def tail(t):  # F(x) with t = (1 + x) / 2 in [0, 1]
            return _u_minus_sin_u(4.0 * torch.asin(torch.sqrt(t))) / (2.0 * math.pi)

        inner = (x > -1) & (x < 1)  # sqrt's gradient is infinite at 0: keep the ends out
        lo = _safe(inner, ((x + 1.0) * 0.5), 0.5)
        hi = _safe(inner, ((1.0 - x) * 0.5), 0.5)
        coverage = torch.where(inner, tail(lo), (x >= 1).to(x.dtype))
        miss = torch.where(inner, tail(hi), (x <= -1).to(x.dtype))
        return coverage, _log_of(miss)


class Gudermannian(CoverageCDF):
    """The hyperbolic secant distribution: (2 / pi) atan(exp(x))."""

    @staticmethod
    def quantile(probability: float) -> float:
        return math.log(math.tan(0.5 * math.pi * probability))

    @staticmethod
    def coverage_and_log_miss(x):
        positive = x > 0
        e = torch.exp(torch.where(positive, -x, x))  # exp(-|x|), with the kernels' slope at 0
        tail = torch.atan(e) * (2.0 / math.pi)  # the smaller of D and 1 - D
        coverage = torch.where(positive, 1.0 - tail, tail)
        # log(1 - D) for x > 0: log(2 / pi) - x + log(atan(e) / e), atan(e) / e -> 1.
        ratio = torch.where(e > 1e-8, torch.atan(e) / _safe(e > 1e-8, e), torch.ones_like(e))
        log_miss = torch.where(positive, math.log(2.0 / math.pi) - x + torch.log(ratio), torch.log1p(-tail))
        return coverage, log_miss


class Reciprocal(CoverageCDF):
    """1/2 + x / (2 (1 + |x|)): tails like 1 / |x|, as Cauchy's."""

    @staticmethod
    def quantile(probability: float) -> float:
        return 1.0 - 0.5 / probability

    @staticmethod
    def coverage_and_log_miss(x):
        positive = x >= 0
        tail = 0.5 / (1.0 + torch.where(positive, x, -x))  # |x|, with the kernels' slope at 0
        return torch.where(positive, 1.0 - tail, tail), torch.where(positive, torch.log(tail), torch.log1p(-tail))


class _ShiftedCDF(CoverageCDF):
    """A one-sided distribution moved by ``shift`` (in units of x, GenDR's dist_shift):
    D = G(x + shift) for the forward form, D = 1 - G(shift - x) for the reversed one, with
    G the CDF of a distribution on [0, inf). Subclasses define ``_g`` (G and 1 - G, each
    (N, ...) from z > 0) and ``_g_quantile``."""

    reversed: bool = False
    default_shift: float = 0.0

    def __init__(self, shape: float = 2.0, shift: Optional[float] = None) -> None:
        super().__init__(shape, shift)
        self.shift = self.default_shift if shift is None else float(shift)

    def _g(self, z):
        raise NotImplementedError

    def _g_quantile(self, probability: float) -> float:
        raise NotImplementedError

    @property
    def at_zero(self) -> float:  # type: ignore[override]
        return _coverage_at(self, 0.0)

    def quantile(self, probability: float) -> float:
        if self.reversed:
            return self.shift - self._g_quantile(1.0 - probability, complement=probability)
        return self._g_quantile(probability) - self.shift

    def coverage_and_log_miss(self, x):
        z = (self.shift - x) if self.reversed else (x + self.shift)
        positive = z > 0
        below, above = self._g(_safe(positive, z))  # G(z), 1 - G(z)
        zero, one = torch.zeros_like(x), torch.ones_like(x)
        low = torch.where(positive, below, zero)  # G(z), 0 for z <= 0
        high = torch.where(positive, above, one)  # 1 - G(z)
        if self.reversed:
            return high, _log_of(low)
        return low, _log_of(high)


class Exponential(_ShiftedCDF):
    """1 - exp(-(x + shift)) for x > -shift, else 0 (F(0) = 1 - exp(-shift): shift > 0)."""

    default_shift = 1.0

    def _g(self, z):
        return -torch.expm1(-z), torch.exp(-z)

    def _g_quantile(self, probability, complement=None):
        return -math.log1p(-probability) if complement is None else -math.log(complement)


class ExponentialRev(Exponential):
    """exp(x - shift) for x < shift, else 1: D = 1 inside the triangle for shift 0."""

    reversed = True
    default_shift = 0.0


class Gamma(_ShiftedCDF):
    """The regularized lower incomplete gamma P(shape, x + shift) (shape: GenDR's p)."""

    default_shift = 1.0

    def _g(self, z):
        a = torch.full_like(z, self.shape)
        return torch.special.gammainc(a, z), torch.special.gammaincc(a, z)

    def _g_quantile(self, probability, complement=None):
        if complement is None:
            return float(scipy.special.gammaincinv(self.shape, probability))
        return float(scipy.special.gammainccinv(self.shape, complement))


class GammaRev(Gamma):
    """1 - P(shape, shift - x) for x < shift, else 1."""

    reversed = True
    default_shift = 0.0


class Levy(_ShiftedCDF):
    """erfc(1 / sqrt(2 (x + shift))) for x > -shift, else 0: a very heavy inner tail."""

    default_shift = 1.0

    def _g(self, z):
        y = torch.rsqrt(2.0 * z)
        return torch.special.erfc(y), torch.erf(y)

    def _g_quantile(self, probability, complement=None):
        if complement is None:
            return 0.5 / float(scipy.special.erfcinv(probability)) ** 2
        return 0.5 / float(scipy.special.erfinv(complement)) ** 2


class LevyRev(Levy):
    """erf(1 / sqrt(2 (shift - x))) for x < shift, else 1: an outer tail like 1 / sqrt|x|,
    heavier than Cauchy's."""

    reversed = True
    default_shift = 0.0


#: The table of modes: each ``DistCDF`` and its class.
CDFS: Dict[DistCDF, Type[CoverageCDF]] = {
    DistCDF.LOGISTIC: Logistic,
    DistCDF.GAUSSIAN: Gaussian,
    DistCDF.LAPLACE: Laplace,
    DistCDF.CAUCHY: Cauchy,
    DistCDF.GUMBEL_MAX: GumbelMax,
    DistCDF.GUMBEL_MIN: GumbelMin,
    DistCDF.UNIFORM: Uniform,
    DistCDF.CUBIC_HERMITE: CubicHermite,
    DistCDF.WIGNER_SEMICIRCLE: WignerSemicircle,
    DistCDF.GUDERMANNIAN: Gudermannian,
    DistCDF.RECIPROCAL: Reciprocal,
    DistCDF.EXPONENTIAL: Exponential,
    DistCDF.EXPONENTIAL_REV: ExponentialRev,
    DistCDF.GAMMA: Gamma,
    DistCDF.GAMMA_REV: GammaRev,
    DistCDF.LEVY: Levy,
    DistCDF.LEVY_REV: LevyRev,
}
