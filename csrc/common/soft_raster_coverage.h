// Coverage of one (pixel, face) pair: the values a pair carries (PairSample), the
// distance functions' pieces (squared distance to an edge, its envelope backward, the
// gradient split of a minimum of three), the CDFs D = F(x) with their complements,
// densities and hazards (coverage_of_logit), and the per-pair terms the T-conorms
// aggregate (log(1 - D), artanh D, log-odds). Mirrors softrecon/renderer/reference.py.
#pragma once

#include "soft_raster_face.h"

namespace softrecon {

// ----------------------------------------------------------------- one (pixel, face) pair
template <typename scalar_t>
struct PairSample {
  scalar_t w[3];      // barycentric coordinates (edge functions over area2)
  scalar_t wc[3];     // clamped to [0, 1] and renormalised
  scalar_t csum;      // sum of the clamped coordinates (>= 1/3)
  scalar_t zp;        // perspective-correct depth 1 / sum(wc_k / z_k)
  scalar_t d[3];      // squared distance to each edge (euclidean only)
  scalar_t t[3];      // clamped projection parameter on each edge (euclidean only)
  scalar_t logit;     // signed distance over sigma, x; 0 for 'hard'
  scalar_t coverage;  // D = F(x) (1 for 'hard')
  scalar_t miss;      // 1 - D computed as F(-x), without cancellation (0 for 'hard')
  scalar_t density;   // dD/dx = f(x) (0 for 'hard')
  scalar_t hazard;    // f(x) / (1 - F(x)) = -d log(1 - D)/dx, finite where 1 - D underflows
  bool inside;        // all w_k >= 0
};

// ----------------------------------------------------------------- distances
// Squared distance from (px, py) to edge e of face record fd (the segment from vertex e
// to vertex e+1), as reference._segment_distance_squared; t receives the clamped
// projection parameter, which the backward reuses.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t edge_distance2(const scalar_t* fd, int e, scalar_t px, scalar_t py, scalar_t& t) {
  const scalar_t ax = fd[kFaceX + e], ay = fd[kFaceY + e];
  const scalar_t dx = fd[kFaceEdgeDX + e], dy = fd[kFaceEdgeDY + e];
  t = sr_clamp01(((px - ax) * dx + (py - ay) * dy) / fd[kFaceEdgeLen2 + e]);
  const scalar_t rx = ax + t * dx - px, ry = ay + t * dy - py;
  return rx * rx + ry * ry;
}

// Backward of edge_distance2 in envelope form: with r = a + t (b - a) - p,
// d(d^2)/da = 2 r (1 - t) and d(d^2)/db = 2 r t. Adds g times these to grad (9 scalars).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void edge_distance2_backward(const scalar_t* fd, int e, scalar_t px, scalar_t py, scalar_t t,
                                                   scalar_t g, scalar_t* grad) {
  const int b = (e + 1) % 3;
  const scalar_t rx = fd[kFaceX + e] + t * fd[kFaceEdgeDX + e] - px;
  const scalar_t ry = fd[kFaceY + e] + t * fd[kFaceEdgeDY + e] - py;
  const scalar_t ka = scalar_t(2) * g * (scalar_t(1) - t), kb = scalar_t(2) * g * t;
  grad[3 * e] += ka * rx;
  grad[3 * e + 1] += ka * ry;
  grad[3 * b] += kb * rx;
  grad[3 * b + 1] += kb * ry;
}

