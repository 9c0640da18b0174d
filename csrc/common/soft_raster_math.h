// Per-face and per-(pixel, face) math of the soft rasterizer, written once for both
// back ends: inline templates on the scalar type, free of torch, host-device.
//
// Mirrors softrecon/renderer/reference.py operation for operation (same formulas in the
// same order, so float64 results agree to rounding); the reference's autograd is the
// oracle for every backward function here. Vertex layout everywhere: 9 scalars
// (x0, y0, z0, x1, y1, z1, x2, y2, z2), the layout of face_vertices (N, F, 3, 3).
#pragma once

#include <math.h>

#include <cstdint>

#include "soft_raster_params.h"

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
// Relative margin of the cheap line-distance rejection of eval_pair over the cut-off, so
// that it never rejects a pair the exact segment-distance test would accept.
constexpr double kRejectMargin = 1e-2;
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

// ----------------------------------------------------------------- scalar helpers
SR_HOST_DEVICE inline float sr_exp(float x) { return expf(x); }
SR_HOST_DEVICE inline double sr_exp(double x) { return exp(x); }
SR_HOST_DEVICE inline float sr_expm1(float x) { return expm1f(x); }
SR_HOST_DEVICE inline double sr_expm1(double x) { return expm1(x); }
SR_HOST_DEVICE inline float sr_tanh(float x) { return tanhf(x); }
SR_HOST_DEVICE inline double sr_tanh(double x) { return tanh(x); }
SR_HOST_DEVICE inline float sr_log(float x) { return logf(x); }
SR_HOST_DEVICE inline double sr_log(double x) { return log(x); }
SR_HOST_DEVICE inline float sr_log1p(float x) { return log1pf(x); }
SR_HOST_DEVICE inline double sr_log1p(double x) { return log1p(x); }
SR_HOST_DEVICE inline float sr_erfc(float x) { return erfcf(x); }
SR_HOST_DEVICE inline double sr_erfc(double x) { return erfc(x); }
SR_HOST_DEVICE inline float sr_atan2(float y, float x) { return atan2f(y, x); }
SR_HOST_DEVICE inline double sr_atan2(double y, double x) { return atan2(y, x); }
SR_HOST_DEVICE inline float sr_sqrt(float x) { return sqrtf(x); }
SR_HOST_DEVICE inline double sr_sqrt(double x) { return sqrt(x); }
template <typename T>
SR_HOST_DEVICE inline T sr_abs(T x) { return x < T(0) ? -x : x; }
template <typename T>
SR_HOST_DEVICE inline T sr_min(T a, T b) { return b < a ? b : a; }
template <typename T>
SR_HOST_DEVICE inline T sr_max(T a, T b) { return a < b ? b : a; }
template <typename T>
SR_HOST_DEVICE inline T sr_clamp01(T x) {
  // min(max(x, 0), 1): the same value as x < 0 ? 0 : (x > 1 ? 1 : x) for every x (NaN stays
  // NaN, -0 stays -0), written so that compilers emit branch-free min / max instructions.
  return sr_min(sr_max(x, T(0)), T(1));
}
template <typename T>
SR_HOST_DEVICE inline T sr_sigmoid(T x) {  // 1 / (1 + exp(-x)) without overflow; 0 at -inf, 1 at +inf
  const T e = sr_exp(-sr_abs(x));
  return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
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

// ----------------------------------------------------------------- face setup
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
  fd[kFaceDepthSafe] =
      double(zmin) > p.near * (1.0 + kDepthSafeMargin) && zmax < p.far * (1.0 - kDepthSafeMargin) ? scalar_t(1)
                                                                                                  : scalar_t(0);
  fd[kFaceArea2] = area2;
  fd[kFaceInvArea2] = valid ? scalar_t(1) / area2 : scalar_t(1);
  fd[kFaceValid] = valid ? scalar_t(1) : scalar_t(0);
  for (int e = 0; e < 3; ++e) {
    const scalar_t dx = v[3 * ((e + 1) % 3)] - v[3 * e], dy = v[3 * ((e + 1) % 3) + 1] - v[3 * e + 1];
    const scalar_t length2 = dx * dx + dy * dy;
    fd[kFaceEdgeDX + e] = dx;
    fd[kFaceEdgeDY + e] = dy;
    fd[kFaceEdgeLen2 + e] = length2 > scalar_t(0) ? length2 : scalar_t(1);
  }
  fd[kFaceFront] = area2 < scalar_t(0) ? scalar_t(1) : scalar_t(0);
  // sin(angle at vertex k) = |area2| / (product of the two edges at k); the smallest is the
  // one between the two longest edges. Compared squared, in double.
  {
    double len2[3];
    for (int e = 0; e < 3; ++e) len2[e] = double(fd[kFaceEdgeDX + e]) * fd[kFaceEdgeDX + e] +
                                          double(fd[kFaceEdgeDY + e]) * fd[kFaceEdgeDY + e];
    const double shortest = sr_min(sr_min(len2[0], len2[1]), len2[2]);
    const double product = len2[0] * len2[1] * len2[2] / (shortest > 0.0 ? shortest : 1.0);
    const double a2 = double(area2) * double(area2);
    fd[kFaceWellShaped] = valid && a2 >= kMinWellShapedSine * kMinWellShapedSine * product ? scalar_t(1) : scalar_t(0);
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
  fd[kFaceCol0] = scalar_t(c0);
  fd[kFaceCol1] = scalar_t(c1);
  fd[kFaceRow0] = scalar_t(r0);
  fd[kFaceRow1] = scalar_t(r1);
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
  const int c0 = int(fd[kFaceCol0]), c1 = int(fd[kFaceCol1]), r0 = int(fd[kFaceRow0]), r1 = int(fd[kFaceRow1]);
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

// ----------------------------------------------------------------- distances
// Squared distance from (px, py) to edge e of face record fd (the segment from vertex e
// to vertex e+1), as reference._segment_distance_squared; t receives the clamped
// projection parameter, which the backward reuses.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t edge_distance2(const scalar_t* fd, int e, scalar_t px, scalar_t py, scalar_t& t) {
  const scalar_t ax = fd[kFaceX + e], ay = fd[kFaceY + e];
  const scalar_t dx = fd[kFaceEdgeDX + e], dy = fd[kFaceEdgeDY + e];
  t = sr_clamp01(((px - ax) * dx + (py - ay) * dy) / fd[kFaceEdgeLen2 + e]);
  const scalar_t rx = ax + t * dx - px, ry = ay + t * dy - py;
  return rx * rx + ry * ry;
}

// Backward of edge_distance2 in envelope form: with r = a + t (b - a) - p,
// d(d^2)/da = 2 r (1 - t) and d(d^2)/db = 2 r t. Adds g times these to grad (9 scalars).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void edge_distance2_backward(const scalar_t* fd, int e, scalar_t px, scalar_t py, scalar_t t,
                                                   scalar_t g, scalar_t* grad) {
  const int b = (e + 1) % 3;
  const scalar_t rx = fd[kFaceX + e] + t * fd[kFaceEdgeDX + e] - px;
  const scalar_t ry = fd[kFaceY + e] + t * fd[kFaceEdgeDY + e] - py;
  const scalar_t ka = scalar_t(2) * g * (scalar_t(1) - t), kb = scalar_t(2) * g * t;
  grad[3 * e] += ka * rx;
  grad[3 * e + 1] += ka * ry;
  grad[3 * b] += kb * rx;
  grad[3 * b + 1] += kb * ry;
}

