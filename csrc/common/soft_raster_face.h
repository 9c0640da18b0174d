// The per-face record (FaceField: 32 scalars per face in face_data, integers and flags
// stored as the scalar type; filled once per face by setup_face, soft_raster_setup.h:
// validity, facing, the influence box and its pixel window, the edge data); the tiles a
// face is binned into; the NDC centres of pixels. Vertex layout: 9 scalars (x0, y0, z0, x1, y1, z1, x2, y2,
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

// NDC centre of pixel column c: (2c + 1 - W) / S with S = min(H, W) (docs/METHOD.md section 1).
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
