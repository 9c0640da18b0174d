// The work-item bodies both back ends loop over, built on soft_raster_math.h (the per-pair math):
//   PixelAccumulator: forward state of one pixel (alpha, online softmax, z-buffer);
//   shade_pixel:      forward of one pixel over its tile's face list (CUDA: one thread);
//   backward_entry:   backward of one (face, tile) entry over its pixel window.
// Each takes its operation's buffers whole (ForwardArgs, BackwardArgs: soft_raster_args.h).
// The CPU forward feeds the accumulators face by face over each face's pixel window; the
// CPU backward runs backward_entry per face; CUDA runs both one per thread. Neither back
// end holds any rasterization math of its own.
//
// Tensor layouts: those of soft_raster_args.h (colors: K = kVertexColorSamples per-vertex
// colors or K = R * R texels of a surface texture, p.color_samples()).
#pragma once

#include "soft_raster_args.h"
#include "soft_raster_math.h"

namespace softrecon {

// Per-pixel values saved by the forward for the backward, channels of aux.
enum AuxField : int {
  kAuxAlphaState = 0,     // what the alpha aggregation's backward needs (its saved_state, soft_raster_tconorms.h):
                          // 'prod' T = prod_j (1 - D_j), 'max' the number of faces attaining the maximum,
                          // 'einstein' U = sum_j artanh D_j, 'hamacher' L = log sum_j D_j / (1 - D_j); 0 for 'sum', 'hard'
  kAuxShift = 1,          // softmax shift m = max(eps, max_j z_j) / gamma
  kAuxDenominator = 2,    // softmax denominator sum_j w_j + w_b (weights taken at shift m)
  kAuxChannels = kAuxRecordSize
};

// What the CPU forward keeps for the backward of alpha-only Euclidean renders: one byte
// per pixel of each entry's pixel window (entry e's records start at offsets[e],
// row-major over the window, exactly the pixels backward_entry visits) saying whether
// the face contributes there and through which edge, so that the backward skips the
// pairs that do not contribute and measures one edge instead of testing all of them.
enum PairCode : uint8_t {
  kPairAbsent = 0,     // the face does not contribute at this pixel
  kPairRecompute = 1,  // contributes, but the nearest edge is tied: evaluate again
  kPairOutside0 = 2,   // contributes from outside, nearest edge kPairOutside0 + e
  kPairInside0 = 5,    // contributes from inside, nearest edge kPairInside0 + e
};

struct PairCache {
  const int64_t* offsets;  // (E + 1) start of each entry's records
  uint8_t* code;           // PairCode of each record
};

// The PairCode of a pair eval_pair accepted (s filled by it).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE uint8_t pair_code(const PairSample<scalar_t>& s) {
  scalar_t weight[3];
  min3_weights(s.d[0], s.d[1], s.d[2], weight);
  int e = -1;
  for (int k = 0; k < 3; ++k)
    if (weight[k] == scalar_t(1)) e = k;
  if (e < 0) return kPairRecompute;  // a tie splits the gradient: rare, done the long way
  return uint8_t((s.inside ? kPairInside0 : kPairOutside0) + e);
}

// Forward state of one pixel while its faces arrive in ascending order. The color
// numerators live in the output image itself (channel c at out[c * plane]).
template <typename scalar_t>
struct PixelAccumulator {
  AlphaState<scalar_t> alpha_state;  // the alpha aggregation's: its T-conorm's state (soft_raster_tconorms.h)
  scalar_t shift;          // softmax: running maximum m of z_j / gamma (at least background_eps / gamma)
  scalar_t denominator;    // softmax: sum_j w_j + w_b, weights taken at shift m
  int best;                // 'hard' color: face shown so far, -1 for none
  scalar_t best_depth;     // 'hard' color: its depth
  scalar_t best_wc[3];     // 'hard' color: its clipped barycentrics

