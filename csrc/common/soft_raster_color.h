// Colors of a face at a pixel: whether it shows them, the texel of a surface texture,
// the interpolated (or texel) color and its backward. Layout of a face's colors:
// p.color_samples() x C (3 per-vertex colors or R * R texels).
#pragma once

#include "soft_raster_face.h"

namespace softrecon {

// Whether the face shows its color (front-facing, or rendering double-sided).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE bool shows_color(const SoftRasterParams& p, const scalar_t* fd) {
  return p.double_sided || face_flag(fd, kFaceFront);
}

// Texel of an R x R surface texture shown at clipped barycentrics wc, as
// softrecon/renderer/textures.py surface_texel_index: with i, j, k the floors of wc_k R
// (i, j at most R - 1), the "lower" sub-triangle j R + min(i, R - 1 - j) when
// i + j + k >= R - 1, else the "upper" one (R - 1 - j) R + (R - 1 - i).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE int surface_texel(int resolution, const scalar_t* wc) {
  const scalar_t r = scalar_t(resolution);
  const int i = sr_min(int(floor(wc[0] * r)), resolution - 1);
  const int j = sr_min(int(floor(wc[1] * r)), resolution - 1);
  const int k = int(floor(wc[2] * r));
  return i + j + k >= resolution - 1 ? j * resolution + sr_min(i, resolution - 1 - j)
                                     : (resolution - 1 - j) * resolution + (resolution - 1 - i);
}

// Where a face's colors are read at clipped barycentrics wc: the texel of a surface
// texture, or -1 for per-vertex colors (interpolated by wc).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE int color_texel(const SoftRasterParams& p, const scalar_t* wc) {
  return p.texture_res > 0 ? surface_texel(p.texture_res, wc) : -1;
}

// Color channel c of a face (colors: its color_samples() x C values) at clipped
// barycentrics wc, whose texel (color_texel) is texel: sum_k wc_k color_kc for
// per-vertex colors, the texel's color for a surface texture.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t face_color(const scalar_t* colors, int num_channels, const scalar_t* wc, int texel,
                                              int c) {
  if (texel >= 0) return colors[texel * num_channels + c];
  return wc[0] * colors[c] + wc[1] * colors[num_channels + c] + wc[2] * colors[2 * num_channels + c];
}

// Backward of face_color for channel c with upstream gradient g: adds to the face's
// color gradient grad_colors (color_samples() x C; may be null) and, for per-vertex
// colors, to g_wc (a surface texture is piecewise constant: no gradient through wc).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void face_color_backward(const scalar_t* colors, int num_channels, const scalar_t* wc,
                                                   int texel, int c, scalar_t g, scalar_t* grad_colors,
                                                   scalar_t* g_wc) {
  if (texel >= 0) {
    if (grad_colors != nullptr) grad_colors[texel * num_channels + c] += g;
    return;
  }
  for (int k = 0; k < 3; ++k) {
    if (grad_colors != nullptr) grad_colors[k * num_channels + c] += wc[k] * g;
    g_wc[k] += colors[k * num_channels + c] * g;
  }
}

}  // namespace softrecon