// Gradient split of d2 = minimum(minimum(d01, d12), d20) onto its three arguments, as
// torch.minimum's backward does it (a tie sends half to each side).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void min3_weights(scalar_t d01, scalar_t d12, scalar_t d20, scalar_t* weight) {
  const scalar_t half = scalar_t(0.5);
  scalar_t w01 = d01 < d12 ? scalar_t(1) : (d01 == d12 ? half : scalar_t(0));
  scalar_t w12 = d12 < d01 ? scalar_t(1) : (d01 == d12 ? half : scalar_t(0));
  const scalar_t inner = sr_min(d01, d12);
  const scalar_t w_inner = inner < d20 ? scalar_t(1) : (inner == d20 ? half : scalar_t(0));
  const scalar_t w20 = d20 < inner ? scalar_t(1) : (inner == d20 ? half : scalar_t(0));
  weight[0] = w01 * w_inner;
  weight[1] = w12 * w_inner;
  weight[2] = w20;
}

// ----------------------------------------------------------------- one (pixel, face) pair
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

// ----------------------------------------------------------------- coverage CDFs
// Above this x the Gaussian hazard phi(x) / Q(x) comes from a continued fraction: both
// phi and Q = erfc(x / sqrt 2) / 2 are near the bottom of the normal range beyond it.
template <typename scalar_t>
struct GaussianTail;
template <>
struct GaussianTail<float> {
  static constexpr float kSwitch = 10.0f;  // Q(10) ~ 7.6e-24
};
template <>
struct GaussianTail<double> {
  static constexpr double kSwitch = 30.0;  // Q(30) ~ 4.9e-198
};
// Gumbel CDFs: x is clamped to +-this before exp (D is exactly 0 or 1 beyond it), as in
// the reference (GUMBEL_EXPONENT_LIMIT), so that exp never overflows.
constexpr double kGumbelExponentLimit = 80.0;
// Gumbel max: below this y = exp(-x), log(1 - D) = -x - y / 2 (reference: GUMBEL_SMALL).
constexpr double kGumbelSmall = 1e-8;
// Terms of the continued fraction Q(x) / phi(x) = 1 / (x + 1 / (x + 2 / (x + 3 / ...)))
// (converged to rounding for x >= 10 well before this).
constexpr int kMillsTerms = 40;