  SR_HOST_DEVICE void init(const SoftRasterParams& p, const scalar_t* background, scalar_t* out, int64_t plane) {
    tconorm_init(p, alpha_state);
    shift = scalar_t(p.background_eps / p.gamma);
    denominator = scalar_t(1);  // the background's weight exp(background_eps / gamma - m) at m = background_eps / gamma
    best = -1;
    best_depth = scalar_t(0);
    best_wc[0] = best_wc[1] = best_wc[2] = scalar_t(0);
    if (p.num_channels > 0 && p.aggr_rgb == AggrRGB::Softmax)
      for (int c = 0; c < p.num_channels; ++c) out[c * plane] = background[p.num_background == 1 ? 0 : c];
  }

  // Adds contributing face f (record fd, colors fc) with its sample s.
  SR_HOST_DEVICE SR_INLINE void add(const SoftRasterParams& p, const scalar_t* fd, const scalar_t* fc, int f,
                          const PairSample<scalar_t>& s, scalar_t* out, int64_t plane) {
    tconorm_add(p, alpha_state, s);
    const int C = p.num_channels;
    if (C == 0 || !shows_color(p, fd)) return;
    if (p.aggr_rgb == AggrRGB::Softmax) {
      const scalar_t scaled = ((scalar_t(p.far) - s.zp) / scalar_t(p.far - p.near)) / scalar_t(p.gamma);
      if (scaled > shift) {  // rescale what was accumulated at the old shift
        const scalar_t rescale = sr_exp(shift - scaled);
        denominator *= rescale;
        for (int c = 0; c < C; ++c) out[c * plane] *= rescale;
        shift = scaled;
      }
      const scalar_t weight = s.coverage * sr_exp(scaled - shift);
      denominator += weight;
      const int texel = color_texel(p, s.wc);
      for (int c = 0; c < C; ++c) out[c * plane] += weight * face_color(fc, C, s.wc, texel, c);
    } else if (s.coverage > scalar_t(0.5) && (best < 0 || s.zp < best_depth)) {
      best = f;  // strict '<' over ascending faces: ties keep the lowest index
      best_depth = s.zp;
      for (int k = 0; k < 3; ++k) best_wc[k] = s.wc[k];
    }
  }

  // Writes the pixel's alpha and colors (out), its aux values (a, channel stride plane)
  // and, when not null, its winner. colors points at image n's (F, K, C) colors.
  SR_HOST_DEVICE void finish(const SoftRasterParams& p, const scalar_t* colors, const scalar_t* background,
                             scalar_t* out, scalar_t* a, int32_t* winner, int64_t plane) const {
    const int C = p.num_channels;
    out[C * plane] = tconorm_alpha(p, alpha_state);
    a[kAuxAlphaState * plane] = tconorm_saved_state(p, alpha_state);
    a[kAuxShift * plane] = shift;
    a[kAuxDenominator * plane] = denominator;
    if (C > 0 && p.aggr_rgb == AggrRGB::Softmax) {
      for (int c = 0; c < C; ++c) out[c * plane] /= denominator;
    } else if (C > 0) {
      const scalar_t* fc = best >= 0 ? colors + int64_t(best) * p.face_color_size() : nullptr;
      const int texel = color_texel(p, best_wc);
      for (int c = 0; c < C; ++c)
        out[c * plane] = best >= 0 ? face_color(fc, C, best_wc, texel, c) : background[p.num_background == 1 ? 0 : c];
    }
    if (winner != nullptr) *winner = best;
  }
};

