// The alpha aggregations (T-conorms), one struct each (the table of AggrAlpha modes,
// soft_raster_params.h SR_AGGR_ALPHAS): how a pixel's faces combine into its alpha, in
// the order they arrive (add), the alpha and the value the backward needs (alpha,
// saved_state), and d alpha / d x_j of one face (logit_gradient). Twin of
// softrecon/renderer/tconorms.py.
#pragma once

#include "soft_raster_cdfs.h"

namespace softrecon {

// A running log-sum-exp of per-face values: L = log sum_j exp(value_j), kept as the largest
// value so far (shift) and sum_j exp(value_j - shift), so that no term over- or underflows.
template <typename scalar_t>
struct LogSumExp {
  scalar_t shift;  // largest value so far (-inf for none; +inf, a saturated face, stays)
  scalar_t sum;    // sum_j exp(value_j - shift)

  SR_HOST_DEVICE SR_INLINE void init() {
    shift = scalar_t(-INFINITY);
    sum = scalar_t(0);
  }
  SR_HOST_DEVICE SR_INLINE void add(scalar_t value) {
    if (!(shift < scalar_t(INFINITY))) return;  // +inf (a saturated face) stays
    if (value > shift) {
      sum = sum * sr_exp(shift - value) + scalar_t(1);
      shift = value;
    } else {
      sum += sr_exp(value - shift);
    }
  }
  // L (-inf for none).
  SR_HOST_DEVICE SR_INLINE scalar_t value() const { return shift + sr_log(sum); }
};

// Each struct has:
//   State<scalar_t>: its running state of one pixel, its own fields only (AlphaState, the
//     union of them all, holds the pixel's: below);
//   init(a): the state of no face;
//   add(p, a, s): face j with its contributing sample s arrives;
//   alpha(p, a): the pixel's alpha once all faces have arrived;
//   saved_state(p, a): the value the backward needs (aux channel kAuxAlphaState);
//   logit_gradient(p, s, g_alpha, alpha, state): g_alpha d alpha / d x_j of a contributing
//     soft pair, from the pixel's alpha and saved state.

// 1 - prod_j (1 - D_j): probabilistic OR, the paper's choice.
struct ProdTconorm {
  template <typename scalar_t>
  struct State {
    scalar_t alpha;          // 1 - T so far, as sum_j D_j prod_{i<j} (1 - D_i) (no cancellation)
    scalar_t transmittance;  // T = prod_j (1 - D_j) so far
  };
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void init(State<scalar_t>& a) {
    a.alpha = scalar_t(0);
    a.transmittance = scalar_t(1);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams&, State<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    a.alpha += s.coverage * a.transmittance;
    a.transmittance *= s.miss;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams&, const State<scalar_t>& a) {
    return a.alpha;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const State<scalar_t>& a) {
    return a.transmittance;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t logit_gradient(const SoftRasterParams&, const PairSample<scalar_t>& s,
                                                          scalar_t g_alpha, scalar_t, scalar_t state) {
    // dA/dx_j = prod_{k != j} (1 - D_k) f(x_j) = T * hazard_j (T D_j for the logistic),
    // with no division by 1 - D_j.
    return g_alpha * state * s.hazard;
  }
};

// sum_j D_j / F, as SoftRas' reference code.
struct SumTconorm {
  template <typename scalar_t>
  struct State {
    scalar_t coverage_sum;  // sum_j D_j so far
  };
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void init(State<scalar_t>& a) {
    a.coverage_sum = scalar_t(0);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams&, State<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    a.coverage_sum += s.coverage;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams& p, const State<scalar_t>& a) {
    return a.coverage_sum / scalar_t(p.num_faces);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const State<scalar_t>&) {
    return scalar_t(0);  // the backward needs nothing
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t logit_gradient(const SoftRasterParams& p, const PairSample<scalar_t>& s,
                                                          scalar_t g_alpha, scalar_t, scalar_t) {
    return g_alpha * s.density / scalar_t(p.num_faces);
  }
};

// 1 where any D_j > 0.5: no gradient.
struct HardTconorm {
  template <typename scalar_t>
  struct State {
    bool hit;  // some D_j > 0.5
  };
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void init(State<scalar_t>& a) {
    a.hit = false;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams&, State<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    a.hit = a.hit | (s.coverage > scalar_t(0.5));  // no short-circuit: no branch on the end of the pair's chain
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams&, const State<scalar_t>& a) {
    return a.hit ? scalar_t(1) : scalar_t(0);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const State<scalar_t>&) {
    return scalar_t(0);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t logit_gradient(const SoftRasterParams&, const PairSample<scalar_t>&,
                                                          scalar_t, scalar_t, scalar_t) {
    return scalar_t(0);
  }
};

// max_j D_j (GenDR); the faces attaining the maximum share its gradient evenly.
struct MaxTconorm {
  template <typename scalar_t>
  struct State {
    scalar_t max_coverage;  // largest D_j so far (0 for none)
    scalar_t max_ties;      // how many faces attain it
  };
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void init(State<scalar_t>& a) {
    a.max_coverage = a.max_ties = scalar_t(0);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams&, State<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    a.max_ties = s.coverage > a.max_coverage ? scalar_t(1) : a.max_ties + (s.coverage == a.max_coverage ? 1 : 0);
    a.max_coverage = sr_max(a.max_coverage, s.coverage);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams&, const State<scalar_t>& a) {
    return a.max_coverage;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const State<scalar_t>& a) {
    return a.max_ties;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t logit_gradient(const SoftRasterParams&, const PairSample<scalar_t>& s,
                                                          scalar_t g_alpha, scalar_t alpha, scalar_t state) {
    // A = max_j D_j: the faces attaining it share the gradient evenly (as torch.amax).
    return s.coverage == alpha ? g_alpha * s.density / state : scalar_t(0);
  }
};

// tanh(sum_j artanh D_j): the Einstein sum (a + b) / (1 + a b) (GenDR).
struct EinsteinTconorm {
  template <typename scalar_t>
  struct State {
    scalar_t artanh_sum;  // U = sum_j artanh D_j so far (A = tanh U)
  };
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void init(State<scalar_t>& a) {
    a.artanh_sum = scalar_t(0);
  }
  // artanh D = (log(1 + D) - log(1 - D)) / 2 of a contributing pair; +inf for hard
  // coverage (D = 1).
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t artanh(const SoftRasterParams& p, const PairSample<scalar_t>& s) {
    if (p.dist_func == DistFunc::Hard) return scalar_t(INFINITY);
    return scalar_t(0.5) * (sr_log1p(s.coverage) - log_miss_of(p, s));
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams& p, State<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    a.artanh_sum += artanh(p, s);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams&, const State<scalar_t>& a) {
    return sr_tanh(a.artanh_sum);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const State<scalar_t>& a) {
    return a.artanh_sum;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t logit_gradient(const SoftRasterParams&, const PairSample<scalar_t>& s,
                                                          scalar_t g_alpha, scalar_t, scalar_t state) {
    // A = tanh U: dA/dx_j = sech^2(U) f(x_j) / (1 - D_j^2) = sech^2(U) hazard_j / (1 + D_j).
    const scalar_t e = sr_exp(scalar_t(-2) * state);
    const scalar_t sech2 = scalar_t(4) * e / ((scalar_t(1) + e) * (scalar_t(1) + e));
    return g_alpha * sech2 * s.hazard / (scalar_t(1) + s.coverage);
  }
};

// The Hamacher T-conorm of lambda = p.tconorm_p >= 0 (GenDR): generator g(D) = log(1 +
// lambda odds) (lambda 1: prod, 2: Einstein). Lambda 0: O / (1 + O), O = sum_j D_j / (1 -
// D_j), the sum (a + b - 2ab) / (1 - ab), as sigmoid(L), L = log O, kept as an online
// log-sum-exp. Of hard coverages (0 or 1) it is 1 where any face is inside, as every
// T-conorm below.
struct HamacherTconorm {
  template <typename scalar_t>
  struct State {
    bool hit;                   // hard coverages: some D_j > 0.5
    LogSumExp<scalar_t> odds;   // lambda 0: L = log sum_j exp(log-odds_j)
    scalar_t generator_sum;     // lambda > 0: U = sum_j g(D_j) so far
  };
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void init(State<scalar_t>& a) {
    a.hit = false;
    a.odds.init();
    a.generator_sum = scalar_t(0);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams& p, State<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    if (p.dist_func == DistFunc::Hard) {
      a.hit = a.hit | (s.coverage > scalar_t(0.5));
      return;
    }
    if (p.tconorm_p == 0.0) {
      a.odds.add(coverage_log_odds(p, s));
    } else {
      a.generator_sum += sr_softplus(coverage_log_odds(p, s) + scalar_t(log(p.tconorm_p)));
    }
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams& p, const State<scalar_t>& a) {
    if (p.dist_func == DistFunc::Hard) return a.hit ? scalar_t(1) : scalar_t(0);
    if (p.tconorm_p == 0.0) return sr_sigmoid(saved_state(p, a));  // O / (1 + O), O = exp(L); 0 for none
    const scalar_t u = a.generator_sum;  // odds of alpha: expm1(U) / lambda
    if (!(u > scalar_t(0))) return scalar_t(0);
    return sr_sigmoid(u + sr_log(-sr_expm1(-u)) - scalar_t(log(p.tconorm_p)));
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams& p, const State<scalar_t>& a) {
    return p.tconorm_p == 0.0 ? a.odds.value() : a.generator_sum;  // L, or U
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t logit_gradient(const SoftRasterParams& p, const PairSample<scalar_t>& s,
                                                          scalar_t g_alpha, scalar_t alpha, scalar_t state) {
    if (!(state < scalar_t(INFINITY))) return scalar_t(0);  // a saturated face: alpha is 1
    if (p.tconorm_p == 0.0) {
      // dA/dx_j = A (1 - A) (odds_j / O) d log odds_j / dx.
      const scalar_t share = sr_exp(coverage_log_odds(p, s) - state);
      return g_alpha * sr_sigmoid(state) * sr_sigmoid(-state) * share * log_odds_slope(p, s);
    }
    // A = sigmoid(log expm1(U) - log lambda): dA/dU = A (1 - A) / (1 - e^-U); dg_j/dx =
    // sigmoid(log-odds_j + log lambda) d log-odds_j / dx.
    const scalar_t log_lambda = scalar_t(log(p.tconorm_p));
    return g_alpha * alpha * (scalar_t(1) - alpha) / (-sr_expm1(-state)) *
           sr_sigmoid(coverage_log_odds(p, s) + log_lambda) * log_odds_slope(p, s);
  }
};

// The Frank T-conorm of s = p.tconorm_p > 0, != 1 (GenDR): generator g(D) = -log((s^(1 - D)
// - 1) / (s - 1)), alpha = 1 - log_s(1 + (s - 1) e^-U), d alpha / d D_j = g'(D_j) / g'(alpha).
struct FrankTconorm {
  template <typename scalar_t>
  struct State {
    bool hit;                // hard coverages: some D_j > 0.5
    scalar_t generator_sum;  // U = sum_j g(D_j) so far
  };
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void init(State<scalar_t>& a) {
    a.hit = false;
    a.generator_sum = scalar_t(0);
  }
  // q(y) = y / expm1(y), 1 at 0.
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t q(scalar_t y) {
    return y == scalar_t(0) ? scalar_t(1) : y / sr_expm1(y);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams& p, State<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    if (p.dist_func == DistFunc::Hard) {
      a.hit = a.hit | (s.coverage > scalar_t(0.5));
      return;
    }
    const scalar_t log_s = scalar_t(log(p.tconorm_p));
    const scalar_t c = scalar_t(expm1(log(p.tconorm_p)));  // s - 1
    if (s.miss == scalar_t(0)) {
      a.generator_sum = scalar_t(INFINITY);
    } else if (s.coverage < scalar_t(0.5)) {  // s^(1 - D) - s = s (s^-D - 1): accurate for small D
      a.generator_sum += -sr_log1p(scalar_t(p.tconorm_p) * sr_expm1(-s.coverage * log_s) / c);
    } else {
      a.generator_sum += -sr_log(sr_expm1(s.miss * log_s) / c);
    }
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams& p, const State<scalar_t>& a) {
    if (p.dist_func == DistFunc::Hard) return a.hit ? scalar_t(1) : scalar_t(0);
    const scalar_t log_s = scalar_t(log(p.tconorm_p));
    const scalar_t c = scalar_t(expm1(log(p.tconorm_p)));
    const scalar_t u = a.generator_sum;
    return sr_log1p(c * -sr_expm1(-u) / (scalar_t(1) + c * sr_exp(-u))) / log_s;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const State<scalar_t>& a) {
    return a.generator_sum;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t logit_gradient(const SoftRasterParams& p, const PairSample<scalar_t>& s,
                                                          scalar_t g_alpha, scalar_t, scalar_t state) {
    if (!(state < scalar_t(INFINITY))) return scalar_t(0);
    const scalar_t log_s = scalar_t(log(p.tconorm_p));
    const scalar_t c = scalar_t(expm1(log(p.tconorm_p)));
    // f g'(D) = hazard s^m q(m ln s) (m = 1 - D); 1 / g'(A) = expm1(m_A ln s) / (ln s s^m_A),
    // m_A = 1 - A = log1p((s - 1) e^-U) / ln s.
    const scalar_t m = s.miss;
    const scalar_t m_alpha = sr_log1p(c * sr_exp(-state)) / log_s;
    return g_alpha * s.hazard * sr_exp((m - m_alpha) * log_s) * q(m * log_s) * sr_expm1(m_alpha * log_s) / log_s;
  }
};

// The T-conorms whose generator is kept as L = log U = log sum_j g(D_j) (an online
// log-sum-exp of log g(D_j), so that no g over- or underflows); a saturated face makes L
// +inf and alpha 1.
template <typename Tconorm>
struct LogGeneratorTconorm {
  template <typename scalar_t>
  struct State {
    bool hit;                            // hard coverages: some D_j > 0.5
    LogSumExp<scalar_t> log_generator;  // L = log sum_j g(D_j)
  };
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void init(State<scalar_t>& a) {
    a.hit = false;
    a.log_generator.init();
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams& p, State<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    if (p.dist_func == DistFunc::Hard) {
      a.hit = a.hit | (s.coverage > scalar_t(0.5));
      return;
    }
    a.log_generator.add(s.miss == scalar_t(0) ? scalar_t(INFINITY) : Tconorm::log_generator(p, s));
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams& p, const State<scalar_t>& a) {
    if (p.dist_func == DistFunc::Hard) return a.hit ? scalar_t(1) : scalar_t(0);
    const scalar_t l = a.log_generator.value();
    if (!(l < scalar_t(INFINITY))) return scalar_t(1);
    return Tconorm::alpha_of(scalar_t(p.tconorm_p), l);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const State<scalar_t>& a) {
    return a.log_generator.value();
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t logit_gradient(const SoftRasterParams& p, const PairSample<scalar_t>& s,
                                                          scalar_t g_alpha, scalar_t alpha, scalar_t state) {
    if (!(state < scalar_t(INFINITY))) return scalar_t(0);
    return g_alpha * Tconorm::gradient(p, s, alpha, state);
  }
};

// The Yager T-conorm of p = p.tconorm_p > 0 (GenDR): g(D) = D^p, nilpotent: alpha =
// min(1, U^(1/p)); d alpha / dx_j = f_j (D_j / alpha)^(p - 1) below U = 1, 0 above.
struct YagerTconorm : LogGeneratorTconorm<YagerTconorm> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_generator(const SoftRasterParams& p, const PairSample<scalar_t>& s) {
    return scalar_t(p.tconorm_p) * sr_log(s.coverage);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha_of(scalar_t power, scalar_t l) {
    return sr_exp(sr_min(l, scalar_t(0)) / power);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t gradient(const SoftRasterParams& p, const PairSample<scalar_t>& s,
                                                    scalar_t, scalar_t l) {
    if (l > scalar_t(0)) return scalar_t(0);
    const scalar_t power = scalar_t(p.tconorm_p);
    return s.density * sr_exp((power - scalar_t(1)) * (sr_log(s.coverage) - l / power));
  }
};

// The Aczel-Alsina T-conorm of p = p.tconorm_p > 0 (GenDR): g(D) = (-log(1 - D))^p,
// alpha = 1 - exp(-r), r = U^(1/p); d alpha / dx_j = hazard_j e^-r (m_j / r)^(p - 1), m_j =
// -log(1 - D_j).
struct AczelAlsinaTconorm : LogGeneratorTconorm<AczelAlsinaTconorm> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_generator(const SoftRasterParams& p, const PairSample<scalar_t>& s) {
    return scalar_t(p.tconorm_p) * sr_log(-log_miss_of(p, s));
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha_of(scalar_t power, scalar_t l) {
    return -sr_expm1(-sr_exp(l / power));
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t gradient(const SoftRasterParams& p, const PairSample<scalar_t>& s,
                                                    scalar_t, scalar_t l) {
    const scalar_t power = scalar_t(p.tconorm_p);
    const scalar_t r = sr_exp(l / power);
    return s.hazard * sr_exp(-r + (power - scalar_t(1)) * (sr_log(-log_miss_of(p, s)) - l / power));
  }
};

// The Dombi T-conorm of p = p.tconorm_p > 0 (GenDR): g(D) = odds^p, alpha = sigmoid(L / p)
// (p = 1: Hamacher's lambda 0); d alpha / dx_j = A (1 - A) exp(p lo_j - L) d lo_j / dx.
struct DombiTconorm : LogGeneratorTconorm<DombiTconorm> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_generator(const SoftRasterParams& p, const PairSample<scalar_t>& s) {
    return scalar_t(p.tconorm_p) * coverage_log_odds(p, s);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha_of(scalar_t power, scalar_t l) {
    return sr_sigmoid(l / power);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t gradient(const SoftRasterParams& p, const PairSample<scalar_t>& s,
                                                    scalar_t alpha, scalar_t l) {
    const scalar_t share = sr_exp(log_generator(p, s) - l);
    return alpha * (scalar_t(1) - alpha) * share * log_odds_slope(p, s);
  }
};

// The Schweizer-Sklar T-conorm of p = p.tconorm_p < 0 (GenDR): g(D) = (1 - D)^p - 1, alpha =
// 1 - (1 + U)^(1/p), log(1 + U) = V = softplus(L); d alpha / dx_j = hazard_j exp(p lm_j +
// (1 - p) V / p), lm_j = log(1 - D_j).
struct SchweizerSklarTconorm : LogGeneratorTconorm<SchweizerSklarTconorm> {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t log_generator(const SoftRasterParams& p, const PairSample<scalar_t>& s) {
    const scalar_t y = scalar_t(p.tconorm_p) * log_miss_of(p, s);  // > 0
    return y + sr_log(-sr_expm1(-y));  // log expm1(y)
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha_of(scalar_t power, scalar_t l) {
    return -sr_expm1(sr_softplus(l) / power);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t gradient(const SoftRasterParams& p, const PairSample<scalar_t>& s,
                                                    scalar_t, scalar_t l) {
    const scalar_t power = scalar_t(p.tconorm_p);
    return s.hazard * sr_exp(power * log_miss_of(p, s) + (scalar_t(1) - power) * sr_softplus(l) / power);
  }
};

// ----------------------------------------------------------------- dispatch on p.aggr_alpha
// One chain of compares per operation, as the CDFs' (soft_raster_cdfs.h).
#define SR_TCONORM_CASE(name, value, python_name, mode, operation) \
  if (mode == AggrAlpha::name) return name##Tconorm::operation;

// The running state of one pixel: that of its T-conorm, p.aggr_alpha (a union of the
// T-conorms' states, one member per mode, named as the mode).
template <typename scalar_t>
union AlphaState {
#define SR_ALPHA_STATE_MEMBER(name, value, python_name, ...) typename name##Tconorm::template State<scalar_t> name;
  SR_AGGR_ALPHAS(SR_ALPHA_STATE_MEMBER, )
#undef SR_ALPHA_STATE_MEMBER
};

// The dispatchers of the state's operations: the mode's member of the union to the mode's
// struct.
#define SR_TCONORM_STATE_CASE(name, value, python_name, operation, ...) \
  if (p.aggr_alpha == AggrAlpha::name) return name##Tconorm::operation(__VA_ARGS__);

template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void tconorm_init(const SoftRasterParams& p, AlphaState<scalar_t>& a) {
#define SR_INIT_CASE(name, value, python_name, ...) SR_TCONORM_STATE_CASE(name, value, python_name, init, a.name)
  SR_AGGR_ALPHAS(SR_INIT_CASE, )
#undef SR_INIT_CASE
  SR_UNREACHABLE();
}

template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void tconorm_add(const SoftRasterParams& p, AlphaState<scalar_t>& a,
                                          const PairSample<scalar_t>& s) {
#define SR_ADD_CASE(name, value, python_name, ...) SR_TCONORM_STATE_CASE(name, value, python_name, add, p, a.name, s)
  SR_AGGR_ALPHAS(SR_ADD_CASE, )
#undef SR_ADD_CASE
  SR_UNREACHABLE();
}

template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t tconorm_alpha(const SoftRasterParams& p, const AlphaState<scalar_t>& a) {
#define SR_ALPHA_CASE(name, value, python_name, ...) SR_TCONORM_STATE_CASE(name, value, python_name, alpha, p, a.name)
  SR_AGGR_ALPHAS(SR_ALPHA_CASE, )
#undef SR_ALPHA_CASE
  SR_UNREACHABLE();
}

template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t tconorm_saved_state(const SoftRasterParams& p, const AlphaState<scalar_t>& a) {
#define SR_SAVED_STATE_CASE(name, value, python_name, ...) \
  SR_TCONORM_STATE_CASE(name, value, python_name, saved_state, p, a.name)
  SR_AGGR_ALPHAS(SR_SAVED_STATE_CASE, )
#undef SR_SAVED_STATE_CASE
  SR_UNREACHABLE();
}

#undef SR_TCONORM_STATE_CASE

// d alpha / d x_j of a contributing soft pair times the upstream g_alpha; alpha is the
// pixel's alpha and state its kAuxAlphaState value.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t tconorm_logit_gradient(const SoftRasterParams& p, const PairSample<scalar_t>& s,
                                                         scalar_t g_alpha, scalar_t alpha, scalar_t state) {
  SR_AGGR_ALPHAS(SR_TCONORM_CASE, p.aggr_alpha, logit_gradient(p, s, g_alpha, alpha, state))
  SR_UNREACHABLE();
}

#undef SR_TCONORM_CASE

}  // namespace softrecon
