// The distance functions, one struct each (the table of DistFunc modes,
// soft_raster_params.h SR_DIST_FUNCS): the signed scaled distance x of a pair and its
// cut-off test (logit), D = F(x) (coverage) and the backward of x onto the face's vertices
// and barycentrics (backward). Twin of softrecon/renderer/distances.py.
#pragma once

#include "soft_raster_cdfs.h"

namespace softrecon {

// Relative margin of the cheap line-distance rejection of the Euclidean distance over
// the cut-off, so that it never rejects a pair the exact segment-distance test would accept.
constexpr double kRejectMargin = 1e-2;

// ----------------------------------------------------------------- edge distances
// Squared distance from (px, py) to edge e of face record fd (the segment from vertex e
// to vertex e+1), as distances.segment_distance_squared; t receives the clamped
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

// ----------------------------------------------------------------- the distance functions
// A face's influence box (NDC): outside it the face cannot contribute.
struct InfluenceBox {
  double xmin, xmax, ymin, ymax;
};

// x = +-d2 / sigma of a squared distance d2 (+ inside), +-sqrt(d2) / sigma unsquared
// (p.dist_squared false; 0 on an edge).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t signed_scaled_distance(const SoftRasterParams& p, scalar_t d2, bool inside) {
  const scalar_t d = p.dist_squared ? d2 : (d2 > scalar_t(0) ? sr_sqrt(d2) : scalar_t(0));
  return (inside ? d : -d) / scalar_t(p.sigma);
}

// g_logit d x / d d2 of signed_scaled_distance (0 on an edge unsquared, as the reference's
// distances.unsquared).
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t signed_scaled_distance_gradient(const SoftRasterParams& p, scalar_t d2, bool inside,
                                                                  scalar_t g_logit) {
  const scalar_t g_d = (inside ? g_logit : -g_logit) / scalar_t(p.sigma);
  if (p.dist_squared) return g_d;
  return d2 > scalar_t(0) ? g_d / (scalar_t(2) * sr_sqrt(d2)) : scalar_t(0);
}

// Each struct has:
//   grow_box(x, y, radius, box): grows the box of the triangle (x[3], y[3]) to where its
//     coverage reaches dist_eps (radius = sqrt(cutoff_squared)), with the margins of
//     soft_raster_face.h so that rounding never cuts a pixel the exact test accepts;
//   kNeedsOnlyBarycentricSigns: whether logit needs only the signs of w (then eval_pair skips
//     the divisions of a silhouette whose depth needs no w either);
//   logit(p, fd, px, py, edge, negative, s): sets s.logit (and what its backward reuses)
//     from the edge functions edge[k] (w_k = edge[k] / area2; negative[k]: w_k < 0) and
//     s.inside, s.w; false when the pair is beyond the cut-off;
//   coverage(p, s): s.coverage, miss, density, hazard;
//   backward(p, fd, px, py, s, g_logit, g_w, grad): adds d loss / d x's share to grad
//     (9 vertex scalars) and g_w (3 barycentrics).

