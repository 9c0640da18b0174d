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
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const SoftRasterParams&, const PairSample<scalar_t>& s) {
    return sr_log(s.miss);
  }
  // log(D / (1 - D)); D >= dist_eps > 0 at a contributing pair, so log D is finite.
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_odds(const SoftRasterParams& p, const PairSample<scalar_t>& s) {
    return sr_log(s.coverage) - Cdf::log_miss(p, s);
  }
  // d log(D / (1 - D)) / dx = f / (D (1 - D)) = hazard / D.
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_odds_slope(const SoftRasterParams&, const PairSample<scalar_t>& s) {
    return s.hazard / s.coverage;
  }
};

// 1 / (1 + exp(-x)): SoftRas. Its log-odds is x itself.
struct LogisticCdf : CdfDefaults<LogisticCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams&, scalar_t x, PairSample<scalar_t>& s) {
    const scalar_t e = sr_exp(-sr_abs(x));
    const scalar_t inv = scalar_t(1) / (scalar_t(1) + e);
    s.coverage = x >= scalar_t(0) ? inv : e * inv;
    s.miss = x >= scalar_t(0) ? e * inv : inv;
    s.density = s.coverage * s.miss;
    s.hazard = s.coverage;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const SoftRasterParams&, const PairSample<scalar_t>& s) {
    const scalar_t x = s.logit;
    return -(sr_max(x, scalar_t(0)) + sr_log1p(sr_exp(-sr_abs(x))));
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_odds(const SoftRasterParams&, const PairSample<scalar_t>& s) {
    return s.logit;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_odds_slope(const SoftRasterParams&, const PairSample<scalar_t>&) {
    return scalar_t(1);
  }
};

// Phi(x), the standard normal CDF; past GaussianTail::kSwitch the hazard and log(1 - D)
// come from the continued fraction of Q / phi.
struct GaussianCdf : CdfDefaults<GaussianCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams&, scalar_t x, PairSample<scalar_t>& s) {
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
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const SoftRasterParams&, const PairSample<scalar_t>& s) {
    const scalar_t x = s.logit;
    if (x > GaussianTail<scalar_t>::kSwitch)  // log Q(x) = log phi(x) - log hazard(x)
      return scalar_t(-0.5) * x * x - scalar_t(0.91893853320467274178) - sr_log(s.hazard);
    return sr_log(s.miss);
  }
};

// exp(x) / 2 for x < 0, 1 - exp(-x) / 2 otherwise.
struct LaplaceCdf : CdfDefaults<LaplaceCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams&, scalar_t x, PairSample<scalar_t>& s) {
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
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const SoftRasterParams&, const PairSample<scalar_t>& s) {
    const scalar_t x = s.logit;
    if (x >= scalar_t(0)) return scalar_t(-0.69314718055994530942) - x;
    return sr_log(s.miss);
  }
};

// 1/2 + atan(x) / pi, as F(x) = atan2(1, -x) / pi: accurate in both tails.
struct CauchyCdf : CdfDefaults<CauchyCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams&, scalar_t x, PairSample<scalar_t>& s) {
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
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams&, scalar_t x, PairSample<scalar_t>& s) {
    const scalar_t y = sr_exp(-sr_max(x, scalar_t(-kGumbelExponentLimit)));
    s.coverage = sr_exp(-y);
    s.miss = -sr_expm1(-y);
    s.density = y * s.coverage;
    s.hazard = s.miss > scalar_t(0) ? s.density / s.miss : scalar_t(1);  // -> 1 as y -> 0
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const SoftRasterParams&, const PairSample<scalar_t>& s) {
    const scalar_t x = s.logit;
    const scalar_t y = sr_exp(-sr_max(x, scalar_t(-kGumbelExponentLimit)));
    return y < scalar_t(kGumbelSmall) ? -x - scalar_t(0.5) * y : sr_log(-sr_expm1(-sr_max(y, scalar_t(kGumbelSmall))));
  }
};

// F = 1 - exp(-e), e = exp(x); the hazard is e itself.
struct GumbelMinCdf : CdfDefaults<GumbelMinCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams&, scalar_t x, PairSample<scalar_t>& s) {
    const scalar_t e = sr_exp(sr_min(x, scalar_t(kGumbelExponentLimit)));
    s.coverage = -sr_expm1(-e);
    s.miss = sr_exp(-e);
    s.density = e * s.miss;
    s.hazard = e;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const SoftRasterParams&, const PairSample<scalar_t>& s) {
    return -sr_exp(sr_min(s.logit, scalar_t(kGumbelExponentLimit)));
  }
};

