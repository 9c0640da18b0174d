// The per-face record (FaceField: 32 scalars per face in face_data, integers and flags
// stored as the scalar type), filled once per face by setup_face: validity, facing, the
// influence box and its pixel window, the edge data; the tiles a face is binned into;
// the NDC centres of pixels. Vertex layout: 9 scalars (x0, y0, z0, x1, y1, z1, x2, y2,
// z2), the layout of face_vertices (N, F, 3, 3).
#pragma once

#include "soft_raster_scalar.h"

namespace softrecon {

// A face whose doubled projected area |2A| is at most this (NDC units) takes no part.
constexpr double kMinDoubleArea = 1e-8;
// A face with any vertex depth below this takes no part.
constexpr double kMinVertexDepth = 1e-8;
// Relative growth of a face's influence box on top of the exact cut-off radius, so that
// rounding in the per-pixel tests can never reach a pixel the box excludes.
constexpr double kBoxRelativeMargin = 1e-4;
// Absolute growth of the influence box (NDC units), for the same reason.
constexpr double kBoxAbsoluteMargin = 1e-6;
// Relative margin by which a face's vertex depths must lie inside [near, far] for its
// interpolated depth to be in range without testing it (float32 rounding is ~1e-7).
constexpr double kDepthSafeMargin = 1e-4;
// A face is well shaped when the sine of each of its angles is at least this. Outside such
// a face, an edge that is not the nearest is farther than the nearest by a margin that
// rounding cannot close unless the two nearest points nearly coincide at their shared
// vertex (so both edges give the same gradient); eval_pair may then skip edges the pixel
// is inside of. A sliver's edges lie within rounding of each other and are all evaluated,
// as the reference does, so the choice between them falls the reference's way.
constexpr double kMinWellShapedSine = 1e-2;
// Slack, in pixels, when turning the box into pixel rows and columns (covers the rounding
// of the pixel centres; the box margins above already keep the exact tests inside).
constexpr double kPixelSlack = 1e-3;

// Per-face record computed once by setup_face: layout of the rows of face_data.
enum FaceField : int {
  kFaceX = 0,            // x0, x1, x2
  kFaceY = 3,            // y0, y1, y2
  kFaceZ = 6,            // z0, z1, z2
  kFaceArea2 = 9,        // signed doubled area (x1-x0)(y2-y0) - (x2-x0)(y1-y0)
  kFaceInvArea2 = 10,    // 1 / area2 (1 for invalid faces)
  kFaceXMin = 11,        // influence box (NDC): the face cannot contribute outside it
  kFaceXMax = 12,
  kFaceYMin = 13,
  kFaceYMax = 14,
  kFaceValid = 15,       // 1 if the face takes part, else 0
  kFaceFront = 16,       // 1 if front-facing (area2 < 0), else 0
  kFaceCol0 = 17,        // pixel columns [col0, col1] and rows [row0, row1] that may lie
  kFaceCol1 = 18,        // in the box (clamped to the image; empty
  kFaceRow0 = 19,        // when col1 < col0 or row1 < row0)
  kFaceRow1 = 20,
  kFaceEdgeDX = 21,      // edge e runs from vertex e to vertex e+1 (mod 3): x_{e+1} - x_e
  kFaceEdgeDY = 24,      // y_{e+1} - y_e
  kFaceEdgeLen2 = 27,    // |edge|^2 (1 for a zero-length edge)
  kFaceDepthSafe = 30,   // 1 if every depth the face can take lies well inside [near, far]
  kFaceWellShaped = 31,  // 1 if every angle's sine is at least kMinWellShapedSine
  kFaceStride = kFaceRecordSize  // scalars per face record (padded)
};

// The record holds flags (kFaceValid, kFaceFront, kFaceDepthSafe, kFaceWellShaped: exactly
// 0 or 1) and pixel bounds (kFaceCol0 .. kFaceRow1: integers, exact in float) as the scalar
// type, so that one tensor carries a face; they are written and read through these.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void set_face_flag(scalar_t* fd, FaceField field, bool value) {
  fd[field] = value ? scalar_t(1) : scalar_t(0);
}
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE bool face_flag(const scalar_t* fd, FaceField field) {
  return fd[field] != scalar_t(0);
}
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE int face_pixel_bound(const scalar_t* fd, FaceField field) {
  return int(fd[field]);
}
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void set_face_pixel_bound(scalar_t* fd, FaceField field, double value) {
  fd[field] = scalar_t(value);
}

