// The coverage CDFs D = F(x) of the signed scaled distance x, one struct each (the
// table of DistCDF modes, soft_raster_params.h SR_DIST_CDFS): D, its complement, density
// and hazard (sample), log(1 - D) (log_miss) and the log-odds the Hamacher sum adds
// (log_odds, log_odds_slope), each without cancellation. Twin of softrecon/renderer/cdfs.py.
//
// A CDF struct derives from CdfDefaults<itself> and defines sample; it overrides a
// default only where the generic formula loses accuracy for it.
#pragma once

#include "soft_raster_sample.h"

namespace softrecon {

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
// cdfs.py (GUMBEL_EXPONENT_LIMIT), so that exp never overflows.
constexpr double kGumbelExponentLimit = 80.0;
// Gumbel max: below this y = exp(-x), log(1 - D) = -x - y / 2 (cdfs.py: GUMBEL_SMALL).
constexpr double kGumbelSmall = 1e-8;
// Terms of the continued fraction Q(x) / phi(x) = 1 / (x + 1 / (x + 2 / (x + 3 / ...)))
// (converged to rounding for x >= 10 well before this).
constexpr int kMillsTerms = 40;

template <typename Cdf>
struct CdfDefaults {
  // log(1 - D) of a soft contributing pair (s filled by sample).
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const PairSample<scalar_t>& s) {
    return sr_log(s.miss);
  }
  // log(D / (1 - D)); D >= dist_eps > 0 at a contributing pair, so log D is finite.
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_odds(const PairSample<scalar_t>& s) {
    return sr_log(s.coverage) - Cdf::log_miss(s);
  }
  // d log(D / (1 - D)) / dx = f / (D (1 - D)) = hazard / D.
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_odds_slope(const PairSample<scalar_t>& s) {
    return s.hazard / s.coverage;
  }
};

// 1 / (1 + exp(-x)): SoftRas. Its log-odds is x itself.
struct LogisticCdf : CdfDefaults<LogisticCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(scalar_t x, PairSample<scalar_t>& s) {
    const scalar_t e = sr_exp(-sr_abs(x));
    const scalar_t inv = scalar_t(1) / (scalar_t(1) + e);
    s.coverage = x >= scalar_t(0) ? inv : e * inv;
    s.miss = x >= scalar_t(0) ? e * inv : inv;
    s.density = s.coverage * s.miss;
    s.hazard = s.coverage;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const PairSample<scalar_t>& s) {
    const scalar_t x = s.logit;
    return -(sr_max(x, scalar_t(0)) + sr_log1p(sr_exp(-sr_abs(x))));
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_odds(const PairSample<scalar_t>& s) {
    return s.logit;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_odds_slope(const PairSample<scalar_t>&) {
    return scalar_t(1);
  }
};

// Phi(x), the standard normal CDF; past GaussianTail::kSwitch the hazard and log(1 - D)
// come from the continued fraction of Q / phi.
struct GaussianCdf : CdfDefaults<GaussianCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(scalar_t x, PairSample<scalar_t>& s) {
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
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const PairSample<scalar_t>& s) {
    const scalar_t x = s.logit;
    if (x > GaussianTail<scalar_t>::kSwitch)  // log Q(x) = log phi(x) - log hazard(x)
      return scalar_t(-0.5) * x * x - scalar_t(0.91893853320467274178) - sr_log(s.hazard);
    return sr_log(s.miss);
  }
};

// exp(x) / 2 for x < 0, 1 - exp(-x) / 2 otherwise.
struct LaplaceCdf : CdfDefaults<LaplaceCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(scalar_t x, PairSample<scalar_t>& s) {
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
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const PairSample<scalar_t>& s) {
    const scalar_t x = s.logit;
    if (x >= scalar_t(0)) return scalar_t(-0.69314718055994530942) - x;
    return sr_log(s.miss);
  }
};

