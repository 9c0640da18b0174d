// CPU back end of the soft rasterizer: OpenMP loops around csrc/common/ bodies.
// Plain pointers, no torch; csrc/torch/soft_raster_op.cpp validates and allocates.
// Layouts are those of soft_raster_passes.h; "entries" are (face, tile) pairs, stored
// face-major (entry_tiles, offsets face_offsets) and tile-major (tile_faces, offsets
// tile_offsets indexed by n * num_tiles + tile, faces ascending within a tile).
#pragma once

#include <cstdint>

#include "../common/soft_raster_passes.h"

namespace softrecon {
namespace cpu {

// Slots of the statistics array filled by forward (int64, kStatsSize values).
enum StatsField : int {
  kStatsPairsListed = 0,   // (pixel, face) pairs in the tiles' face lists
  kStatsPairsEvaluated = 1,  // pairs evaluated: pixels of each face's window in each tile
  kStatsThreadsUsed = 2,   // distinct CPU threads that shaded at least one tile
  kStatsSize = 3
};

// Face records (N * F, kFaceStride) and the number of tiles each face overlaps (N * F).
template <typename scalar_t>
void setup_faces(const SoftRasterParams& p, const scalar_t* face_vertices, scalar_t* face_data, int64_t* tile_counts);

// Given face_offsets (N * F + 1, the exclusive prefix sum of tile_counts) fills
// entry_tiles (E) and the tile-major lists tile_offsets (N * T + 1), tile_faces (E) and
// tile_entries (E, the face-major entry index of each tile-major slot).
template <typename scalar_t>
void bin_faces(const SoftRasterParams& p, const scalar_t* face_data, const int64_t* face_offsets, int32_t* entry_tiles,
               int64_t* tile_offsets, int32_t* tile_faces, int64_t* tile_entries);

// Fills offsets (E + 1) with the start of each entry's PairCache records (one per pixel
// of its window) and returns their total.
template <typename scalar_t>
int64_t pair_cache_offsets(const SoftRasterParams& p, const scalar_t* face_data, const int64_t* face_offsets,
                           const int32_t* entry_tiles, int64_t* offsets);

// Shades every pixel: image (N, C + 1, H, W), aux (N, kAuxChannels, H, W), winner
// (N, H, W) or null, stats (kStatsSize) or null; fills cache's records when not null
// (alpha-only Euclidean renders only; offsets from pair_cache_offsets).
template <typename scalar_t>
void forward(const SoftRasterParams& p, const scalar_t* face_data, const scalar_t* colors, const scalar_t* background,
             const int64_t* tile_offsets, const int32_t* tile_faces, const int64_t* tile_entries, scalar_t* image,
             scalar_t* aux, int32_t* winner, const PairCache* cache, int64_t* stats);

// Gradients grad_v (N, F, 3, 3) and grad_c (N, F, K, C) (either may be null), zeroed
// here and written face by face: deterministic whatever the number of threads. cache:
// the forward's PairCache or null (then every pair is evaluated again); same results.
template <typename scalar_t>
void backward(const SoftRasterParams& p, const scalar_t* face_data, const scalar_t* colors, const scalar_t* image,
              const scalar_t* aux, const int32_t* winner, const scalar_t* grad_image, const int64_t* face_offsets,
              const int32_t* entry_tiles, const PairCache* cache, scalar_t* grad_v, scalar_t* grad_c);

// Whether this file was compiled with OpenMP.
bool compiled_with_openmp();
// omp_get_max_threads() (1 without OpenMP).
int openmp_max_threads();

}  // namespace cpu
}  // namespace softrecon