// Gradient split of d2 = minimum(minimum(d01, d12), d20) onto its three arguments, as
// torch.minimum's backward does it (a tie sends half to each side).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void min3_weights(scalar_t d01, scalar_t d12, scalar_t d20, scalar_t* weight) {
  const scalar_t half = scalar_t(0.5);
  scalar_t w01 = d01 < d12 ? scalar_t(1) : (d01 == d12 ? half : scalar_t(0));
  scalar_t w12 = d12 < d01 ? scalar_t(1) : (d01 == d12 ? half : scalar_t(0));
  const scalar_t inner = sr_min(d01, d12);
  const scalar_t w_inner = inner < d20 ? scalar_t(1) : (inner == d20 ? half : scalar_t(0));
  const scalar_t w20 = d20 < inner ? scalar_t(1) : (inner == d20 ? half : scalar_t(0));
  weight[0] = w01 * w_inner;
  weight[1] = w12 * w_inner;
  weight[2] = w20;
}

// ----------------------------------------------------------------- coverage CDFs
// Above this x the Gaussian hazard phi(x) / Q(x) comes from a continued fraction: both
// phi and Q = erfc(x / sqrt 2) / 2 are near the bottom of the normal range beyond it.
template <typename scalar_t>
struct GaussianTail;
template <>
struct GaussianTail<float> {
  static constexpr float kSwitch = 10.0f;  // Q(10) ~ 7.6e-24
};
template <>
struct GaussianTail<double> {
  static constexpr double kSwitch = 30.0;  // Q(30) ~ 4.9e-198
};
// Gumbel CDFs: x is clamped to +-this before exp (D is exactly 0 or 1 beyond it), as in
// the reference (GUMBEL_EXPONENT_LIMIT), so that exp never overflows.
constexpr double kGumbelExponentLimit = 80.0;
// Gumbel max: below this y = exp(-x), log(1 - D) = -x - y / 2 (reference: GUMBEL_SMALL).
constexpr double kGumbelSmall = 1e-8;
// Terms of the continued fraction Q(x) / phi(x) = 1 / (x + 1 / (x + 2 / (x + 3 / ...)))
// (converged to rounding for x >= 10 well before this).
constexpr int kMillsTerms = 40;

// D = F(x), 1 - D = F(-x), f(x) and the hazard f / (1 - F) of the standard symmetric CDF
// cdf (softrecon/renderer/settings.py DistCDF), each without cancellation.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void coverage_of_logit(DistCDF cdf, scalar_t x, PairSample<scalar_t>& s) {
  constexpr scalar_t kInvPi = scalar_t(0.31830988618379067154);
  if (cdf == DistCDF::Logistic) {
    const scalar_t e = sr_exp(-sr_abs(x));
    const scalar_t inv = scalar_t(1) / (scalar_t(1) + e);
    s.coverage = x >= scalar_t(0) ? inv : e * inv;
    s.miss = x >= scalar_t(0) ? e * inv : inv;
    s.density = s.coverage * s.miss;
    s.hazard = s.coverage;
  } else if (cdf == DistCDF::Gaussian) {
    constexpr scalar_t kInvSqrt2 = scalar_t(0.70710678118654752440);
    constexpr scalar_t kInvSqrt2Pi = scalar_t(0.39894228040143267794);
    s.coverage = scalar_t(0.5) * sr_erfc(-x * kInvSqrt2);
    s.miss = scalar_t(0.5) * sr_erfc(x * kInvSqrt2);
    s.density = kInvSqrt2Pi * sr_exp(scalar_t(-0.5) * x * x);
    if (x > GaussianTail<scalar_t>::kSwitch) {
      scalar_t t = x;
      for (int k = kMillsTerms; k >= 1; --k) t = x + scalar_t(k) / t;
      s.hazard = t;
    } else {
      s.hazard = s.density / s.miss;
    }
  } else if (cdf == DistCDF::Laplace) {
    if (x >= scalar_t(0)) {
      s.miss = scalar_t(0.5) * sr_exp(-x);
      s.coverage = scalar_t(1) - s.miss;
      s.density = s.miss;
      s.hazard = scalar_t(1);
    } else {
      s.coverage = scalar_t(0.5) * sr_exp(x);
      s.miss = scalar_t(1) - s.coverage;
      s.density = s.coverage;
      s.hazard = s.coverage / s.miss;
    }
  } else if (cdf == DistCDF::Cauchy) {  // F(x) = atan2(1, -x) / pi, accurate in both tails
    s.coverage = sr_atan2(scalar_t(1), -x) * kInvPi;
    s.miss = sr_atan2(scalar_t(1), x) * kInvPi;
    s.density = kInvPi / (scalar_t(1) + x * x);
    s.hazard = s.miss > scalar_t(0) ? s.density / s.miss : scalar_t(0);
  } else if (cdf == DistCDF::GumbelMax) {  // F = exp(-y), y = exp(-x)
    const scalar_t y = sr_exp(-sr_max(x, scalar_t(-kGumbelExponentLimit)));
    s.coverage = sr_exp(-y);
    s.miss = -sr_expm1(-y);
    s.density = y * s.coverage;
    s.hazard = s.miss > scalar_t(0) ? s.density / s.miss : scalar_t(1);  // -> 1 as y -> 0
  } else {  // GumbelMin: F = 1 - exp(-e), e = exp(x); the hazard is e itself
    const scalar_t e = sr_exp(sr_min(x, scalar_t(kGumbelExponentLimit)));
    s.coverage = -sr_expm1(-e);
    s.miss = sr_exp(-e);
    s.density = e * s.miss;
    s.hazard = e;
  }
}

