"""The alpha aggregations (T-conorms): how the coverages D_j of a pixel's faces combine
into its alpha. One function per mode.

The table of ``AggrAlpha`` modes for the dense reference (docs/METHOD.md section 3; GenDR). Each
takes the per-pair values of a chunk (``PairCoverage``) and returns the alpha (N, P).
Twin of ``csrc/common/soft_raster_tconorms.h`` (one struct per mode there, with the
online form and the backward); a new aggregation is one function here, one struct there,
one line in each enum.
"""

from __future__ import annotations

import enum
import math
from typing import Callable, Dict, NamedTuple, Optional

import torch
import torch.nn.functional as F

from .cdfs import CoverageCDF


class AggrAlpha(enum.IntEnum):
    """How the silhouette (alpha) channel aggregates the D_j (docs/METHOD.md section 3). Values are
    the C++ ``AggrAlpha``'s (``csrc/common/soft_raster_params.h``)."""

    PROD = 0  # 1 - prod_j (1 - D_j): probabilistic OR (probabilistic-sum T-conorm), the paper's choice
    SUM = 1  # sum_j D_j / F, as SoftRas' reference code
    HARD = 2  # 1 where any D_j > 0.5; no gradient
    MAX = 3  # max_j D_j: the maximum T-conorm (GenDR); ties share the gradient evenly
    EINSTEIN = 4  # tanh(sum_j artanh D_j): the Einstein-sum T-conorm (a + b) / (1 + a b) (GenDR)
    HAMACHER = 5  # the Hamacher T-conorm of parameter lambda = tconorm_p >= 0 (GenDR); lambda 0: O / (1 + O), O = sum_j D_j / (1 - D_j)
    FRANK = 6  # the Frank T-conorm of parameter s = tconorm_p > 0, s != 1 (GenDR)
    YAGER = 7  # min(1, (sum_j D_j^p)^(1/p)), p = tconorm_p > 0 (GenDR): nilpotent
    ACZEL_ALSINA = 8  # 1 - exp(-(sum_j (-log(1 - D_j))^p)^(1/p)), p = tconorm_p > 0 (GenDR)
    DOMBI = 9  # O / (1 + O), O = (sum_j odds_j^p)^(1/p), p = tconorm_p > 0 (GenDR)
    SCHWEIZER_SKLAR = 10  # 1 - (sum_j (1 - D_j)^p - F + 1)^(1/p), p = tconorm_p < 0 (GenDR)


#: The parameter tconorm_p of each parametrised T-conorm: its default and the test of its
#: domain (with the domain's words for the error message).
TCONORM_PARAMETERS: Dict[AggrAlpha, tuple] = {
    AggrAlpha.HAMACHER: (0.0, lambda p: p >= 0, ">= 0"),
    AggrAlpha.FRANK: (2.0, lambda p: p > 0 and p != 1, "> 0 and != 1"),
    AggrAlpha.YAGER: (2.0, lambda p: p > 0, "> 0"),
    AggrAlpha.ACZEL_ALSINA: (2.0, lambda p: p > 0, "> 0"),
    AggrAlpha.DOMBI: (2.0, lambda p: p > 0, "> 0"),
    AggrAlpha.SCHWEIZER_SKLAR: (-2.0, lambda p: p < 0, "< 0"),
}


class PairCoverage(NamedTuple):
    """Per-pair values (N, P, F) of a chunk; masked pairs hold any finite value."""

    coverage: torch.Tensor  # D_j
    log_miss: Optional[torch.Tensor]  # log(1 - D_j); None for hard coverage
    logit: Optional[torch.Tensor]  # the signed scaled distance x_j; None for hard coverage
    inside: torch.Tensor  # bool: the pixel is inside the face
    contributes: torch.Tensor  # bool: the face takes part at the pixel
    cdf: Optional[CoverageCDF]  # the CDF D_j = F(x_j) (None for hard coverage)
    num_faces: int  # F, the divisor of 'sum'
    tconorm_p: float = 0.0  # the parameter of the parametrised T-conorms


def _log_miss(pairs: PairCoverage) -> torch.Tensor:
    """log(1 - D_j) of the contributing pairs, 0 elsewhere (-inf inside for hard coverage),
    never formed as 1 - D (exact where D is within rounding of 1)."""
    if pairs.logit is None:
        return torch.where(pairs.contributes & pairs.inside, float("-inf"), 0.0).to(pairs.coverage.dtype)
    return torch.where(pairs.contributes, pairs.log_miss, torch.zeros_like(pairs.logit))