// ----------------------------------------------------------------- GenDR's other CDFs
// A saturated pair (1 - D exactly 0: the bounded supports) has hazard 0: its own gradient
// is f(x) over a product that holds its 1 - D = 0, and the T-conorms give it none.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t hazard_of(const PairSample<scalar_t>& s) {
  return s.miss > scalar_t(0) ? s.density / s.miss : scalar_t(0);
}

// (x + 1) / 2 on [-1, 1].
struct UniformCdf : CdfDefaults<UniformCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams&, scalar_t x, PairSample<scalar_t>& s) {
    s.coverage = sr_clamp01((x + scalar_t(1)) * scalar_t(0.5));
    s.miss = sr_clamp01((scalar_t(1) - x) * scalar_t(0.5));
    s.density = (x >= scalar_t(-1) && x <= scalar_t(1)) ? scalar_t(0.5) : scalar_t(0);
    s.hazard = hazard_of(s);
  }
};

// The smoothstep 3 y^2 - 2 y^3 of y = (x + 1) / 2 on [-1, 1].
struct CubicHermiteCdf : CdfDefaults<CubicHermiteCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams&, scalar_t x, PairSample<scalar_t>& s) {
    const scalar_t y = sr_clamp01((x + scalar_t(1)) * scalar_t(0.5));
    const scalar_t z = sr_clamp01((scalar_t(1) - x) * scalar_t(0.5));
    s.coverage = y * y * (scalar_t(3) - scalar_t(2) * y);
    s.miss = z * z * (scalar_t(3) - scalar_t(2) * z);
    s.density = (x >= scalar_t(-1) && x <= scalar_t(1)) ? scalar_t(3) * y * (scalar_t(1) - y) : scalar_t(0);
    s.hazard = hazard_of(s);
  }
};

// u - sin(u) for u >= 0, by its series below 0.5 (no cancellation).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t u_minus_sin_u(scalar_t u) {
  if (u < scalar_t(0.5)) {
    const scalar_t v2 = u * u;
    return u * v2 / scalar_t(6) *
           (scalar_t(1) -
            v2 / scalar_t(20) *
                (scalar_t(1) -
                 v2 / scalar_t(42) *
                     (scalar_t(1) - v2 / scalar_t(72) * (scalar_t(1) - v2 / scalar_t(110) * (scalar_t(1) - v2 / scalar_t(156))))));
  }
  return u - sr_sin(u);
}

// The semicircle law on [-1, 1]: F = (u - sin u) / (2 pi), u = 4 asin(sqrt((1 + x) / 2)).
struct WignerSemicircleCdf : CdfDefaults<WignerSemicircleCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t tail(scalar_t t) {  // F at (1 + x) / 2 = t
    constexpr scalar_t kInv2Pi = scalar_t(0.15915494309189533577);
    return u_minus_sin_u(scalar_t(4) * sr_asin(sr_sqrt(t))) * kInv2Pi;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams&, scalar_t x, PairSample<scalar_t>& s) {
    constexpr scalar_t kTwoOverPi = scalar_t(0.63661977236758134308);
    if (x > scalar_t(-1) && x < scalar_t(1)) {
      s.coverage = tail((x + scalar_t(1)) * scalar_t(0.5));
      s.miss = tail((scalar_t(1) - x) * scalar_t(0.5));
      s.density = kTwoOverPi * sr_sqrt((scalar_t(1) + x) * (scalar_t(1) - x));
    } else {
      s.coverage = x >= scalar_t(1) ? scalar_t(1) : scalar_t(0);
      s.miss = x <= scalar_t(-1) ? scalar_t(1) : scalar_t(0);
      s.density = scalar_t(0);
    }
    s.hazard = hazard_of(s);
  }
};

// The hyperbolic secant distribution: (2 / pi) atan(exp(x)), from e = exp(-|x|).
struct GudermannianCdf : CdfDefaults<GudermannianCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams&, scalar_t x, PairSample<scalar_t>& s) {
    constexpr scalar_t kTwoOverPi = scalar_t(0.63661977236758134308);
    const bool positive = x > scalar_t(0);
    const scalar_t e = sr_exp(positive ? -x : x);
    const scalar_t tail = sr_atan(e) * kTwoOverPi;
    s.coverage = positive ? scalar_t(1) - tail : tail;
    s.miss = positive ? tail : scalar_t(1) - tail;
    s.density = kTwoOverPi * e / (scalar_t(1) + e * e);  // 1 / (pi cosh x)
    s.hazard = s.miss > scalar_t(0) ? s.density / s.miss : scalar_t(1);  // -> 1 as x grows
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const SoftRasterParams&, const PairSample<scalar_t>& s) {
    const scalar_t x = s.logit;
    if (x > scalar_t(0)) {  // log(2 / pi) - x + log(atan(e) / e)
      const scalar_t e = sr_exp(-x);
      const scalar_t ratio = e > scalar_t(1e-8) ? sr_atan(e) / e : scalar_t(1);
      return scalar_t(-0.45158270528945486473) - x + sr_log(ratio);
    }
    return sr_log1p(-s.coverage);
  }
};