// sign * d^2 / sigma, d = distance to the triangle's boundary: the paper's.
struct EuclideanDistance {
  static constexpr bool kNeedsOnlyBarycentricSigns = true;
  SR_HOST_DEVICE static void grow_box(const double*, const double*, double radius, InfluenceBox& box) {
    // Points with d^2 < cutoff2 lie within the cut-off radius of the triangle.
    const double grow = radius * (1.0 + kBoxRelativeMargin) + kBoxAbsoluteMargin;
    box.xmin -= grow; box.xmax += grow; box.ymin -= grow; box.ymax += grow;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static bool logit(const SoftRasterParams& p, const scalar_t* fd, scalar_t px, scalar_t py,
                                             const scalar_t* edge, const bool* negative, PairSample<scalar_t>& s) {
    const scalar_t cutoff2 = scalar_t(p.cutoff_squared);
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
    const bool all_edges = s.inside || !face_flag(fd, kFaceWellShaped);
    for (int e = 0; e < 3; ++e) {
      s.t[e] = scalar_t(0);
      s.d[e] = all_edges || negative[(e + 2) % 3] ? edge_distance2(fd, e, px, py, s.t[e]) : scalar_t(INFINITY);
    }
    const scalar_t d2 = sr_min(sr_min(s.d[0], s.d[1]), s.d[2]);
    if (!(s.inside || d2 < cutoff2)) return false;
    s.logit = signed_scaled_distance(p, d2, s.inside);
    return true;
  }
  // logit of a pair whose nearest edge e and side (inside) are known, as the CPU
  // PairCache records them: the same s.logit as logit, from that edge alone; d2 and t
  // receive the edge's squared distance and projection parameter for backward_of_edge.
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void logit_of_edge(const SoftRasterParams& p, const scalar_t* fd, scalar_t px,
                                                     scalar_t py, int e, bool inside, scalar_t& d2, scalar_t& t,
                                                     PairSample<scalar_t>& s) {
    d2 = edge_distance2(fd, e, px, py, t);
    s.logit = signed_scaled_distance(p, d2, inside);
  }
  // Backward of logit_of_edge: backward's share of the one nearest edge (weight 1).
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void backward_of_edge(const SoftRasterParams& p, const scalar_t* fd, scalar_t px,
                                                        scalar_t py, int e, bool inside, scalar_t d2, scalar_t t,
                                                        scalar_t g_logit, scalar_t* grad) {
    edge_distance2_backward(fd, e, px, py, t, signed_scaled_distance_gradient(p, d2, inside, g_logit), grad);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void coverage(const SoftRasterParams& p, PairSample<scalar_t>& s) {
    coverage_of_logit(p, s.logit, s);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void backward(const SoftRasterParams& p, const scalar_t* fd, scalar_t px,
                                                scalar_t py, const PairSample<scalar_t>& s, scalar_t g_logit,
                                                scalar_t*, scalar_t* grad) {
    // logit = +-d2 / sigma (or +-sqrt(d2) / sigma), d2 = min over the three edges.
    const scalar_t g_d2 = signed_scaled_distance_gradient(
        p, p.dist_squared ? scalar_t(0) : sr_min(sr_min(s.d[0], s.d[1]), s.d[2]), s.inside, g_logit);
    scalar_t weight[3];
    min3_weights(s.d[0], s.d[1], s.d[2], weight);
    for (int e = 0; e < 3; ++e)
      if (weight[e] != scalar_t(0)) edge_distance2_backward(fd, e, px, py, s.t[e], g_d2 * weight[e], grad);
  }
};

// b |b| / sigma (b / sigma unsquared), b = smallest barycentric coordinate.
struct BarycentricDistance {
  static constexpr bool kNeedsOnlyBarycentricSigns = false;
  SR_HOST_DEVICE static void grow_box(const double* x, const double* y, double radius, InfluenceBox& box) {
    // {min_k w_k > -r} is the triangle scaled about its centroid by (1 + 3r).
    const double cx = (x[0] + x[1] + x[2]) / 3.0;
    const double cy = (y[0] + y[1] + y[2]) / 3.0;
    const double scale = (1.0 + 3.0 * radius) * (1.0 + kBoxRelativeMargin);
    box.xmin = cx + (box.xmin - cx) * scale - kBoxAbsoluteMargin;
    box.xmax = cx + (box.xmax - cx) * scale + kBoxAbsoluteMargin;
    box.ymin = cy + (box.ymin - cy) * scale - kBoxAbsoluteMargin;
    box.ymax = cy + (box.ymax - cy) * scale + kBoxAbsoluteMargin;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static bool logit(const SoftRasterParams& p, const scalar_t*, scalar_t, scalar_t,
                                             const scalar_t*, const bool*, PairSample<scalar_t>& s) {
    const scalar_t b = sr_min(sr_min(s.w[0], s.w[1]), s.w[2]);
    if (!(s.inside || b * b < scalar_t(p.cutoff_squared))) return false;
    s.logit = (p.dist_squared ? b * sr_abs(b) : b) / scalar_t(p.sigma);
    return true;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void coverage(const SoftRasterParams& p, PairSample<scalar_t>& s) {
    coverage_of_logit(p, s.logit, s);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void backward(const SoftRasterParams& p, const scalar_t*, scalar_t, scalar_t,
                                                const PairSample<scalar_t>& s, scalar_t g_logit, scalar_t* g_w,
                                                scalar_t*) {
    // logit = b |b| / sigma with b = min_k w_k (the first minimum takes the gradient).
    int arg = 0;
    if (s.w[1] < s.w[arg]) arg = 1;
    if (s.w[2] < s.w[arg]) arg = 2;
    g_w[arg] += p.dist_squared ? g_logit * scalar_t(2) * sr_abs(s.w[arg]) / scalar_t(p.sigma) : g_logit / scalar_t(p.sigma);
  }
};

// 1 inside, 0 outside: piecewise constant, no gradient.
struct HardDistance {
  static constexpr bool kNeedsOnlyBarycentricSigns = false;
  SR_HOST_DEVICE static void grow_box(const double*, const double*, double, InfluenceBox& box) {
    // Only pixels inside the closed triangle.
    box.xmin -= kBoxAbsoluteMargin; box.xmax += kBoxAbsoluteMargin;
    box.ymin -= kBoxAbsoluteMargin; box.ymax += kBoxAbsoluteMargin;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static bool logit(const SoftRasterParams&, const scalar_t*, scalar_t, scalar_t,
                                             const scalar_t*, const bool*, PairSample<scalar_t>& s) {
    if (!s.inside) return false;
    s.logit = scalar_t(0);
    return true;
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void coverage(const SoftRasterParams&, PairSample<scalar_t>& s) {
    s.coverage = scalar_t(1);
    s.miss = s.density = s.hazard = scalar_t(0);
  }
  template <typename scalar_t>
  SR_HOST_DEVICE SR_INLINE static void backward(const SoftRasterParams&, const scalar_t*, scalar_t, scalar_t,
                                                const PairSample<scalar_t>&, scalar_t, scalar_t*, scalar_t*) {}
};

// ----------------------------------------------------------------- dispatch on p.dist_func
// One chain of compares per operation, as the CDFs' (soft_raster_cdfs.h).
#define SR_DISTANCE_CASE(name, value, python_name, mode, operation) \
  if (mode == DistFunc::name) return name##Distance::operation;

SR_HOST_DEVICE inline void distance_grow_box(const SoftRasterParams& p, const double* x, const double* y,
                                             double radius, InfluenceBox& box) {
  SR_DIST_FUNCS(SR_DISTANCE_CASE, p.dist_func, grow_box(x, y, radius, box))
  SR_UNREACHABLE();
}

SR_HOST_DEVICE SR_INLINE bool distance_needs_only_barycentric_signs(DistFunc dist_func) {
  SR_DIST_FUNCS(SR_DISTANCE_CASE, dist_func, kNeedsOnlyBarycentricSigns)
  SR_UNREACHABLE();
}

template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE bool distance_logit(const SoftRasterParams& p, const scalar_t* fd, scalar_t px, scalar_t py,
                                             const scalar_t* edge, const bool* negative, PairSample<scalar_t>& s) {
  SR_DIST_FUNCS(SR_DISTANCE_CASE, p.dist_func, logit(p, fd, px, py, edge, negative, s))
  SR_UNREACHABLE();
}

template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void distance_coverage(const SoftRasterParams& p, PairSample<scalar_t>& s) {
  SR_DIST_FUNCS(SR_DISTANCE_CASE, p.dist_func, coverage(p, s))
  SR_UNREACHABLE();
}

template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE void distance_backward(const SoftRasterParams& p, const scalar_t* fd, scalar_t px,
                                                scalar_t py, const PairSample<scalar_t>& s, scalar_t g_logit,
                                                scalar_t* g_w, scalar_t* grad) {
  SR_DIST_FUNCS(SR_DISTANCE_CASE, p.dist_func, backward(p, fd, px, py, s, g_logit, g_w, grad))
  SR_UNREACHABLE();
}

#undef SR_DISTANCE_CASE

}  // namespace softrecon
