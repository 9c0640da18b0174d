// One face as NMR sees it (docs/METHOD.md section 9): its vertices, validity and facing,
// barycentrics at a point and the pixel centres; the same expressions as
// softrecon/renderer/nmr/reference.py (_barycentrics) and softrecon/renderer/reference.py.
#pragma once

#include "nmr_params.h"
#include "soft_raster_face.h"  // kMinDoubleArea, kMinVertexDepth
#include "soft_raster_scalar.h"

namespace softrecon {

template <typename scalar_t>
struct NmrFace {
  scalar_t x[3], y[3], z[3];
  scalar_t area2;  // signed doubled area; < 0 is front-facing (docs/METHOD.md section 1)
  bool valid;      // |area2| > kMinDoubleArea and every depth >= kMinVertexDepth
  bool front;
};

template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE NmrFace<scalar_t> load_nmr_face(const scalar_t* v) {
  NmrFace<scalar_t> f;
  for (int k = 0; k < 3; ++k) {
    f.x[k] = v[3 * k];
    f.y[k] = v[3 * k + 1];
    f.z[k] = v[3 * k + 2];
  }
  f.area2 = (f.x[1] - f.x[0]) * (f.y[2] - f.y[0]) - (f.x[2] - f.x[0]) * (f.y[1] - f.y[0]);
  const scalar_t zmin = sr_min(sr_min(f.z[0], f.z[1]), f.z[2]);
  f.valid = sr_abs(f.area2) > scalar_t(kMinDoubleArea) && zmin >= scalar_t(kMinVertexDepth);
  f.front = f.area2 < scalar_t(0);
  return f;
}

// True when the point (px, py) lies outside the closed bounding box of a face (v: its 9
// scalars, x, y, z of each corner); no such point is covered. The first half of the
// coverage test (docs/METHOD.md section 9.1), exact (comparisons only), so rounding in
// the barycentric half cannot cover a pixel outside the box; it also lets a pixel pass
// over most faces after six loads.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE bool nmr_outside_box(const scalar_t* v, scalar_t px, scalar_t py) {
  return (px < v[0] && px < v[3] && px < v[6]) || (px > v[0] && px > v[3] && px > v[6]) ||
         (py < v[1] && py < v[4] && py < v[7]) || (py > v[1] && py > v[4] && py > v[7]);
}

// Unclipped barycentrics w of the point (px, py): edge functions over the doubled area.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void nmr_barycentrics(const NmrFace<scalar_t>& f, scalar_t px, scalar_t py, scalar_t* w) {
  const scalar_t safe = sr_abs(f.area2) > scalar_t(kMinDoubleArea) ? f.area2 : scalar_t(1);
  w[0] = ((f.x[1] - px) * (f.y[2] - py) - (f.x[2] - px) * (f.y[1] - py)) / safe;
  w[1] = ((f.x[2] - px) * (f.y[0] - py) - (f.x[0] - px) * (f.y[2] - py)) / safe;
  w[2] = ((f.x[0] - px) * (f.y[1] - py) - (f.x[1] - px) * (f.y[0] - py)) / safe;
}

// Clipped barycentrics: clamped to [0, 1] and renormalised (the sum is >= 1/3).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void nmr_clip(const scalar_t* w, scalar_t* wc) {
  const scalar_t c0 = sr_clamp01(w[0]), c1 = sr_clamp01(w[1]), c2 = sr_clamp01(w[2]);
  const scalar_t sum = c0 + c1 + c2;
  wc[0] = c0 / sum;
  wc[1] = c1 / sum;
  wc[2] = c2 / sum;
}

// Inverse depth at barycentrics w (perspective-correct: 1/z interpolates linearly).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t nmr_inv_depth(const NmrFace<scalar_t>& f, const scalar_t* w) {
  return w[0] / f.z[0] + w[1] / f.z[1] + w[2] / f.z[2];
}

// NDC centres of column col and row row (docs/METHOD.md section 1; S = min(H, W)).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t nmr_column_x(const NmrParams& p, int col) {
  return scalar_t(2 * col + 1 - p.width) / scalar_t(p.height < p.width ? p.height : p.width);
}
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t nmr_row_y(const NmrParams& p, int row) {
  return scalar_t(p.height - 1 - 2 * row) / scalar_t(p.height < p.width ? p.height : p.width);
}

}  // namespace softrecon
