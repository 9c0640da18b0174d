"""The coverage CDFs D = F(x) of the signed scaled distance x: one class per mode.

The table of ``DistCDF`` modes. Each class holds everything of its distribution: the
boundary coverage F(0), the quantile F^-1 (the cut-off radius), and the per-pair values
the dense reference differentiates, D and log(1 - D) and the log-odds log(D / (1 - D)),
each without cancellation and with finite gradients for every finite x. Twin of
``csrc/common/soft_raster_cdfs.h`` (one struct per mode there, same names); a new CDF is
one class here, one struct there, one line in each enum.
"""

from __future__ import annotations

import enum
import math
import statistics
from typing import Dict, Tuple, Type

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


class CoverageCDF:
    """One CDF. Subclasses define ``quantile`` and ``coverage_and_log_miss`` and override
    ``at_zero`` / ``log_odds`` where the generic value does not hold or loses accuracy."""

    #: F(0): the coverage of a pixel on a triangle's boundary.
    at_zero: float = 0.5

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


#: The table of modes: each ``DistCDF`` and its class.
CDFS: Dict[DistCDF, Type[CoverageCDF]] = {
    DistCDF.LOGISTIC: Logistic,
    DistCDF.GAUSSIAN: Gaussian,
    DistCDF.LAPLACE: Laplace,
    DistCDF.CAUCHY: Cauchy,
    DistCDF.GUMBEL_MAX: GumbelMax,
    DistCDF.GUMBEL_MIN: GumbelMin,
}