// 1/2 + atan(x) / pi, as F(x) = atan2(1, -x) / pi: accurate in both tails.
struct CauchyCdf : CdfDefaults<CauchyCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(scalar_t x, PairSample<scalar_t>& s) {
    constexpr scalar_t kInvPi = scalar_t(0.31830988618379067154);
    s.coverage = sr_atan2(scalar_t(1), -x) * kInvPi;
    s.miss = sr_atan2(scalar_t(1), x) * kInvPi;
    s.density = kInvPi / (scalar_t(1) + x * x);
    s.hazard = s.miss > scalar_t(0) ? s.density / s.miss : scalar_t(0);
  }
};

// F = exp(-y), y = exp(-x).
struct GumbelMaxCdf : CdfDefaults<GumbelMaxCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(scalar_t x, PairSample<scalar_t>& s) {
    const scalar_t y = sr_exp(-sr_max(x, scalar_t(-kGumbelExponentLimit)));
    s.coverage = sr_exp(-y);
    s.miss = -sr_expm1(-y);
    s.density = y * s.coverage;
    s.hazard = s.miss > scalar_t(0) ? s.density / s.miss : scalar_t(1);  // -> 1 as y -> 0
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const PairSample<scalar_t>& s) {
    const scalar_t x = s.logit;
    const scalar_t y = sr_exp(-sr_max(x, scalar_t(-kGumbelExponentLimit)));
    return y < scalar_t(kGumbelSmall) ? -x - scalar_t(0.5) * y : sr_log(-sr_expm1(-sr_max(y, scalar_t(kGumbelSmall))));
  }
};

// F = 1 - exp(-e), e = exp(x); the hazard is e itself.
struct GumbelMinCdf : CdfDefaults<GumbelMinCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(scalar_t x, PairSample<scalar_t>& s) {
    const scalar_t e = sr_exp(sr_min(x, scalar_t(kGumbelExponentLimit)));
    s.coverage = -sr_expm1(-e);
    s.miss = sr_exp(-e);
    s.density = e * s.miss;
    s.hazard = e;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const PairSample<scalar_t>& s) {
    return -sr_exp(sr_min(s.logit, scalar_t(kGumbelExponentLimit)));
  }
};

// ----------------------------------------------------------------- dispatch on p.dist_cdf
// Each operation is one chain of compares over the SR_DIST_CDFS list (not a switch: in
// the per-pair loops a switch measured 5 to 10% slower on the CPU). The binding accepts
// only listed values, so the chain always returns (SR_UNREACHABLE).
#define SR_CDF_CASE(name, value, python_name, mode, operation) \
  if (mode == DistCDF::name) return name##Cdf::operation;

// Fills s.coverage, miss, density and hazard from x (s.logit for the other operations).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void coverage_of_logit(DistCDF cdf, scalar_t x, PairSample<scalar_t>& s) {
  SR_DIST_CDFS(SR_CDF_CASE, cdf, sample(x, s))
  SR_UNREACHABLE();
}

// log(1 - D) = log F(-x) of a soft contributing pair, without forming 1 - D where that
// would lose it.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t log_miss_of(DistCDF cdf, const PairSample<scalar_t>& s) {
  SR_DIST_CDFS(SR_CDF_CASE, cdf, log_miss(s))
  SR_UNREACHABLE();
}

// log(D / (1 - D)) of a soft contributing pair (the Hamacher sum adds the odds).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t coverage_log_odds(DistCDF cdf, const PairSample<scalar_t>& s) {
  SR_DIST_CDFS(SR_CDF_CASE, cdf, log_odds(s))
  SR_UNREACHABLE();
}

// d log(D / (1 - D)) / dx.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t log_odds_slope(DistCDF cdf, const PairSample<scalar_t>& s) {
  SR_DIST_CDFS(SR_CDF_CASE, cdf, log_odds_slope(s))
  SR_UNREACHABLE();
}

#undef SR_CDF_CASE

}  // namespace softrecon