// 1/2 + x / (2 (1 + |x|)).
struct ReciprocalCdf : CdfDefaults<ReciprocalCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams&, scalar_t x, PairSample<scalar_t>& s) {
    const bool positive = x >= scalar_t(0);
    const scalar_t tail = scalar_t(0.5) / (scalar_t(1) + (positive ? x : -x));
    s.coverage = positive ? scalar_t(1) - tail : tail;
    s.miss = positive ? tail : scalar_t(1) - tail;
    s.density = scalar_t(2) * tail * tail;
    s.hazard = positive ? scalar_t(2) * tail : s.density / s.miss;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_miss(const SoftRasterParams&, const PairSample<scalar_t>& s) {
    return s.logit >= scalar_t(0) ? sr_log(s.miss) : sr_log1p(-s.coverage);
  }
};

// A distribution G on [0, inf) at z > 0: G(z), 1 - G(z), the density g(z) and g / G,
// g / (1 - G) without underflow where the text below says so.
template <typename scalar_t>
struct OneSided {
  scalar_t lower, upper, density, density_over_lower, density_over_upper;
};

// D = G(x + shift) (reversed: 1 - G(shift - x)) with the G of Parts::parts; beyond the
// end of the support D is exactly 0 (reversed: 1, saturated).
template <typename Parts, typename scalar_t>
SR_HOST_DEVICE SR_INLINE void sample_one_sided(const SoftRasterParams& p, scalar_t x, bool reversed,
                                               PairSample<scalar_t>& s) {
  const scalar_t shift = scalar_t(p.dist_shift);
  const scalar_t z = reversed ? shift - x : x + shift;
  if (!(z > scalar_t(0))) {
    s.coverage = reversed ? scalar_t(1) : scalar_t(0);
    s.miss = reversed ? scalar_t(0) : scalar_t(1);
    s.density = s.hazard = scalar_t(0);
    return;
  }
  const OneSided<scalar_t> g = Parts::parts(p, z);
  s.density = g.density;
  if (reversed) {
    s.coverage = g.upper;
    s.miss = g.lower;
    s.hazard = g.lower > scalar_t(0) ? g.density_over_lower : scalar_t(0);
  } else {
    s.coverage = g.lower;
    s.miss = g.upper;
    s.hazard = g.upper > scalar_t(0) ? g.density_over_upper : scalar_t(0);
  }
}

// 1 - exp(-(x + shift)) beyond -shift.
struct ExponentialCdf : CdfDefaults<ExponentialCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static OneSided<scalar_t> parts(const SoftRasterParams&, scalar_t z) {
    OneSided<scalar_t> g;
    g.upper = sr_exp(-z);
    g.lower = -sr_expm1(-z);
    g.density = g.upper;
    g.density_over_lower = g.density / g.lower;
    g.density_over_upper = scalar_t(1);
    return g;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams& p, scalar_t x, PairSample<scalar_t>& s) {
    sample_one_sided<ExponentialCdf>(p, x, false, s);
  }
};

// exp(x - shift) below shift, else 1.
struct ExponentialRevCdf : CdfDefaults<ExponentialRevCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams& p, scalar_t x, PairSample<scalar_t>& s) {
    sample_one_sided<ExponentialCdf>(p, x, true, s);
  }
};

// Terms of the incomplete gamma's series and continued fraction (each converges to
// rounding long before this where it is used).
constexpr int kIncompleteGammaTerms = 300;

