// The buffers of each kernel operation, one struct per operation, filled once by the torch
// op (csrc/torch/soft_raster_op.cpp: from the allocated outputs, and for the backward from
// the ForwardState) and passed whole through every layer below it: the CPU loops
// (csrc/cpu/), the CUDA launchers and kernels (csrc/cuda/) and the shared bodies
// (soft_raster_passes.h). Plain pointers only (no torch, no CUDA types); the shapes are
// those of SoftRasterParams (N, F, C, K = color_samples(), H, W; E entries, T tiles per
// image). All contiguous, row-major.
#pragma once

#include <cstdint>

namespace softrecon {

// Face setup: face records and the number of tiles each face overlaps.
template <typename scalar_t>
struct SetupArgs {
  const scalar_t* face_vertices;  // (N, F, kFaceVertices, kVertexScalars)
  scalar_t* face_data;            // (N * F, kFaceRecordSize) records written by setup_face
  int64_t* tile_counts;           // (N * F) tiles each face overlaps
};

// The forward's shading: every pixel over its tile's face list.
template <typename scalar_t>
struct ForwardArgs {
  const scalar_t* face_data;    // (N * F, kFaceRecordSize)
  const scalar_t* colors;       // (N, F, K, C), or null when C = 0
  const scalar_t* background;   // (num_background) 1 or C values
  const int64_t* tile_offsets;  // (N * T + 1) start of each (image, tile)'s faces in tile_faces
  const int32_t* tile_faces;    // (E) face index within its image, ascending within a tile
  scalar_t* image;              // (N, C + 1, H, W) color channels then alpha
  scalar_t* aux;                // (N, kAuxRecordSize, H, W) what the backward needs (AuxField)
  int32_t* winner;              // (N, H, W) face shown by 'hard' color, -1 for none; null otherwise
};

// The backward: the forward's state (read) and the gradients (written).
template <typename scalar_t>
struct BackwardArgs {
  const scalar_t* face_data;     // (N * F, kFaceRecordSize) the forward's
  const scalar_t* colors;        // (N, F, K, C), or null when C = 0
  const scalar_t* image;         // (N, C + 1, H, W) the forward's
  const scalar_t* aux;           // (N, kAuxRecordSize, H, W) the forward's
  const int32_t* winner;         // (N, H, W) the forward's, or null (softmax color or alpha only)
  const scalar_t* grad_image;    // (N, C + 1, H, W) d loss / d image
  const int64_t* face_offsets;   // (N * F + 1) each face's first (face, tile) entry
  const int32_t* entry_tiles;    // (E) tile of each entry, face-major
  scalar_t* grad_vertices;       // (N, F, kFaceVertices, kVertexScalars), or null when not wanted
  scalar_t* grad_colors;         // (N, F, K, C), or null when not wanted
};

}  // namespace softrecon
