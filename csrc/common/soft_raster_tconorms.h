// The alpha aggregations (T-conorms), one struct each (the table of AggrAlpha modes,
// soft_raster_params.h SR_AGGR_ALPHAS): how a pixel's faces combine into its alpha, in
// the order they arrive (add), the alpha and the value the backward needs (alpha,
// saved_state), and d alpha / d x_j of one face (logit_gradient). Twin of
// softrecon/renderer/tconorms.py.
#pragma once

#include "soft_raster_cdfs.h"

namespace softrecon {

// The running state of every aggregation; each T-conorm reads and writes its own fields.
template <typename scalar_t>
struct AlphaState {
  scalar_t alpha;          // 'prod': 1 - T so far, as sum_j D_j prod_{i<j} (1 - D_i) (no cancellation)
  scalar_t transmittance;  // 'prod': T = prod_j (1 - D_j) so far
  scalar_t coverage_sum;   // 'sum': sum_j D_j so far
  bool hit;                // 'hard' (and 'hamacher' of hard coverages): some D_j > 0.5
  scalar_t max_coverage;   // 'max': largest D_j so far (0 for none)
  scalar_t max_ties;       // 'max': how many faces attain it
  scalar_t artanh_sum;     // 'einstein': U = sum_j artanh D_j so far (A = tanh U)
  scalar_t odds_shift;     // 'hamacher': largest log-odds so far (-inf for none) ...
  scalar_t odds_sum;       // ... and sum_j exp(log-odds_j - odds_shift): L = shift + log(sum)

  SR_HOST_DEVICE SR_INLINE void init() {
    alpha = coverage_sum = max_coverage = max_ties = artanh_sum = odds_sum = scalar_t(0);
    transmittance = scalar_t(1);
    hit = false;
    odds_shift = scalar_t(-INFINITY);
  }
};

// Each struct has:
//   add(p, a, s): face j with its contributing sample s arrives;
//   alpha(p, a): the pixel's alpha once all faces have arrived;
//   saved_state(p, a): the value the backward needs (aux channel kAuxAlphaState);
//   logit_gradient(p, s, g_alpha, alpha, state): g_alpha d alpha / d x_j of a contributing
//     soft pair, from the pixel's alpha and saved state.

// 1 - prod_j (1 - D_j): probabilistic OR, the paper's choice.
struct ProdTconorm {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams&, AlphaState<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    a.alpha += s.coverage * a.transmittance;
    a.transmittance *= s.miss;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams&, const AlphaState<scalar_t>& a) {
    return a.alpha;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const AlphaState<scalar_t>& a) {
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
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams&, AlphaState<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    a.coverage_sum += s.coverage;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams& p, const AlphaState<scalar_t>& a) {
    return a.coverage_sum / scalar_t(p.num_faces);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const AlphaState<scalar_t>&) {
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
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams&, AlphaState<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    a.hit = a.hit | (s.coverage > scalar_t(0.5));  // no short-circuit: no branch on the end of the pair's chain
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams&, const AlphaState<scalar_t>& a) {
    return a.hit ? scalar_t(1) : scalar_t(0);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const AlphaState<scalar_t>&) {
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
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams&, AlphaState<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    a.max_ties = s.coverage > a.max_coverage ? scalar_t(1) : a.max_ties + (s.coverage == a.max_coverage ? 1 : 0);
    a.max_coverage = sr_max(a.max_coverage, s.coverage);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams&, const AlphaState<scalar_t>& a) {
    return a.max_coverage;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const AlphaState<scalar_t>& a) {
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
  // artanh D = (log(1 + D) - log(1 - D)) / 2 of a contributing pair; +inf for hard
  // coverage (D = 1).
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t artanh(const SoftRasterParams& p, const PairSample<scalar_t>& s) {
    if (p.dist_func == DistFunc::Hard) return scalar_t(INFINITY);
    return scalar_t(0.5) * (sr_log1p(s.coverage) - log_miss_of(p.dist_cdf, s));
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams& p, AlphaState<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    a.artanh_sum += artanh(p, s);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams&, const AlphaState<scalar_t>& a) {
    return sr_tanh(a.artanh_sum);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const AlphaState<scalar_t>& a) {
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

// O / (1 + O), O = sum_j D_j / (1 - D_j): the Hamacher sum (a + b - 2ab) / (1 - ab)
// (GenDR), as sigmoid(L), L = log O, kept as an online log-sum-exp. Of hard coverages
// (0 or 1) it is 1 where any face is inside.
struct HamacherTconorm {
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void add(const SoftRasterParams& p, AlphaState<scalar_t>& a,
                                           const PairSample<scalar_t>& s) {
    if (p.dist_func == DistFunc::Hard) {
      a.hit = a.hit | (s.coverage > scalar_t(0.5));
      return;
    }
    const scalar_t log_odds = coverage_log_odds(p.dist_cdf, s);
    if (log_odds > a.odds_shift) {
      a.odds_sum = a.odds_sum * sr_exp(a.odds_shift - log_odds) + scalar_t(1);
      a.odds_shift = log_odds;
    } else {
      a.odds_sum += sr_exp(log_odds - a.odds_shift);
    }
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t alpha(const SoftRasterParams& p, const AlphaState<scalar_t>& a) {
    if (p.dist_func == DistFunc::Hard) return a.hit ? scalar_t(1) : scalar_t(0);
    return sr_sigmoid(saved_state(p, a));  // O / (1 + O), O = exp(L); 0 for none
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t saved_state(const SoftRasterParams&, const AlphaState<scalar_t>& a) {
    return a.odds_shift + sr_log(a.odds_sum);  // L
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static scalar_t logit_gradient(const SoftRasterParams& p, const PairSample<scalar_t>& s,
                                                          scalar_t g_alpha, scalar_t, scalar_t state) {
    // dA/dx_j = A (1 - A) (odds_j / O) d log odds_j / dx.
    const scalar_t share = sr_exp(coverage_log_odds(p.dist_cdf, s) - state);
    return g_alpha * sr_sigmoid(state) * sr_sigmoid(-state) * share * log_odds_slope(p.dist_cdf, s);
  }
};

// ----------------------------------------------------------------- dispatch on p.aggr_alpha
// One chain of compares per operation, as the CDFs' (soft_raster_cdfs.h).
#define SR_TCONORM_CASE(name, value, python_name, mode, operation) \
  if (mode == AggrAlpha::name) return name##Tconorm::operation;

template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void tconorm_add(const SoftRasterParams& p, AlphaState<scalar_t>& a,
                                          const PairSample<scalar_t>& s) {
  SR_AGGR_ALPHAS(SR_TCONORM_CASE, p.aggr_alpha, add(p, a, s))
  SR_UNREACHABLE();
}

template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t tconorm_alpha(const SoftRasterParams& p, const AlphaState<scalar_t>& a) {
  SR_AGGR_ALPHAS(SR_TCONORM_CASE, p.aggr_alpha, alpha(p, a))
  SR_UNREACHABLE();
}

template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t tconorm_saved_state(const SoftRasterParams& p, const AlphaState<scalar_t>& a) {
  SR_AGGR_ALPHAS(SR_TCONORM_CASE, p.aggr_alpha, saved_state(p, a))
  SR_UNREACHABLE();
}

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