// D = F(x), 1 - D = F(-x), f(x) and the hazard f / (1 - F) of the standard symmetric CDF
// cdf (softrecon/renderer/settings.py DistCDF), each without cancellation.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void coverage_of_logit(DistCDF cdf, scalar_t x, PairSample<scalar_t>& s) {
  constexpr scalar_t kInvPi = scalar_t(0.31830988618379067154);
  if (cdf == DistCDF::Logistic) {
    const scalar_t e = sr_exp(-sr_abs(x));
    const scalar_t inv = scalar_t(1) / (scalar_t(1) + e);
    s.coverage = x >= scalar_t(0) ? inv : e * inv;
    s.miss = x >= scalar_t(0) ? e * inv : inv;
    s.density = s.coverage * s.miss;
    s.hazard = s.coverage;
  } else if (cdf == DistCDF::Gaussian) {
    constexpr scalar_t kInvSqrt2 = scalar_t(0.70710678118654752440);
    constexpr scalar_t kInvSqrt2Pi = scalar_t(0.39894228040143267794);
    s.coverage = scalar_t(0.5) * sr_erfc(-x * kInvSqrt2);
    s.miss = scalar_t(0.5) * sr_erfc(x * kInvSqrt2);
    s.density = kInvSqrt2Pi * sr_exp(scalar_t(-0.5) * x * x);
    if (x > GaussianTail<scalar_t>::kSwitch) {
      scalar_t t = x;
      for (int k = kMillsTerms; k >= 1; --k) t = x + scalar_t(k) / t;
      s.hazard = t;
    } else {
      s.hazard = s.density / s.miss;
    }
  } else if (cdf == DistCDF::Laplace) {
    if (x >= scalar_t(0)) {
      s.miss = scalar_t(0.5) * sr_exp(-x);
      s.coverage = scalar_t(1) - s.miss;
      s.density = s.miss;
      s.hazard = scalar_t(1);
    } else {
      s.coverage = scalar_t(0.5) * sr_exp(x);
      s.miss = scalar_t(1) - s.coverage;
      s.density = s.coverage;
      s.hazard = s.coverage / s.miss;
    }
  } else if (cdf == DistCDF::Cauchy) {  // F(x) = atan2(1, -x) / pi, accurate in both tails
    s.coverage = sr_atan2(scalar_t(1), -x) * kInvPi;
    s.miss = sr_atan2(scalar_t(1), x) * kInvPi;
    s.density = kInvPi / (scalar_t(1) + x * x);
    s.hazard = s.miss > scalar_t(0) ? s.density / s.miss : scalar_t(0);
  } else if (cdf == DistCDF::GumbelMax) {  // F = exp(-y), y = exp(-x)
    const scalar_t y = sr_exp(-sr_max(x, scalar_t(-kGumbelExponentLimit)));
    s.coverage = sr_exp(-y);
    s.miss = -sr_expm1(-y);
    s.density = y * s.coverage;
    s.hazard = s.miss > scalar_t(0) ? s.density / s.miss : scalar_t(1);  // -> 1 as y -> 0
  } else {  // GumbelMin: F = 1 - exp(-e), e = exp(x); the hazard is e itself
    const scalar_t e = sr_exp(sr_min(x, scalar_t(kGumbelExponentLimit)));
    s.coverage = -sr_expm1(-e);
    s.miss = sr_exp(-e);
    s.density = e * s.miss;
    s.hazard = e;
  }
}

