// Colours of a face at a pixel: whether it shows them, the texel of a surface texture,
// the interpolated (or texel) colour and its backward. Layout of a face's colours:
// p.colour_samples() x C (3 per-vertex colours or R * R texels).
#pragma once

#include "soft_raster_face.h"

namespace softrecon {

// Whether the face shows its colour (front-facing, or rendering double-sided).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE bool shows_colour(const SoftRasterParams& p, const scalar_t* fd) {
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

// Where a face's colours are read at clipped barycentrics wc: the texel of a surface
// texture, or -1 for per-vertex colours (interpolated by wc).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE int colour_texel(const SoftRasterParams& p, const scalar_t* wc) {
  return p.texture_res > 0 ? surface_texel(p.texture_res, wc) : -1;
}

// Colour channel c of a face (colours: its colour_samples() x C values) at clipped
// barycentrics wc, whose texel (colour_texel) is texel: sum_k wc_k colour_kc for
// per-vertex colours, the texel's colour for a surface texture.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t face_colour(const scalar_t* colours, int num_channels, const scalar_t* wc, int texel,
                                              int c) {
  if (texel >= 0) return colours[texel * num_channels + c];
  return wc[0] * colours[c] + wc[1] * colours[num_channels + c] + wc[2] * colours[2 * num_channels + c];
}

// Backward of face_colour for channel c with upstream gradient g: adds to the face's
// colour gradient grad_colours (colour_samples() x C; may be null) and, for per-vertex
// colours, to g_wc (a surface texture is piecewise constant: no gradient through wc).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void face_colour_backward(const scalar_t* colours, int num_channels, const scalar_t* wc,
                                                   int texel, int c, scalar_t g, scalar_t* grad_colours,
                                                   scalar_t* g_wc) {
  if (texel >= 0) {
    if (grad_colours != nullptr) grad_colours[texel * num_channels + c] += g;
    return;
  }
  for (int k = 0; k < 3; ++k) {
    if (grad_colours != nullptr) grad_colours[k * num_channels + c] += wc[k] * g;
    g_wc[k] += colours[k * num_channels + c] * g;
  }
}

}  // namespace softrecon
