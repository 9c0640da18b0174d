// The two per-work-item bodies both back ends loop over, built on soft_raster_math.h:
//   shade_pixel:    forward of one pixel over its tile's face list;
//   backward_entry: backward of one (face, tile) entry over the tile's pixels.
// The CPU file runs them in OpenMP loops, the CUDA file one per thread; neither holds
// any rasterization math of its own.
//
// Tensor layouts (all contiguous, row-major):
//   face_data   (N * F, kFaceStride)  records from setup_face
//   colours     (N, F, 3, C)          per-vertex colours, or null when C = 0
//   background  (num_background,)     1 or C values
//   image       (N, C + 1, H, W)      colour channels then alpha
//   aux         (N, kAuxChannels, H, W) what the backward needs per pixel (see AuxField)
//   winner      (N, H, W) int32       face index shown by 'hard' colour, -1 for none
#pragma once

#include "soft_raster_math.h"

namespace softrecon {

// Per-pixel values saved by the forward for the backward, channels of aux.
enum AuxField : int {
  kAuxTransmittance = 0,  // T = prod_j (1 - D_j) over contributing faces ('prod' alpha)
  kAuxShift = 1,          // softmax shift m = max(eps, max_j z_j) / gamma
  kAuxDenominator = 2,    // softmax denominator sum_j w_j + w_b (weights taken at shift m)
  kAuxChannels = 3
};

// Forward of pixel (row, col) of image n over the faces tile_faces[begin, end) (face
// indices within image n, ascending). Writes image, aux and winner (when not null).
// Returns the number of pairs that passed the box test (for statistics).
template <typename scalar_t>
SR_HOST_DEVICE inline int64_t shade_pixel(const SoftRasterParams& p, const scalar_t* face_data,
                                          const scalar_t* colours, const scalar_t* background,
                                          const int32_t* tile_faces, int64_t begin, int64_t end, int n, int row,
                                          int col, scalar_t* image, scalar_t* aux, int32_t* winner) {
  const int C = p.num_channels;
  const int64_t plane = int64_t(p.height) * p.width;
  const int64_t pixel = int64_t(row) * p.width + col;
  scalar_t* out = image + int64_t(n) * (C + 1) * plane + pixel;  // channel c at out[c * plane]
  const scalar_t px = pixel_x<scalar_t>(p, col), py = pixel_y<scalar_t>(p, row);
  const bool want_log_miss = p.aggr_alpha == AggrAlpha::Prod;
  const bool softmax = C > 0 && p.aggr_rgb == AggrRGB::Softmax;
  const bool hard_rgb = C > 0 && p.aggr_rgb == AggrRGB::Hard;
  const scalar_t gamma = scalar_t(p.gamma);
  const scalar_t depth_range = scalar_t(p.far - p.near);
  const scalar_t far = scalar_t(p.far);

  scalar_t log_transmittance = scalar_t(0), coverage_sum = scalar_t(0);
  bool hit = false;
  // Online softmax: running shift m, denominator and numerators (kept in the output).
  scalar_t shift = scalar_t(p.eps / p.gamma), denominator = scalar_t(1);
  if (softmax)
    for (int c = 0; c < C; ++c) out[c * plane] = background[p.num_background == 1 ? 0 : c];
  int best = -1;
  scalar_t best_depth = scalar_t(0), best_wc[3] = {0, 0, 0};

  int64_t evaluated = 0;
  PairSample<scalar_t> s;
  for (int64_t i = begin; i < end; ++i) {
    const int f = tile_faces[i];
    const scalar_t* fd = face_data + (int64_t(n) * p.num_faces + f) * kFaceStride;
    if (px < fd[kFaceXMin] || px > fd[kFaceXMax] || py < fd[kFaceYMin] || py > fd[kFaceYMax]) continue;
    ++evaluated;
    if (!eval_pair(p, fd, px, py, want_log_miss, s)) continue;
    log_transmittance += s.log_miss;
    coverage_sum += s.coverage;
    hit = hit || s.coverage > scalar_t(0.5);
    if (C == 0 || !shows_colour(p, fd)) continue;
    const scalar_t* fc = colours + (int64_t(n) * p.num_faces + f) * 3 * C;
    if (softmax) {
      const scalar_t scaled = ((far - s.zp) / depth_range) / gamma;
      if (scaled > shift) {  // rescale what was accumulated at the old shift
        const scalar_t rescale = sr_exp(shift - scaled);
        denominator *= rescale;
        for (int c = 0; c < C; ++c) out[c * plane] *= rescale;
        shift = scaled;
      }
      const scalar_t weight = s.coverage * sr_exp(scaled - shift);
      denominator += weight;
      for (int c = 0; c < C; ++c) out[c * plane] += weight * face_colour(fc, C, s.wc, c);
    } else if (hard_rgb && s.coverage > scalar_t(0.5) && (best < 0 || s.zp < best_depth)) {
      best = f;  // strict '<' over ascending faces: ties keep the lowest index
      best_depth = s.zp;
      for (int k = 0; k < 3; ++k) best_wc[k] = s.wc[k];
    }
  }

  if (p.aggr_alpha == AggrAlpha::Prod) {
    out[C * plane] = -sr_expm1(log_transmittance);
  } else if (p.aggr_alpha == AggrAlpha::Sum) {
    out[C * plane] = coverage_sum / scalar_t(p.num_faces);
  } else {
    out[C * plane] = hit ? scalar_t(1) : scalar_t(0);
  }
  scalar_t* a = aux + int64_t(n) * kAuxChannels * plane + pixel;
  a[kAuxTransmittance * plane] = sr_exp(log_transmittance);
  a[kAuxShift * plane] = shift;
  a[kAuxDenominator * plane] = denominator;
  if (softmax) {
    // Background weight exp(eps / gamma - m) joined the sums at shift eps / gamma.
    for (int c = 0; c < C; ++c) out[c * plane] /= denominator;
  } else if (hard_rgb) {
    const scalar_t* fc = best >= 0 ? colours + (int64_t(n) * p.num_faces + best) * 3 * C : nullptr;
    for (int c = 0; c < C; ++c)
      out[c * plane] = best >= 0 ? face_colour(fc, C, best_wc, c) : background[p.num_background == 1 ? 0 : c];
  }
  if (winner != nullptr) winner[int64_t(n) * plane + pixel] = best;
  return evaluated;
}

// Backward of face f of image n over the pixels of one tile: adds the face's share of
// d loss / d face_vertices to grad_v (9 scalars) and, when grad_c is not null, of
// d loss / d colours to grad_c (3 * C scalars).
template <typename scalar_t>
SR_HOST_DEVICE inline void backward_entry(const SoftRasterParams& p, const scalar_t* face_data,
                                          const scalar_t* colours, const scalar_t* image, const scalar_t* aux,
                                          const int32_t* winner, const scalar_t* grad_image, int n, int f, int tile,
                                          scalar_t* grad_v, scalar_t* grad_c) {
  const int C = p.num_channels;
  const int64_t plane = int64_t(p.height) * p.width;
  const scalar_t* fd = face_data + (int64_t(n) * p.num_faces + f) * kFaceStride;
  const scalar_t* fc = C > 0 ? colours + (int64_t(n) * p.num_faces + f) * 3 * C : nullptr;
  const bool soft = p.dist_func != DistFunc::Hard;
  const bool softmax = C > 0 && p.aggr_rgb == AggrRGB::Softmax && shows_colour(p, fd);
  const bool hard_rgb = C > 0 && p.aggr_rgb == AggrRGB::Hard;
  const bool want_geometry = grad_v != nullptr;
  const scalar_t gamma = scalar_t(p.gamma);
  const scalar_t depth_range = scalar_t(p.far - p.near);
  const scalar_t far = scalar_t(p.far);
  const int tx = tile % p.tiles_x(), ty = tile / p.tiles_x();
  const int row0 = ty * p.tile_size, col0 = tx * p.tile_size;
  const int row1 = sr_min(row0 + p.tile_size, p.height), col1 = sr_min(col0 + p.tile_size, p.width);
  PairSample<scalar_t> s;
  for (int row = row0; row < row1; ++row) {
    const scalar_t py = pixel_y<scalar_t>(p, row);
    for (int col = col0; col < col1; ++col) {
      const scalar_t px = pixel_x<scalar_t>(p, col);
      if (!eval_pair(p, fd, px, py, false, s)) continue;
      const int64_t pixel = int64_t(row) * p.width + col;
      const scalar_t* gout = grad_image + int64_t(n) * (C + 1) * plane + pixel;
      const scalar_t* out = image + int64_t(n) * (C + 1) * plane + pixel;
      const scalar_t* a = aux + int64_t(n) * kAuxChannels * plane + pixel;
      scalar_t g_logit = scalar_t(0), g_zp = scalar_t(0), g_wc[3] = {0, 0, 0};
      if (soft) {
        const scalar_t g_alpha = gout[C * plane];
        if (p.aggr_alpha == AggrAlpha::Prod) {
          g_logit += g_alpha * a[kAuxTransmittance * plane] * s.coverage;  // dA/dlogit_j = T D_j
        } else if (p.aggr_alpha == AggrAlpha::Sum) {
          g_logit += g_alpha * s.coverage * s.miss / scalar_t(p.num_faces);
        }
      }
      if (softmax) {
        const scalar_t scaled = ((far - s.zp) / depth_range) / gamma;
        const scalar_t denominator = a[kAuxDenominator * plane];
        const scalar_t weight = s.coverage * sr_exp(scaled - a[kAuxShift * plane]);
        // dI_c / dw_j = (C_jc - I_c) / Z; dI_c / dC_jc = w_j / Z.
        scalar_t g_weight = scalar_t(0);
        for (int c = 0; c < C; ++c) {
          const scalar_t g_colour = gout[c * plane] * weight / denominator;
          g_weight += gout[c * plane] * (face_colour(fc, C, s.wc, c) - out[c * plane]);
          for (int k = 0; k < 3; ++k) {
            if (grad_c != nullptr) grad_c[k * C + c] += s.wc[k] * g_colour;
            g_wc[k] += fc[k * C + c] * g_colour;
          }
        }
        g_weight /= denominator;
        if (soft) g_logit += g_weight * weight * s.miss;  // dw/dlogit = w (1 - D)
        g_zp -= g_weight * weight / gamma / depth_range;  // dw/dz = w / gamma, dz/dzp = -1 / (far - near)
      } else if (hard_rgb && grad_c != nullptr && winner[int64_t(n) * plane + pixel] == f) {
        for (int c = 0; c < C; ++c)
          for (int k = 0; k < 3; ++k) grad_c[k * C + c] += s.wc[k] * gout[c * plane];
      }
      if (want_geometry && (g_logit != scalar_t(0) || g_zp != scalar_t(0) || g_wc[0] != scalar_t(0) ||
                            g_wc[1] != scalar_t(0) || g_wc[2] != scalar_t(0)))
        pair_backward(p, fd, px, py, s, g_logit, g_zp, g_wc, grad_v);
    }
  }
}

}  // namespace softrecon