// log(1 - D) = log F(-x) of a soft contributing pair (s filled by coverage_of_logit),
// taken without forming 1 - D where that would lose it.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t log_miss_of(DistCDF cdf, const PairSample<scalar_t>& s) {
  const scalar_t x = s.logit;
  if (cdf == DistCDF::Logistic) return -(sr_max(x, scalar_t(0)) + sr_log1p(sr_exp(-sr_abs(x))));
  if (cdf == DistCDF::Gaussian && x > GaussianTail<scalar_t>::kSwitch)  // log Q(x) = log phi(x) - log hazard(x)
    return scalar_t(-0.5) * x * x - scalar_t(0.91893853320467274178) - sr_log(s.hazard);
  if (cdf == DistCDF::Laplace && x >= scalar_t(0)) return scalar_t(-0.69314718055994530942) - x;
  if (cdf == DistCDF::GumbelMax) {
    const scalar_t y = sr_exp(-sr_max(x, scalar_t(-kGumbelExponentLimit)));
    return y < scalar_t(kGumbelSmall) ? -x - scalar_t(0.5) * y : sr_log(-sr_expm1(-sr_max(y, scalar_t(kGumbelSmall))));
  }
  if (cdf == DistCDF::GumbelMin) return -sr_exp(sr_min(x, scalar_t(kGumbelExponentLimit)));
  return sr_log(s.miss);
}

// artanh D = (log(1 + D) - log(1 - D)) / 2 of a contributing pair (the Einstein sum adds
// them); +inf for hard coverage (D = 1).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t coverage_artanh(DistCDF cdf, DistFunc dist_func, const PairSample<scalar_t>& s) {
  if (dist_func == DistFunc::Hard) return scalar_t(INFINITY);
  return scalar_t(0.5) * (sr_log1p(s.coverage) - log_miss_of(cdf, s));
}

// log(D / (1 - D)) of a soft contributing pair (the Hamacher sum adds the odds): x itself
// for the logistic. D >= dist_eps > 0 there, so log D is finite.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t coverage_log_odds(DistCDF cdf, const PairSample<scalar_t>& s) {
  if (cdf == DistCDF::Logistic) return s.logit;
  return sr_log(s.coverage) - log_miss_of(cdf, s);
}

