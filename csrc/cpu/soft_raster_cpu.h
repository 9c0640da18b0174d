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

// What only the CPU back end reads, kept out of the shared SoftRasterParams.
struct Options {
  int32_t num_threads = 1;   // OpenMP threads (the op: torch's, fewer for small images)
  bool pixel_major = false;  // shade pixel by pixel with shade_pixel (the CUDA back end's loop
                             // order) instead of face by face; for tests
};

// Face records and the number of tiles each face overlaps (SetupArgs).
template <typename scalar_t>
void setup_faces(const SoftRasterParams& p, const Options& options, const SetupArgs<scalar_t>& args);

// Given face_offsets (N * F + 1, the exclusive prefix sum of tile_counts) fills
// entry_tiles (E) and the tile-major lists tile_offsets (N * T + 1), tile_faces (E) and
// tile_entries (E, the face-major entry index of each tile-major slot).
template <typename scalar_t>
void bin_faces(const SoftRasterParams& p, const Options& options, const scalar_t* face_data,
               const int64_t* face_offsets, int32_t* entry_tiles, int64_t* tile_offsets, int32_t* tile_faces,
               int64_t* tile_entries);

// Fills offsets (E + 1) with the start of each entry's PairCache records (one per pixel
// of its window) and returns their total.
template <typename scalar_t>
int64_t pair_cache_offsets(const SoftRasterParams& p, const Options& options, const scalar_t* face_data,
                           const int64_t* face_offsets, const int32_t* entry_tiles, int64_t* offsets);

// Shades every pixel (ForwardArgs); tile_entries from bin_faces; stats (kStatsSize) or null;
// fills cache's records when not null (alpha-only Euclidean renders only; offsets from
// pair_cache_offsets).
template <typename scalar_t>
void forward(const SoftRasterParams& p, const Options& options, const ForwardArgs<scalar_t>& args,
             const int64_t* tile_entries, const PairCache* cache, int64_t* stats);

// Gradients args.grad_vertices and args.grad_colors (either may be null), zeroed here and
// written face by face: deterministic whatever the number of threads. cache: the
// forward's PairCache or null (then every pair is evaluated again); same results.
template <typename scalar_t>
void backward(const SoftRasterParams& p, const Options& options, const BackwardArgs<scalar_t>& args,
              const PairCache* cache);

// Whether this file was compiled with OpenMP.
bool compiled_with_openmp();
// omp_get_max_threads() (1 without OpenMP).
int openmp_max_threads();

}  // namespace cpu
}  // namespace softrecon
