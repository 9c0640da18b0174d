// The values one (pixel, face) pair carries from its evaluation (eval_pair) to the
// aggregations and the backward.
#pragma once

#include "soft_raster_face.h"

namespace softrecon {

template <typename scalar_t>
struct PairSample {
  scalar_t w[3];      // barycentric coordinates (edge functions over area2)
  scalar_t wc[3];     // clamped to [0, 1] and renormalised
  scalar_t csum;      // sum of the clamped coordinates (>= 1/3)
  scalar_t zp;        // perspective-correct depth 1 / sum(wc_k / z_k)
  scalar_t d[3];      // squared distance to each edge (euclidean only)
  scalar_t t[3];      // clamped projection parameter on each edge (euclidean only)
  scalar_t logit;     // signed distance over sigma, x; 0 for 'hard'
  scalar_t coverage;  // D = F(x) (1 for 'hard')
  scalar_t miss;      // 1 - D computed as F(-x), without cancellation (0 for 'hard')
  scalar_t density;   // dD/dx = f(x) (0 for 'hard')
  scalar_t hazard;    // f(x) / (1 - F(x)) = -d log(1 - D)/dx, finite where 1 - D underflows
  bool inside;        // all w_k >= 0
};

}  // namespace softrecon
