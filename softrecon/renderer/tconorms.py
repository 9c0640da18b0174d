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
from typing import Callable, Dict, NamedTuple, Optional

import torch

from .cdfs import CDFS, DistCDF


class AggrAlpha(enum.IntEnum):
    """How the silhouette (alpha) channel aggregates the D_j (docs/METHOD.md section 3). Values are
    the C++ ``AggrAlpha``'s (``csrc/common/soft_raster_params.h``)."""

    PROD = 0  # 1 - prod_j (1 - D_j): probabilistic OR (probabilistic-sum T-conorm), the paper's choice
    SUM = 1  # sum_j D_j / F, as SoftRas' reference code
    HARD = 2  # 1 where any D_j > 0.5; no gradient
    MAX = 3  # max_j D_j: the maximum T-conorm (GenDR); ties share the gradient evenly
    EINSTEIN = 4  # tanh(sum_j artanh D_j): the Einstein-sum T-conorm (a + b) / (1 + a b) (GenDR)
    HAMACHER = 5  # O / (1 + O), O = sum_j D_j / (1 - D_j): the Hamacher T-conorm (a + b - 2ab) / (1 - ab) (GenDR)


class PairCoverage(NamedTuple):
    """Per-pair values (N, P, F) of a chunk; masked pairs hold any finite value."""

    coverage: torch.Tensor  # D_j
    log_miss: Optional[torch.Tensor]  # log(1 - D_j); None for hard coverage
    logit: Optional[torch.Tensor]  # the signed scaled distance x_j; None for hard coverage
    inside: torch.Tensor  # bool: the pixel is inside the face
    contributes: torch.Tensor  # bool: the face takes part at the pixel
    dist_cdf: DistCDF  # the CDF D_j = F(x_j)
    num_faces: int  # F, the divisor of 'sum'


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


def hamacher(pairs: PairCoverage) -> torch.Tensor:
    if pairs.logit is None:  # hard coverage (0 or 1): any face inside
        return (pairs.contributes & pairs.inside).any(-1).to(pairs.coverage.dtype)
    # 1 - A = 1 / (1 + sum_j odds_j): A = sigmoid(log sum_j odds_j), in log space so that
    # no odds overflows.
    log_odds = CDFS[pairs.dist_cdf].log_odds(pairs.logit, pairs.coverage, pairs.log_miss)
    absent = torch.finfo(log_odds.dtype).min  # finite: exp(absent - L) is 0, and no NaN in backward
    return torch.sigmoid(
        torch.logsumexp(torch.where(pairs.contributes, log_odds, torch.full_like(log_odds, absent)), -1)
    )


#: The table of modes: each ``AggrAlpha`` and its function (N, P, F) values -> (N, P) alpha.
TCONORMS: Dict[AggrAlpha, Callable[[PairCoverage], torch.Tensor]] = {
    AggrAlpha.PROD: prod,
    AggrAlpha.SUM: sum_,
    AggrAlpha.HARD: hard,
    AggrAlpha.MAX: max_,
    AggrAlpha.EINSTEIN: einstein,
    AggrAlpha.HAMACHER: hamacher,
}