// Forward of pixel (row, col) of image n over the faces args.tile_faces[begin, end) (face
// indices within image n, ascending): the per-thread body of the CUDA forward.
template <typename scalar_t>
SR_HOST_DEVICE inline void shade_pixel(const SoftRasterParams& p, const ForwardArgs<scalar_t>& args, int64_t begin,
                                       int64_t end, int n, int row, int col) {
  const int C = p.num_channels;
  const int64_t plane = int64_t(p.height) * p.width;
  const int64_t pixel = int64_t(row) * p.width + col;
  scalar_t* out = args.image + int64_t(n) * (C + 1) * plane + pixel;
  const scalar_t* image_colors = C > 0 ? args.colors + int64_t(n) * p.num_faces * p.face_color_size() : nullptr;
  const scalar_t px = pixel_x<scalar_t>(p, col), py = pixel_y<scalar_t>(p, row);
  PixelAccumulator<scalar_t> acc;
  acc.init(p, args.background, out, plane);
  PairSample<scalar_t> s;
  for (int64_t i = begin; i < end; ++i) {
    const int f = args.tile_faces[i];
    const scalar_t* fd = args.face_data + (int64_t(n) * p.num_faces + f) * kFaceStride;
    if (eval_pair(p, fd, px, py, s))
      acc.add(p, fd, C > 0 ? image_colors + int64_t(f) * p.face_color_size() : nullptr, f, s, out, plane);
  }
  acc.finish(p, image_colors, args.background, out, args.aux + int64_t(n) * kAuxChannels * plane + pixel,
             args.winner != nullptr ? args.winner + int64_t(n) * plane + pixel : nullptr, plane);
}

// Pixels of a tile that may lie in a face's box: columns [col0, col1), rows [row0, row1).
struct PixelWindow {
  int col0, col1, row0, row1;
};

template <typename scalar_t>
SR_HOST_DEVICE inline PixelWindow face_window_in_tile(const SoftRasterParams& p, const scalar_t* fd, int tile) {
  const int tile_col = (tile % p.tiles_x()) * p.tile_size, tile_row = (tile / p.tiles_x()) * p.tile_size;
  PixelWindow w;
  w.col0 = sr_max(tile_col, face_pixel_bound(fd, kFaceCol0));
  w.col1 = sr_min(sr_min(tile_col + p.tile_size, p.width), face_pixel_bound(fd, kFaceCol1) + 1);
  w.row0 = sr_max(tile_row, face_pixel_bound(fd, kFaceRow0));
  w.row1 = sr_min(sr_min(tile_row + p.tile_size, p.height), face_pixel_bound(fd, kFaceRow1) + 1);
  return w;
}