def _present(pairs: PairCoverage) -> torch.Tensor:
    """D_j of the contributing pairs, 0 elsewhere."""
    return torch.where(pairs.contributes, pairs.coverage, torch.zeros_like(pairs.coverage))


def prod(pairs: PairCoverage) -> torch.Tensor:
    return -torch.expm1(_log_miss(pairs).sum(-1))


def sum_(pairs: PairCoverage) -> torch.Tensor:
    return _present(pairs).sum(-1) / max(pairs.num_faces, 1)


def hard(pairs: PairCoverage) -> torch.Tensor:
    return (pairs.contributes & (pairs.coverage > 0.5)).any(-1).to(pairs.coverage.dtype)


def max_(pairs: PairCoverage) -> torch.Tensor:
    return _present(pairs).amax(-1)


def einstein(pairs: PairCoverage) -> torch.Tensor:
    # artanh D = (log(1 + D) - log(1 - D)) / 2; the Einstein sum adds them.
    return torch.tanh((0.5 * (torch.log1p(_present(pairs)) - _log_miss(pairs))).sum(-1))


def _log_odds(pairs: PairCoverage) -> torch.Tensor:
    """log(D_j / (1 - D_j)) of the pairs (finite for contributing unsaturated ones)."""
    return pairs.cdf.log_odds(pairs.logit, pairs.coverage, pairs.log_miss)


def _saturating(tconorm: Callable[[PairCoverage], torch.Tensor]) -> Callable[[PairCoverage], torch.Tensor]:
    """A T-conorm of D = 1 is 1 (S(a, 1) = 1): where a contributing pair is saturated
    (1 - D exactly 0: hard coverage inside, the bounded supports), alpha is 1 with no
    gradient; ``tconorm`` sees the other pairs only (its generator would be infinite)."""

    def aggregate(pairs: PairCoverage) -> torch.Tensor:
        saturated = pairs.contributes & (_log_miss(pairs) == float("-inf"))
        hit = saturated.any(-1)
        if pairs.logit is None:
            return hit.to(pairs.coverage.dtype)
        zero = torch.zeros_like(pairs.logit)
        rest = pairs._replace(
            contributes=pairs.contributes & ~saturated,
            log_miss=torch.where(saturated, zero, pairs.log_miss),
            coverage=torch.where(saturated, zero + 0.5, pairs.coverage),
        )
        return torch.where(hit, torch.ones_like(hit, dtype=pairs.coverage.dtype), tconorm(rest))

    aggregate.__name__ = aggregate.__qualname__ = tconorm.__name__
    aggregate.__doc__ = tconorm.__doc__
    return aggregate


def _generator_sum(pairs: PairCoverage, generator: torch.Tensor) -> torch.Tensor:
    """U = sum_j g(D_j) over the contributing pairs, (N, P)."""
    return torch.where(pairs.contributes, generator, torch.zeros_like(generator)).sum(-1)