// log(1 - D) = log F(-x) of a soft contributing pair (s filled by coverage_of_logit),
// taken without forming 1 - D where that would lose it.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t log_miss_of(DistCDF cdf, const PairSample<scalar_t>& s) {
  const scalar_t x = s.logit;
  if (cdf == DistCDF::Logistic) return -(sr_max(x, scalar_t(0)) + sr_log1p(sr_exp(-sr_abs(x))));
  if (cdf == DistCDF::Gaussian && x > GaussianTail<scalar_t>::kSwitch)  // log Q(x) = log phi(x) - log hazard(x)
    return scalar_t(-0.5) * x * x - scalar_t(0.91893853320467274178) - sr_log(s.hazard);
  if (cdf == DistCDF::Laplace && x >= scalar_t(0)) return scalar_t(-0.69314718055994530942) - x;
  if (cdf == DistCDF::GumbelMax) {
    const scalar_t y = sr_exp(-sr_max(x, scalar_t(-kGumbelExponentLimit)));
    return y < scalar_t(kGumbelSmall) ? -x - scalar_t(0.5) * y : sr_log(-sr_expm1(-sr_max(y, scalar_t(kGumbelSmall))));
  }
  if (cdf == DistCDF::GumbelMin) return -sr_exp(sr_min(x, scalar_t(kGumbelExponentLimit)));
  return sr_log(s.miss);
}

// artanh D = (log(1 + D) - log(1 - D)) / 2 of a contributing pair (the Einstein sum adds
// them); +inf for hard coverage (D = 1).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t coverage_artanh(DistCDF cdf, DistFunc dist_func, const PairSample<scalar_t>& s) {
  if (dist_func == DistFunc::Hard) return scalar_t(INFINITY);
  return scalar_t(0.5) * (sr_log1p(s.coverage) - log_miss_of(cdf, s));
}

// log(D / (1 - D)) of a soft contributing pair (the Hamacher sum adds the odds): x itself
// for the logistic. D >= dist_eps > 0 there, so log D is finite.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t coverage_log_odds(DistCDF cdf, const PairSample<scalar_t>& s) {
  if (cdf == DistCDF::Logistic) return s.logit;
  return sr_log(s.coverage) - log_miss_of(cdf, s);
}

// d log(D / (1 - D)) / dx = f / (D (1 - D)) = hazard / D (1 for the logistic).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t log_odds_slope(DistCDF cdf, const PairSample<scalar_t>& s) {
  return cdf == DistCDF::Logistic ? scalar_t(1) : s.hazard / s.coverage;
}

}  // namespace softrecon