// Backward of face f of image n over the pixels of one tile: adds the face's share of
// d loss / d face_vertices to grad_v (kFaceVertexScalars scalars) and, when grad_c is not
// null, of d loss / d colors to grad_c (p.face_color_size() scalars); grad_v is null when
// the vertex gradient is not wanted. args: the forward's state (its grad_vertices and
// grad_colors are not used here: the caller gives each entry its slots). cache: null, or
// the entry's forward records (PairCache; alpha-only Euclidean renders), which replace
// the distance evaluation with the same values.
template <typename scalar_t>
SR_HOST_DEVICE inline void backward_entry(const SoftRasterParams& p, const BackwardArgs<scalar_t>& args, int n, int f,
                                          int tile, scalar_t* grad_v, scalar_t* grad_c,
                                          const PairCache* cache = nullptr, int64_t entry = 0) {
  const scalar_t* const image = args.image;
  const scalar_t* const aux = args.aux;
  const scalar_t* const grad_image = args.grad_image;
  const int32_t* const winner = args.winner;
  const int C = p.num_channels;
  const int64_t plane = int64_t(p.height) * p.width;
  const scalar_t* fd = args.face_data + (int64_t(n) * p.num_faces + f) * kFaceStride;
  const scalar_t* fc = C > 0 ? args.colors + (int64_t(n) * p.num_faces + f) * p.face_color_size() : nullptr;
  const bool soft = p.dist_func != DistFunc::Hard;
  const bool softmax = C > 0 && p.aggr_rgb == AggrRGB::Softmax && shows_color(p, fd);
  const bool hard_rgb = C > 0 && p.aggr_rgb == AggrRGB::Hard;
  const bool want_geometry = grad_v != nullptr;
  const scalar_t gamma = scalar_t(p.gamma);
  const scalar_t depth_range = scalar_t(p.far - p.near);
  const scalar_t far = scalar_t(p.far);
  const PixelWindow window = face_window_in_tile(p, fd, tile);
  PairSample<scalar_t> s;
  int64_t record = cache != nullptr ? cache->offsets[entry] : 0;
  for (int row = window.row0; row < window.row1; ++row) {
    const scalar_t py = pixel_y<scalar_t>(p, row);
    for (int col = window.col0; col < window.col1; ++col, ++record) {
      const scalar_t px = pixel_x<scalar_t>(p, col);
      if (cache != nullptr) {
        const uint8_t code = cache->code[record];
        if (code == kPairAbsent) continue;
        if (code != kPairRecompute) {  // the Euclidean distance of the one nearest edge the record names
          if (!want_geometry) continue;
          const int64_t pixel = int64_t(row) * p.width + col;
          const scalar_t* a = aux + int64_t(n) * kAuxChannels * plane + pixel;
          const bool inside = code >= kPairInside0;
          const int edge = (code - kPairOutside0) % kFaceVertices;
          scalar_t d2, t;
          EuclideanDistance::logit_of_edge(p, fd, px, py, edge, inside, d2, t, s);
          EuclideanDistance::coverage(p, s);
          const scalar_t g_logit = tconorm_logit_gradient(p, s, grad_image[int64_t(n) * plane + pixel],
                                                        image[int64_t(n) * plane + pixel], a[kAuxAlphaState * plane]);
          if (g_logit == scalar_t(0)) continue;
          EuclideanDistance::backward_of_edge(p, fd, px, py, edge, inside, d2, t, g_logit, grad_v);
          continue;
        }
      }
      if (!eval_pair(p, fd, px, py, s)) continue;
      const int64_t pixel = int64_t(row) * p.width + col;
      const scalar_t* gout = grad_image + int64_t(n) * (C + 1) * plane + pixel;
      const scalar_t* out = image + int64_t(n) * (C + 1) * plane + pixel;
      const scalar_t* a = aux + int64_t(n) * kAuxChannels * plane + pixel;
      scalar_t g_logit = scalar_t(0), g_zp = scalar_t(0), g_wc[3] = {0, 0, 0};
      if (soft) g_logit = tconorm_logit_gradient(p, s, gout[C * plane], out[C * plane], a[kAuxAlphaState * plane]);
      if (softmax) {
        const scalar_t scaled = ((far - s.zp) / depth_range) / gamma;
        const scalar_t denominator = a[kAuxDenominator * plane];
        const scalar_t unit_weight = sr_exp(scaled - a[kAuxShift * plane]);  // exp(z_j / gamma - m)
        const scalar_t weight = s.coverage * unit_weight;
        // dI_c / dw_j = (C_jc - I_c) / Z; dI_c / dC_jc = w_j / Z.
        scalar_t g_weight = scalar_t(0);
        const int texel = color_texel(p, s.wc);
        for (int c = 0; c < C; ++c) {
          const scalar_t g_color = gout[c * plane] * weight / denominator;
          g_weight += gout[c * plane] * (face_color(fc, C, s.wc, texel, c) - out[c * plane]);
          face_color_backward(fc, C, s.wc, texel, c, g_color, grad_c, g_wc);
        }
        g_weight /= denominator;
        if (soft) g_logit += g_weight * unit_weight * s.density;  // dw/dx = exp(z / gamma - m) f(x)
        g_zp -= g_weight * weight / gamma / depth_range;  // dw/dz = w / gamma, dz/dzp = -1 / (far - near)
      } else if (hard_rgb && grad_c != nullptr && winner[int64_t(n) * plane + pixel] == f) {
        scalar_t unused_g_wc[3] = {0, 0, 0};  // hard color: no gradient to geometry
        const int texel = color_texel(p, s.wc);
        for (int c = 0; c < C; ++c) face_color_backward(fc, C, s.wc, texel, c, gout[c * plane], grad_c, unused_g_wc);
      }
      if (want_geometry && (g_logit != scalar_t(0) || g_zp != scalar_t(0) || g_wc[0] != scalar_t(0) ||
                            g_wc[1] != scalar_t(0) || g_wc[2] != scalar_t(0)))
        pair_backward(p, fd, px, py, s, g_logit, g_zp, g_wc, grad_v);
    }
  }
}

}  // namespace softrecon
