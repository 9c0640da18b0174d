// setup_face: the face record of one face, computed once per face before any pixel
// (validity, facing, edge data, the influence box and its pixel window). The box
// growth is the distance function's (soft_raster_distances.h).
#pragma once

#include "soft_raster_distances.h"

namespace softrecon {

// Fills one face record from its 9 vertex scalars: validity, facing and the box outside
// of which the face cannot contribute (D < dist_eps, or outside for 'hard').
template <typename scalar_t>
SR_HOST_DEVICE inline void setup_face(const SoftRasterParams& p, const scalar_t* v, scalar_t* fd) {
  for (int k = 0; k < 3; ++k) {
    fd[kFaceX + k] = v[3 * k + 0];
    fd[kFaceY + k] = v[3 * k + 1];
    fd[kFaceZ + k] = v[3 * k + 2];
  }
  const scalar_t x0 = v[0], y0 = v[1], x1 = v[3], y1 = v[4], x2 = v[6], y2 = v[7];
  const scalar_t area2 = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
  const scalar_t zmin = sr_min(sr_min(v[2], v[5]), v[8]);
  const bool valid = sr_abs(area2) > scalar_t(kMinDoubleArea) && zmin >= scalar_t(kMinVertexDepth);
  // The depth 1 / sum(wc_k / z_k) is a weighted harmonic mean of the vertex depths.
  const double zmax = sr_max(sr_max(double(v[2]), double(v[5])), double(v[8]));
  set_face_flag(fd, kFaceDepthSafe,
                double(zmin) > p.near * (1.0 + kDepthSafeMargin) && zmax < p.far * (1.0 - kDepthSafeMargin));
  fd[kFaceArea2] = area2;
  fd[kFaceInvArea2] = valid ? scalar_t(1) / area2 : scalar_t(1);
  set_face_flag(fd, kFaceValid, valid);
  for (int e = 0; e < 3; ++e) {
    const scalar_t dx = v[3 * ((e + 1) % 3)] - v[3 * e], dy = v[3 * ((e + 1) % 3) + 1] - v[3 * e + 1];
    const scalar_t length2 = dx * dx + dy * dy;
    fd[kFaceEdgeDX + e] = dx;
    fd[kFaceEdgeDY + e] = dy;
    fd[kFaceEdgeLen2 + e] = length2 > scalar_t(0) ? length2 : scalar_t(1);
  }
  set_face_flag(fd, kFaceFront, area2 < scalar_t(0));
  // sin(angle at vertex k) = |area2| / (product of the two edges at k); the smallest is the
  // one between the two longest edges. Compared squared, in double.
  {
    double len2[3];
    for (int e = 0; e < 3; ++e) len2[e] = double(fd[kFaceEdgeDX + e]) * fd[kFaceEdgeDX + e] +
                                          double(fd[kFaceEdgeDY + e]) * fd[kFaceEdgeDY + e];
    const double shortest = sr_min(sr_min(len2[0], len2[1]), len2[2]);
    const double product = len2[0] * len2[1] * len2[2] / (shortest > 0.0 ? shortest : 1.0);
    const double a2 = double(area2) * double(area2);
    set_face_flag(fd, kFaceWellShaped, valid && a2 >= kMinWellShapedSine * kMinWellShapedSine * product);
  }
  // Box of the triangle itself, in double so the growth is never under-estimated, grown
  // by the distance function to where D reaches dist_eps.
  const double xs[3] = {double(x0), double(x1), double(x2)}, ys[3] = {double(y0), double(y1), double(y2)};
  InfluenceBox box;
  box.xmin = sr_min(sr_min(xs[0], xs[1]), xs[2]);
  box.xmax = sr_max(sr_max(xs[0], xs[1]), xs[2]);
  box.ymin = sr_min(sr_min(ys[0], ys[1]), ys[2]);
  box.ymax = sr_max(sr_max(ys[0], ys[1]), ys[2]);
  distance_grow_box(p, xs, ys, sqrt(p.cutoff_squared), box);
  const double xmin = box.xmin, xmax = box.xmax, ymin = box.ymin, ymax = box.ymax;
  fd[kFaceXMin] = scalar_t(xmin);
  fd[kFaceXMax] = scalar_t(xmax);
  fd[kFaceYMin] = scalar_t(ymin);
  fd[kFaceYMax] = scalar_t(ymax);
  // Column c has x = (2c + 1 - W) / S, so x in [xmin, xmax] <=> c in [(xmin S + W - 1) / 2, ...];
  // row r has y = (H - 1 - 2r) / S, so y in [ymin, ymax] <=> r in [(H - 1 - ymax S) / 2, ...].
  const double s = double(p.height < p.width ? p.height : p.width);
  double c0 = ceil((xmin * s + p.width - 1) * 0.5 - kPixelSlack);
  double c1 = floor((xmax * s + p.width - 1) * 0.5 + kPixelSlack);
  double r0 = ceil((p.height - 1 - ymax * s) * 0.5 - kPixelSlack);
  double r1 = floor((p.height - 1 - ymin * s) * 0.5 + kPixelSlack);
  // Written so that a NaN bound (a non-finite vertex) also gives the empty range: the
  // window's int conversion below must never see a NaN.
  if (!(valid && c1 >= 0 && r1 >= 0 && c0 <= p.width - 1 && r0 <= p.height - 1)) {
    c0 = 0; c1 = -1; r0 = 0; r1 = -1;  // empty
  } else {
    c0 = sr_max(c0, 0.0); r0 = sr_max(r0, 0.0);
    c1 = sr_min(c1, double(p.width - 1)); r1 = sr_min(r1, double(p.height - 1));
  }
  set_face_pixel_bound(fd, kFaceCol0, c0);
  set_face_pixel_bound(fd, kFaceCol1, c1);
  set_face_pixel_bound(fd, kFaceRow0, r0);
  set_face_pixel_bound(fd, kFaceRow1, r1);
}

}  // namespace softrecon
