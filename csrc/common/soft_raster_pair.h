// One (pixel, face) pair: eval_pair (inside test, distance, cut-off, depth, coverage)
// and its backward pair_backward onto the face's 9 vertex scalars; what depends on the
// distance function and the CDF is theirs (soft_raster_distances.h, soft_raster_cdfs.h).
// Mirrors softrecon/renderer/reference.py operation for operation; the reference's
// autograd is the oracle for the backward.
#pragma once

#include "soft_raster_distances.h"

namespace softrecon {

// Evaluates face record fd at pixel (px, py). Returns whether the face contributes there
// (inside its box, within the cut-off, depth in [near, far]); s is filled when it does.
// Invalid faces are never binned, so they never reach this function.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE bool eval_pair(const SoftRasterParams& p, const scalar_t* fd, scalar_t px, scalar_t py,
                                     PairSample<scalar_t>& s) {
  if (px < fd[kFaceXMin] || px > fd[kFaceXMax] || py < fd[kFaceYMin] || py > fd[kFaceYMax]) return false;
  const scalar_t x0 = fd[kFaceX], x1 = fd[kFaceX + 1], x2 = fd[kFaceX + 2];
  const scalar_t y0 = fd[kFaceY], y1 = fd[kFaceY + 1], y2 = fd[kFaceY + 2];
  // Divisions, not a reciprocal: the reference's rounding, so inside / clamp decisions
  // (kinks of the function) fall on the same side in float32 too.
  const scalar_t area2 = fd[kFaceArea2];
  const scalar_t edge[3] = {(x1 - px) * (y2 - py) - (x2 - px) * (y1 - py),
                            (x2 - px) * (y0 - py) - (x0 - px) * (y2 - py),
                            (x0 - px) * (y1 - py) - (x1 - px) * (y0 - py)};
  // Silhouettes of a face safely inside [near, far], with a distance that uses the
  // barycentrics only through their signs (kNeedsOnlyBarycentricSigns: the Euclidean one):
  // w_k >= 0 <=> edge_k / area2 >= 0, which is edge_k >= 0 for area2 > 0 and edge_k <= 0
  // for area2 < 0 (IEEE division keeps the sign; a signed zero compares >= 0 either way;
  // |area2| > 1e-8 keeps the quotient of a nonzero edge from underflowing to zero). The
  // backward then needs no w either (its g_w stays zero), so the three divisions are
  // skipped and w is left at 0.
  const bool need_w =
      !distance_needs_only_barycentric_signs(p.dist_func) || p.num_channels > 0 || !face_flag(fd, kFaceDepthSafe);
  bool negative[3];
  if (need_w) {
    for (int k = 0; k < 3; ++k) s.w[k] = edge[k] / area2;
    for (int k = 0; k < 3; ++k) negative[k] = s.w[k] < scalar_t(0);
  } else {
    const bool positive_area = area2 > scalar_t(0);
    for (int k = 0; k < 3; ++k) {
      s.w[k] = scalar_t(0);
      negative[k] = positive_area ? edge[k] < scalar_t(0) : edge[k] > scalar_t(0);
    }
  }
  s.inside = !negative[0] && !negative[1] && !negative[2];
  if (!distance_logit(p, fd, px, py, edge, negative, s)) return false;
  if (p.num_channels > 0 || !face_flag(fd, kFaceDepthSafe)) {
    scalar_t c[3];
    for (int k = 0; k < 3; ++k) c[k] = sr_clamp01(s.w[k]);
    s.csum = c[0] + c[1] + c[2];
    for (int k = 0; k < 3; ++k) s.wc[k] = c[k] / s.csum;
    // The reference's exact expression: depth ties at near / far decide the same way.
    s.zp = scalar_t(1) / (s.wc[0] / fd[kFaceZ] + s.wc[1] / fd[kFaceZ + 1] + s.wc[2] / fd[kFaceZ + 2]);
    if (!(s.zp >= scalar_t(p.near) && s.zp <= scalar_t(p.far))) return false;
  } else {  // silhouettes of a face safely inside [near, far]: no depth is needed
    s.csum = scalar_t(1);
    s.wc[0] = s.wc[1] = s.wc[2] = s.zp = scalar_t(0);
  }
  distance_coverage(p, s);
  return true;
}

// Backward of one contributing pair onto the face's 9 vertex scalars, given the upstream
// gradients of its logit, its depth zp and its clipped barycentrics wc.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void pair_backward(const SoftRasterParams& p, const scalar_t* fd, scalar_t px, scalar_t py,
                                         const PairSample<scalar_t>& s, scalar_t g_logit, scalar_t g_zp,
                                         const scalar_t* g_wc_in, scalar_t* grad) {
  const scalar_t* z = fd + kFaceZ;
  scalar_t g_w[3] = {0, 0, 0};
  if (g_zp != scalar_t(0) || g_wc_in[0] != scalar_t(0) || g_wc_in[1] != scalar_t(0) || g_wc_in[2] != scalar_t(0)) {
    scalar_t g_wc[3] = {g_wc_in[0], g_wc_in[1], g_wc_in[2]};
    // zp = 1 / q, q = sum_k wc_k / z_k.
    if (g_zp != scalar_t(0)) {
      const scalar_t g_q = -g_zp * s.zp * s.zp;
      for (int k = 0; k < 3; ++k) {
        g_wc[k] += g_q / z[k];
        grad[3 * k + 2] += -g_q * s.wc[k] / (z[k] * z[k]);
      }
    }
    // wc_k = clamp(w_k, 0, 1) / sum; the clamp passes gradient on [0, 1] inclusive.
    const scalar_t dot = g_wc[0] * s.wc[0] + g_wc[1] * s.wc[1] + g_wc[2] * s.wc[2];
    for (int k = 0; k < 3; ++k) {
      const bool passes = s.w[k] >= scalar_t(0) && s.w[k] <= scalar_t(1);
      g_w[k] = passes ? (g_wc[k] - dot) / s.csum : scalar_t(0);
    }
  }
  const scalar_t x[3] = {fd[kFaceX], fd[kFaceX + 1], fd[kFaceX + 2]};
  const scalar_t y[3] = {fd[kFaceY], fd[kFaceY + 1], fd[kFaceY + 2]};
  if (g_logit != scalar_t(0)) distance_backward(p, fd, px, py, s, g_logit, g_w, grad);
  if (g_w[0] == scalar_t(0) && g_w[1] == scalar_t(0) && g_w[2] == scalar_t(0)) return;
  // w_k = e_k / area2, e_k = (x_i - px)(y_j - py) - (x_j - px)(y_i - py), i = k+1, j = k+2.
  const scalar_t inv_area2 = fd[kFaceInvArea2];
  const scalar_t g_area = -(g_w[0] * s.w[0] + g_w[1] * s.w[1] + g_w[2] * s.w[2]) * inv_area2;
  for (int k = 0; k < 3; ++k) {
    const int i = (k + 1) % 3, j = (k + 2) % 3;
    const scalar_t g_e = g_w[k] * inv_area2;
    grad[3 * i] += g_e * (y[j] - py);
    grad[3 * j + 1] += g_e * (x[i] - px);
    grad[3 * j] -= g_e * (y[i] - py);
    grad[3 * i + 1] -= g_e * (x[j] - px);
    // d area2 / d x_k = y_i - y_j, d area2 / d y_k = x_j - x_i (same cyclic i, j).
    grad[3 * k] += g_area * (y[i] - y[j]);
    grad[3 * k + 1] += g_area * (x[j] - x[i]);
  }
}

}  // namespace softrecon