// NDC centre of pixel column c: (2c + 1 - W) / S with S = min(H, W) (SPEC section 1).
template <typename scalar_t>
SR_HOST_DEVICE inline scalar_t pixel_x(const SoftRasterParams& p, int col) {
  const int s = p.height < p.width ? p.height : p.width;
  return scalar_t(2 * col + 1 - p.width) / scalar_t(s);
}

// NDC centre of pixel row r (row 0 at the top): (H - 1 - 2r) / S.
template <typename scalar_t>
SR_HOST_DEVICE inline scalar_t pixel_y(const SoftRasterParams& p, int row) {
  const int s = p.height < p.width ? p.height : p.width;
  return scalar_t(p.height - 1 - 2 * row) / scalar_t(s);
}

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
  // Box of the triangle itself, in double so the growth below is never under-estimated.
  double xmin = sr_min(sr_min(double(x0), double(x1)), double(x2));
  double xmax = sr_max(sr_max(double(x0), double(x1)), double(x2));
  double ymin = sr_min(sr_min(double(y0), double(y1)), double(y2));
  double ymax = sr_max(sr_max(double(y0), double(y1)), double(y2));
  const double radius = sqrt(p.cutoff_squared);
  if (p.dist_func == DistFunc::Euclidean) {
    // Points with d^2 < cutoff2 lie within the cut-off radius of the triangle.
    const double grow = radius * (1.0 + kBoxRelativeMargin) + kBoxAbsoluteMargin;
    xmin -= grow; xmax += grow; ymin -= grow; ymax += grow;
  } else if (p.dist_func == DistFunc::Barycentric) {
    // {min_k w_k > -r} is the triangle scaled about its centroid by (1 + 3r).
    const double cx = (double(x0) + double(x1) + double(x2)) / 3.0;
    const double cy = (double(y0) + double(y1) + double(y2)) / 3.0;
    const double scale = (1.0 + 3.0 * radius) * (1.0 + kBoxRelativeMargin);
    xmin = cx + (xmin - cx) * scale - kBoxAbsoluteMargin;
    xmax = cx + (xmax - cx) * scale + kBoxAbsoluteMargin;
    ymin = cy + (ymin - cy) * scale - kBoxAbsoluteMargin;
    ymax = cy + (ymax - cy) * scale + kBoxAbsoluteMargin;
  } else {  // Hard: only pixels inside the closed triangle
    xmin -= kBoxAbsoluteMargin; xmax += kBoxAbsoluteMargin;
    ymin -= kBoxAbsoluteMargin; ymax += kBoxAbsoluteMargin;
  }
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

// Inclusive range of tiles a face's influence box overlaps; empty (count 0) for invalid
// faces and boxes off the image.
struct TileRange {
  int x0, x1, y0, y1;  // inclusive tile column / row bounds
  SR_HOST_DEVICE int count() const { return (x1 < x0 || y1 < y0) ? 0 : (x1 - x0 + 1) * (y1 - y0 + 1); }
};

template <typename scalar_t>
SR_HOST_DEVICE inline TileRange face_tile_range(const SoftRasterParams& p, const scalar_t* fd) {
  TileRange r{0, -1, 0, -1};
  const int c0 = face_pixel_bound(fd, kFaceCol0), c1 = face_pixel_bound(fd, kFaceCol1);
  const int r0 = face_pixel_bound(fd, kFaceRow0), r1 = face_pixel_bound(fd, kFaceRow1);
  if (c1 < c0 || r1 < r0) return r;
  r.x0 = c0 / p.tile_size; r.x1 = c1 / p.tile_size;
  r.y0 = r0 / p.tile_size; r.y1 = r1 / p.tile_size;
  return r;
}

// The i-th tile (row-major within the range) of a face's tile range, as a tile index.
SR_HOST_DEVICE inline int tile_of_range(const SoftRasterParams& p, const TileRange& r, int i) {
  const int span = r.x1 - r.x0 + 1;
  return (r.y0 + i / span) * p.tiles_x() + r.x0 + i % span;
}

}  // namespace softrecon