// d log(D / (1 - D)) / dx = f / (D (1 - D)) = hazard / D (1 for the logistic).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t log_odds_slope(DistCDF cdf, const PairSample<scalar_t>& s) {
  return cdf == DistCDF::Logistic ? scalar_t(1) : s.hazard / s.coverage;
}

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
  // Euclidean silhouettes of a face safely inside [near, far] use the barycentrics only
  // through their signs: w_k >= 0 <=> edge_k / area2 >= 0, which is edge_k >= 0 for
  // area2 > 0 and edge_k <= 0 for area2 < 0 (IEEE division keeps the sign; a signed zero
  // compares >= 0 either way; |area2| > 1e-8 keeps the quotient of a nonzero edge from
  // underflowing to zero). The backward then needs no w either (its g_w stays zero), so
  // the three divisions are skipped and w is left at 0.
  const bool need_w = p.dist_func != DistFunc::Euclidean || p.num_channels > 0 || fd[kFaceDepthSafe] == scalar_t(0);
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
  const scalar_t cutoff2 = scalar_t(p.cutoff_squared);
  const scalar_t sigma = scalar_t(p.sigma);
  if (p.dist_func == DistFunc::Euclidean) {
    if (!s.inside) {
      // Cheap rejection: the distance to the triangle is at least the distance to the
      // line of an edge the pixel is outside of, edge_k^2 / |edge opposite k|^2.
      const scalar_t bound2 = cutoff2 * scalar_t(1.0 + kRejectMargin);
      for (int k = 0; k < 3; ++k)
        if (negative[k] && edge[k] * edge[k] >= bound2 * fd[kFaceEdgeLen2 + (k + 1) % 3]) return false;
    }
    // Outside the triangle, the nearest boundary point lies on an edge whose line the
    // pixel is outside of, or is a vertex of such an edge. For a well-shaped face the other
    // edges are skipped (infinite distance, zero weight in the backward): see
    // kMinWellShapedSine. Edge function k belongs to segment e = k + 1 (mod 3).
    const bool all_edges = s.inside || fd[kFaceWellShaped] == scalar_t(0);
    for (int e = 0; e < 3; ++e) {
      s.t[e] = scalar_t(0);
      s.d[e] = all_edges || negative[(e + 2) % 3] ? edge_distance2(fd, e, px, py, s.t[e]) : scalar_t(INFINITY);
    }
    const scalar_t d2 = sr_min(sr_min(s.d[0], s.d[1]), s.d[2]);
    if (!(s.inside || d2 < cutoff2)) return false;
    s.logit = (s.inside ? d2 : -d2) / sigma;
  } else if (p.dist_func == DistFunc::Barycentric) {
    const scalar_t b = sr_min(sr_min(s.w[0], s.w[1]), s.w[2]);
    if (!(s.inside || b * b < cutoff2)) return false;
    s.logit = b * sr_abs(b) / sigma;
  } else {
    if (!s.inside) return false;
    s.logit = scalar_t(0);
  }
  if (p.num_channels > 0 || fd[kFaceDepthSafe] == scalar_t(0)) {
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
  if (p.dist_func == DistFunc::Hard) {
    s.coverage = scalar_t(1);
    s.miss = s.density = s.hazard = scalar_t(0);
  } else {
    coverage_of_logit(p.dist_cdf, s.logit, s);
  }
  return true;
}

// Whether the face shows its colour (front-facing, or rendering double-sided).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE bool shows_colour(const SoftRasterParams& p, const scalar_t* fd) {
  return p.double_sided || fd[kFaceFront] != scalar_t(0);
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
  if (g_logit != scalar_t(0)) {
    const scalar_t sigma = scalar_t(p.sigma);
    if (p.dist_func == DistFunc::Euclidean) {
      // logit = +-d2 / sigma, d2 = min over the three edges.
      const scalar_t g_d2 = (s.inside ? g_logit : -g_logit) / sigma;
      scalar_t weight[3];
      min3_weights(s.d[0], s.d[1], s.d[2], weight);
      for (int e = 0; e < 3; ++e)
        if (weight[e] != scalar_t(0)) edge_distance2_backward(fd, e, px, py, s.t[e], g_d2 * weight[e], grad);
    } else if (p.dist_func == DistFunc::Barycentric) {
      // logit = b |b| / sigma with b = min_k w_k (the first minimum takes the gradient).
      int arg = 0;
      if (s.w[1] < s.w[arg]) arg = 1;
      if (s.w[2] < s.w[arg]) arg = 2;
      g_w[arg] += g_logit * scalar_t(2) * sr_abs(s.w[arg]) / sigma;
    }
  }
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
