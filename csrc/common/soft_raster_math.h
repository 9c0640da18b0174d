// Per-face and per-(pixel, face) math of the soft rasterizer, written once for both
// back ends: inline templates on the scalar type, free of torch, host-device.
//
// Mirrors softrecon/renderer/reference.py operation for operation (same formulas in the
// same order, so float64 results agree to rounding); the reference's autograd is the
// oracle for every backward function here. Vertex layout everywhere: 9 scalars
// (x0, y0, z0, x1, y1, z1, x2, y2, z2), the layout of face_vertices (N, F, 3, 3).
//
// This header gathers the pieces, each with one job:
//   soft_raster_scalar.h    float / double libm overloads, min / max / clamp / sigmoid
//   soft_raster_face.h      the face record (FaceField), setup_face, tile ranges, pixel centres
//   soft_raster_sample.h    PairSample, the values of one (pixel, face) pair
//   soft_raster_cdfs.h      the coverage CDFs, one struct per DistCDF mode
//   soft_raster_distances.h edge distances and the distance functions, one struct per DistFunc mode
//   soft_raster_setup.h     setup_face: the face record of one face
//   soft_raster_tconorms.h  the alpha aggregations, one struct per AggrAlpha mode
//   soft_raster_color.h     per-vertex colors and surface texels, and their backward
//   soft_raster_pair.h      eval_pair and pair_backward
#pragma once

#include "soft_raster_color.h"
#include "soft_raster_pair.h"
#include "soft_raster_setup.h"
#include "soft_raster_tconorms.h"