def _positive(u: torch.Tensor, value: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """value(U) where U > 0, else 0 (no faces: alpha 0), with no NaN from the other branch."""
    positive = u > 0
    return torch.where(positive, value(torch.where(positive, u, torch.ones_like(u))), torch.zeros_like(u))


def _log_generator_sum(pairs: PairCoverage, log_generator: torch.Tensor) -> torch.Tensor:
    """L = log U = log sum_j g(D_j) from each pair's log g(D_j), (N, P), in log space so
    that no generator overflows or underflows (about the absent value of no faces)."""
    absent = torch.finfo(log_generator.dtype).min  # finite: exp(absent - L) is 0, and no NaN in backward
    return torch.logsumexp(torch.where(pairs.contributes, log_generator, torch.full_like(log_generator, absent)), -1)


def _log_sum_exp_alpha(pairs: PairCoverage, power: float) -> torch.Tensor:
    """sigmoid(L / power), L = log sum_j exp(power * log-odds_j): Hamacher 0 (power 1) and
    Dombi."""
    return torch.sigmoid(_log_generator_sum(pairs, power * _log_odds(pairs)) / power)


@_saturating
def hamacher(pairs: PairCoverage) -> torch.Tensor:
    """Generator g(D) = log(1 + lambda odds) (lambda > 0; 1: prod, 2: Einstein), odds / (1 +
    odds) of U = sum_j odds_j for lambda 0."""
    lam = pairs.tconorm_p
    if lam == 0:
        return _log_sum_exp_alpha(pairs, 1.0)
    u = _generator_sum(pairs, F.softplus(_log_odds(pairs) + math.log(lam)))
    # odds of alpha: expm1(U) / lambda; log expm1(U) = U + log(1 - exp(-U)).
    return _positive(u, lambda u: torch.sigmoid(u + torch.log(-torch.expm1(-u)) - math.log(lam)))


@_saturating
def frank(pairs: PairCoverage) -> torch.Tensor:
    """Generator g(D) = -log((s^(1 - D) - 1) / (s - 1)); alpha = 1 - log_s(1 + (s - 1) e^-U)."""
    log_s = math.log(pairs.tconorm_p)
    c = math.expm1(log_s)  # s - 1
    coverage, miss = pairs.coverage, torch.exp(pairs.log_miss)
    low = coverage < 0.5  # s^(1 - D) - s = s (s^-D - 1): accurate for small D
    g_low = -torch.log1p(pairs.tconorm_p * torch.expm1(-torch.where(low, coverage, 0.0 * coverage) * log_s) / c)
    g_high = -torch.log(torch.expm1(torch.where(low, 0.5 + 0.0 * miss, miss) * log_s) / c)
    u = _generator_sum(pairs, torch.where(low, g_low, g_high))
    return torch.log1p(c * -torch.expm1(-u) / (1.0 + c * torch.exp(-u))) / log_s


@_saturating
def yager(pairs: PairCoverage) -> torch.Tensor:
    """Generator g(D) = D^p, nilpotent: alpha = min(1, U^(1/p))."""
    p = pairs.tconorm_p
    safe = torch.where(pairs.contributes, pairs.coverage, torch.ones_like(pairs.coverage))
    return torch.exp(_log_generator_sum(pairs, p * torch.log(safe)).clamp(max=0.0) / p)


@_saturating
def aczel_alsina(pairs: PairCoverage) -> torch.Tensor:
    """Generator g(D) = (-log(1 - D))^p: alpha = 1 - exp(-U^(1/p))."""
    p = pairs.tconorm_p
    contributes = pairs.contributes & (pairs.log_miss < 0)
    m = torch.where(contributes, -pairs.log_miss, torch.ones_like(pairs.log_miss))
    log_u = _log_generator_sum(pairs._replace(contributes=contributes), p * torch.log(m))
    return -torch.expm1(-torch.exp(log_u / p))


@_saturating
def dombi(pairs: PairCoverage) -> torch.Tensor:
    """Generator g(D) = odds^p: alpha = sigmoid(log(U) / p)."""
    return _log_sum_exp_alpha(pairs, pairs.tconorm_p)


@_saturating
def schweizer_sklar(pairs: PairCoverage) -> torch.Tensor:
    """Generator g(D) = (1 - D)^p - 1 (p < 0): alpha = 1 - (1 + U)^(1/p), log(1 + U) =
    softplus(log U)."""
    p = pairs.tconorm_p
    contributes = pairs.contributes & (pairs.log_miss < 0)
    y = torch.where(contributes, p * pairs.log_miss, torch.ones_like(pairs.log_miss))  # > 0
    log_u = _log_generator_sum(pairs._replace(contributes=contributes), y + torch.log(-torch.expm1(-y)))
    return -torch.expm1(F.softplus(log_u) / p)


#: The table of modes: each ``AggrAlpha`` and its function (N, P, F) values -> (N, P) alpha.
TCONORMS: Dict[AggrAlpha, Callable[[PairCoverage], torch.Tensor]] = {
    AggrAlpha.PROD: prod,
    AggrAlpha.SUM: sum_,
    AggrAlpha.HARD: hard,
    AggrAlpha.MAX: max_,
    AggrAlpha.EINSTEIN: einstein,
    AggrAlpha.HAMACHER: hamacher,
    AggrAlpha.FRANK: frank,
    AggrAlpha.YAGER: yager,
    AggrAlpha.ACZEL_ALSINA: aczel_alsina,
    AggrAlpha.DOMBI: dombi,
    AggrAlpha.SCHWEIZER_SKLAR: schweizer_sklar,
}