// The regularized incomplete gamma P(a, z) and Q(a, z) = 1 - P of a > 0, z > 0: the
// series of P below z = a + 1, Lentz's continued fraction of Q above (the textbook
// split); the density over the smaller of the two comes from the series' or fraction's
// value itself, so that it never underflows.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE OneSided<scalar_t> incomplete_gamma(scalar_t a, scalar_t log_gamma_a, scalar_t z) {
  OneSided<scalar_t> g;
  const scalar_t prefix = sr_exp(a * sr_log(z) - z - log_gamma_a);  // z^a e^-z / Gamma(a)
  g.density = prefix / z;
  const scalar_t eps = ScalarLimits<scalar_t>::kEpsilon;
  if (z < a + scalar_t(1)) {
    scalar_t term = scalar_t(1) / a, sum = term;
    for (int n = 1; n < kIncompleteGammaTerms; ++n) {
      term *= z / (a + scalar_t(n));
      sum += term;
      if (term < sum * eps) break;
    }
    g.lower = prefix * sum;
    g.upper = scalar_t(1) - g.lower;
    g.density_over_lower = scalar_t(1) / (z * sum);
    g.density_over_upper = g.density / g.upper;
  } else {
    const scalar_t tiny = ScalarLimits<scalar_t>::kTiny;
    scalar_t b = z + scalar_t(1) - a, c = scalar_t(1) / tiny, d = scalar_t(1) / b, h = d;
    for (int n = 1; n < kIncompleteGammaTerms; ++n) {
      const scalar_t an = -scalar_t(n) * (scalar_t(n) - a);
      b += scalar_t(2);
      d = an * d + b;
      if (sr_abs(d) < tiny) d = tiny;
      c = b + an / c;
      if (sr_abs(c) < tiny) c = tiny;
      d = scalar_t(1) / d;
      const scalar_t delta = d * c;
      h *= delta;
      if (sr_abs(delta - scalar_t(1)) < eps) break;
    }
    g.upper = prefix * h;
    g.lower = scalar_t(1) - g.upper;
    g.density_over_upper = scalar_t(1) / (z * h);
    g.density_over_lower = g.density / g.lower;
  }
  return g;
}

// P(shape, x + shift), the regularized lower incomplete gamma.
struct GammaCdf : CdfDefaults<GammaCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static OneSided<scalar_t> parts(const SoftRasterParams& p, scalar_t z) {
    return incomplete_gamma(scalar_t(p.dist_shape), scalar_t(p.dist_log_gamma_shape), z);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams& p, scalar_t x, PairSample<scalar_t>& s) {
    sample_one_sided<GammaCdf>(p, x, false, s);
  }
};

// 1 - P(shape, shift - x) below shift, else 1.
struct GammaRevCdf : CdfDefaults<GammaRevCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams& p, scalar_t x, PairSample<scalar_t>& s) {
    sample_one_sided<GammaCdf>(p, x, true, s);
  }
};

// erfc(1 / sqrt(2 (x + shift))) beyond -shift.
struct LevyCdf : CdfDefaults<LevyCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static OneSided<scalar_t> parts(const SoftRasterParams&, scalar_t z) {
    constexpr scalar_t kInvSqrt2Pi = scalar_t(0.39894228040143267794);
    OneSided<scalar_t> g;
    const scalar_t y = scalar_t(1) / sr_sqrt(scalar_t(2) * z);
    g.lower = sr_erfc(y);
    g.upper = sr_erf(y);
    g.density = kInvSqrt2Pi * sr_exp(-y * y) / (z * sr_sqrt(z));
    g.density_over_lower = g.density / g.lower;
    g.density_over_upper = g.density / g.upper;
    return g;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams& p, scalar_t x, PairSample<scalar_t>& s) {
    sample_one_sided<LevyCdf>(p, x, false, s);
  }
};

// erf(1 / sqrt(2 (shift - x))) below shift, else 1.
struct LevyRevCdf : CdfDefaults<LevyRevCdf> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void sample(const SoftRasterParams& p, scalar_t x, PairSample<scalar_t>& s) {
    sample_one_sided<LevyCdf>(p, x, true, s);
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
SR_HOST_DEVICE SR_INLINE void coverage_of_logit(const SoftRasterParams& p, scalar_t x, PairSample<scalar_t>& s) {
  SR_DIST_CDFS(SR_CDF_CASE, p.dist_cdf, sample(p, x, s))
  SR_UNREACHABLE();
}

// log(1 - D) = log F(-x) of a soft contributing pair, without forming 1 - D where that
// would lose it.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t log_miss_of(const SoftRasterParams& p, const PairSample<scalar_t>& s) {
  SR_DIST_CDFS(SR_CDF_CASE, p.dist_cdf, log_miss(p, s))
  SR_UNREACHABLE();
}

// log(D / (1 - D)) of a soft contributing pair (the Hamacher sum adds the odds).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t coverage_log_odds(const SoftRasterParams& p, const PairSample<scalar_t>& s) {
  SR_DIST_CDFS(SR_CDF_CASE, p.dist_cdf, log_odds(p, s))
  SR_UNREACHABLE();
}

// d log(D / (1 - D)) / dx.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t log_odds_slope(const SoftRasterParams& p, const PairSample<scalar_t>& s) {
  SR_DIST_CDFS(SR_CDF_CASE, p.dist_cdf, log_odds_slope(p, s))
  SR_UNREACHABLE();
}

#undef SR_CDF_CASE

}  // namespace softrecon
