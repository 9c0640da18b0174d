// CPU back end: OpenMP loops over tiles (forward) and faces (backward) around the
// shared bodies of csrc/common/soft_raster_passes.h.
#include "soft_raster_cpu.h"

#include <algorithm>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "../common/soft_raster_passes.h"

namespace softrecon {
namespace cpu {

namespace {

int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

}  // namespace

bool compiled_with_openmp() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

int openmp_max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

template <typename scalar_t>
void setup_faces(const SoftRasterParams& p, const scalar_t* face_vertices, scalar_t* face_data, int64_t* tile_counts) {
  const int64_t total = int64_t(p.batch_size) * p.num_faces;
#pragma omp parallel for schedule(static) num_threads(p.num_threads)
  for (int64_t i = 0; i < total; ++i) {
    scalar_t* fd = face_data + i * kFaceStride;
    setup_face(p, face_vertices + i * 9, fd);
    tile_counts[i] = face_tile_range(p, fd).count();
  }
}

template <typename scalar_t>
void bin_faces(const SoftRasterParams& p, const scalar_t* face_data, const int64_t* face_offsets, int32_t* entry_tiles,
               int64_t* tile_offsets, int32_t* tile_faces) {
  const int64_t total = int64_t(p.batch_size) * p.num_faces;
  const int num_tiles = p.num_tiles();
#pragma omp parallel for schedule(static) num_threads(p.num_threads)
  for (int64_t i = 0; i < total; ++i) {
    const TileRange range = face_tile_range(p, face_data + i * kFaceStride);
    const int count = range.count();
    for (int k = 0; k < count; ++k) entry_tiles[face_offsets[i] + k] = tile_of_range(p, range, k);
  }
  // Stable counting sort by tile, one image at a time: faces stay ascending per tile.
#pragma omp parallel for schedule(dynamic, 1) num_threads(p.num_threads)
  for (int n = 0; n < p.batch_size; ++n) {
    const int64_t first = face_offsets[int64_t(n) * p.num_faces];
    const int64_t last = face_offsets[int64_t(n + 1) * p.num_faces];
    int64_t* offsets = tile_offsets + int64_t(n) * num_tiles;
    std::vector<int64_t> counts(num_tiles + 1, 0);
    for (int64_t e = first; e < last; ++e) ++counts[entry_tiles[e] + 1];
    for (int t = 0; t < num_tiles; ++t) counts[t + 1] += counts[t];
    for (int t = 0; t < num_tiles; ++t) offsets[t] = first + counts[t];
    for (int f = 0; f < p.num_faces; ++f) {
      const int64_t face = int64_t(n) * p.num_faces + f;
      for (int64_t e = face_offsets[face]; e < face_offsets[face + 1]; ++e)
        tile_faces[first + counts[entry_tiles[e]]++] = f;
    }
  }
  tile_offsets[int64_t(p.batch_size) * num_tiles] = face_offsets[total];
}

template <typename scalar_t>
void forward(const SoftRasterParams& p, const scalar_t* face_data, const scalar_t* colours, const scalar_t* background,
             const int64_t* tile_offsets, const int32_t* tile_faces, scalar_t* image, scalar_t* aux, int32_t* winner,
             int64_t* stats) {
  const int num_tiles = p.num_tiles();
  const int64_t work = int64_t(p.batch_size) * num_tiles;
  int64_t listed = 0, in_box = 0;
  std::vector<char> used(std::max(p.num_threads, 1), 0);
#pragma omp parallel for schedule(dynamic, 4) num_threads(p.num_threads) reduction(+ : listed, in_box)
  for (int64_t item = 0; item < work; ++item) {
    const int n = int(item / num_tiles), tile = int(item % num_tiles);
    const int row0 = (tile / p.tiles_x()) * p.tile_size, col0 = (tile % p.tiles_x()) * p.tile_size;
    const int row1 = std::min(row0 + p.tile_size, p.height), col1 = std::min(col0 + p.tile_size, p.width);
    const int64_t begin = tile_offsets[item], end = tile_offsets[item + 1];
    for (int row = row0; row < row1; ++row)
      for (int col = col0; col < col1; ++col)
        in_box += shade_pixel(p, face_data, colours, background, tile_faces, begin, end, n, row, col, image, aux,
                              winner);
    listed += (end - begin) * (row1 - row0) * (col1 - col0);
    used[std::min(thread_id(), int(used.size()) - 1)] = 1;
  }
  if (stats != nullptr) {
    stats[kStatsPairsListed] = listed;
    stats[kStatsPairsInBox] = in_box;
    stats[kStatsThreadsUsed] = std::count(used.begin(), used.end(), char(1));
  }
}

template <typename scalar_t>
void backward(const SoftRasterParams& p, const scalar_t* face_data, const scalar_t* colours, const scalar_t* image,
              const scalar_t* aux, const int32_t* winner, const scalar_t* grad_image, const int64_t* face_offsets,
              const int32_t* entry_tiles, scalar_t* grad_v, scalar_t* grad_c) {
  const int64_t total = int64_t(p.batch_size) * p.num_faces;
  const int colour_size = 3 * p.num_channels;
  // Each face owns its gradient slots and visits its entries in order: no atomics, and
  // the same sums in the same order whatever the thread count.
#pragma omp parallel for schedule(dynamic, 16) num_threads(p.num_threads)
  for (int64_t i = 0; i < total; ++i) {
    scalar_t* gv = grad_v != nullptr ? grad_v + i * 9 : nullptr;
    scalar_t* gc = grad_c != nullptr ? grad_c + i * colour_size : nullptr;
    if (gv != nullptr) std::fill(gv, gv + 9, scalar_t(0));
    if (gc != nullptr) std::fill(gc, gc + colour_size, scalar_t(0));
    const int n = int(i / p.num_faces), f = int(i % p.num_faces);
    for (int64_t e = face_offsets[i]; e < face_offsets[i + 1]; ++e)
      backward_entry(p, face_data, colours, image, aux, winner, grad_image, n, f, entry_tiles[e], gv, gc);
  }
}

#define SOFTRECON_INSTANTIATE(scalar_t)                                                                               \
  template void setup_faces<scalar_t>(const SoftRasterParams&, const scalar_t*, scalar_t*, int64_t*);                 \
  template void bin_faces<scalar_t>(const SoftRasterParams&, const scalar_t*, const int64_t*, int32_t*, int64_t*,     \
                                    int32_t*);                                                                        \
  template void forward<scalar_t>(const SoftRasterParams&, const scalar_t*, const scalar_t*, const scalar_t*,         \
                                  const int64_t*, const int32_t*, scalar_t*, scalar_t*, int32_t*, int64_t*);          \
  template void backward<scalar_t>(const SoftRasterParams&, const scalar_t*, const scalar_t*, const scalar_t*,        \
                                   const scalar_t*, const int32_t*, const scalar_t*, const int64_t*, const int32_t*,  \
                                   scalar_t*, scalar_t*);
SOFTRECON_INSTANTIATE(float)
SOFTRECON_INSTANTIATE(double)
#undef SOFTRECON_INSTANTIATE

}  // namespace cpu
}  // namespace softrecon
