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
void setup_faces(const SoftRasterParams& p, const Options& options, const SetupArgs<scalar_t>& args) {
  const int64_t total = int64_t(p.batch_size) * p.num_faces;
#pragma omp parallel for schedule(static) num_threads(options.num_threads)
  for (int64_t i = 0; i < total; ++i) {
    scalar_t* fd = args.face_data + i * kFaceStride;
    setup_face(p, args.face_vertices + i * kFaceVertexScalars, fd);
    args.tile_counts[i] = face_tile_range(p, fd).count();
  }
}

template <typename scalar_t>
void bin_faces(const SoftRasterParams& p, const Options& options, const scalar_t* face_data,
               const int64_t* face_offsets, int32_t* entry_tiles, int64_t* tile_offsets, int32_t* tile_faces,
               int64_t* tile_entries) {
  const int64_t total = int64_t(p.batch_size) * p.num_faces;
  const int num_tiles = p.num_tiles();
#pragma omp parallel for schedule(static) num_threads(options.num_threads)
  for (int64_t i = 0; i < total; ++i) {
    const TileRange range = face_tile_range(p, face_data + i * kFaceStride);
    const int count = range.count();
    for (int k = 0; k < count; ++k) entry_tiles[face_offsets[i] + k] = tile_of_range(p, range, k);
  }
  // Stable counting sort by tile, one image at a time: faces stay ascending per tile.
#pragma omp parallel for schedule(dynamic, 1) num_threads(options.num_threads)
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
      for (int64_t e = face_offsets[face]; e < face_offsets[face + 1]; ++e) {
        const int64_t slot = first + counts[entry_tiles[e]]++;
        tile_faces[slot] = f;
        tile_entries[slot] = e;
      }
    }
  }
  tile_offsets[int64_t(p.batch_size) * num_tiles] = face_offsets[total];
}

// Adds face f (record fd, colors fc) to the accumulators of the pixels of its window w
// in the tile whose first row and column are row0, col0 (pixel centres xs, ys); with
// kCache, also writes the window's PairCache records from record on. One function per
// kCache value, out of line, so that each loop is compiled on its own.
template <typename scalar_t, bool kCache>
__attribute__((noinline)) void shade_window(const SoftRasterParams& p, const scalar_t* fd, const scalar_t* fc, int f,
                                            const PixelWindow& w, int row0, int col0, const scalar_t* xs,
                                            const scalar_t* ys, PixelAccumulator<scalar_t>* acc, scalar_t* image_out,
                                            int64_t plane, const PairCache* cache, int64_t record) {
  constexpr int kTile = kCpuTileSize;
  PairSample<scalar_t> s;
  for (int row = w.row0; row < w.row1; ++row)
    for (int col = w.col0; col < w.col1; ++col) {
      const bool contributes = eval_pair(p, fd, xs[col - col0], ys[row - row0], s);
      if (contributes)
        acc[(row - row0) * kTile + col - col0].add(p, fd, fc, f, s, image_out + int64_t(row) * p.width + col, plane);
      if (kCache) cache->code[record++] = contributes ? pair_code(s) : uint8_t(kPairAbsent);
    }
}

template <typename scalar_t>
int64_t pair_cache_offsets(const SoftRasterParams& p, const Options& options, const scalar_t* face_data,
                           const int64_t* face_offsets, const int32_t* entry_tiles, int64_t* offsets) {
  const int64_t total = int64_t(p.batch_size) * p.num_faces;
#pragma omp parallel for schedule(static) num_threads(options.num_threads)
  for (int64_t i = 0; i < total; ++i) {
    const scalar_t* fd = face_data + i * kFaceStride;
    for (int64_t e = face_offsets[i]; e < face_offsets[i + 1]; ++e) {
      const PixelWindow w = face_window_in_tile(p, fd, entry_tiles[e]);
      offsets[e + 1] = int64_t(std::max(w.row1 - w.row0, 0)) * std::max(w.col1 - w.col0, 0);
    }
  }
  const int64_t num_entries = face_offsets[total];
  offsets[0] = 0;
  for (int64_t e = 0; e < num_entries; ++e) offsets[e + 1] += offsets[e];
  return offsets[num_entries];
}

template <typename scalar_t>
void forward(const SoftRasterParams& p, const Options& options, const ForwardArgs<scalar_t>& args,
             const int64_t* tile_entries, const PairCache* cache, int64_t* stats) {
  const scalar_t* const face_data = args.face_data;
  const scalar_t* const colors = args.colors;
  const scalar_t* const background = args.background;
  const int64_t* const tile_offsets = args.tile_offsets;
  const int32_t* const tile_faces = args.tile_faces;
  scalar_t* const image = args.image;
  scalar_t* const aux = args.aux;
  int32_t* const winner = args.winner;
  constexpr int kTile = kCpuTileSize;
  const int num_tiles = p.num_tiles();
  const int C = p.num_channels;
  const int64_t plane = int64_t(p.height) * p.width;
  const int64_t work = int64_t(p.batch_size) * num_tiles;
  int64_t listed = 0, evaluated = 0;
  std::vector<char> used(std::max(options.num_threads, 1), 0);
  // Faces outer, pixels inner: each face visits only the pixels of its window in the
  // tile, and every pixel still sees its faces in ascending order.
#pragma omp parallel for schedule(dynamic, 4) num_threads(options.num_threads) reduction(+ : listed, evaluated)
  for (int64_t item = 0; item < work; ++item) {
    const int n = int(item / num_tiles), tile = int(item % num_tiles);
    const int row0 = (tile / p.tiles_x()) * kTile, col0 = (tile % p.tiles_x()) * kTile;
    const int rows = std::min(kTile, p.height - row0), cols = std::min(kTile, p.width - col0);
    scalar_t* image_out = image + int64_t(n) * (C + 1) * plane;
    const scalar_t* image_colors = C > 0 ? colors + int64_t(n) * p.num_faces * p.face_color_size() : nullptr;
    PixelAccumulator<scalar_t> acc[kTile * kTile];
    scalar_t xs[kTile], ys[kTile];
    for (int c = 0; c < cols; ++c) xs[c] = pixel_x<scalar_t>(p, col0 + c);
    for (int r = 0; r < rows; ++r) ys[r] = pixel_y<scalar_t>(p, row0 + r);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c)
        acc[r * kTile + c].init(p, background, image_out + int64_t(row0 + r) * p.width + col0 + c, plane);
    const int64_t begin = tile_offsets[item], end = tile_offsets[item + 1];
    listed += (end - begin) * rows * cols;
    used[std::min(thread_id(), int(used.size()) - 1)] = 1;
    if (options.pixel_major) {  // the CUDA back end's per-pixel body, run here so tests cover it
      for (int row = row0; row < row0 + rows; ++row)
        for (int col = col0; col < col0 + cols; ++col) shade_pixel(p, args, begin, end, n, row, col);
      continue;
    }
    for (int64_t i = begin; i < end; ++i) {
      const int f = tile_faces[i];
      const scalar_t* fd = face_data + (int64_t(n) * p.num_faces + f) * kFaceStride;
      const scalar_t* fc = C > 0 ? image_colors + int64_t(f) * p.face_color_size() : nullptr;
      const PixelWindow w = face_window_in_tile(p, fd, tile);
      evaluated += int64_t(std::max(w.row1 - w.row0, 0)) * std::max(w.col1 - w.col0, 0);
      if (cache == nullptr) {
        shade_window<scalar_t, false>(p, fd, fc, f, w, row0, col0, xs, ys, acc, image_out, plane, nullptr, 0);
      } else {
        shade_window<scalar_t, true>(p, fd, fc, f, w, row0, col0, xs, ys, acc, image_out, plane, cache,
                                     cache->offsets[tile_entries[i]]);
      }
    }
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const int64_t pixel = int64_t(row0 + r) * p.width + col0 + c;
        acc[r * kTile + c].finish(p, image_colors, background, image_out + pixel,
                                  aux + int64_t(n) * kAuxChannels * plane + pixel,
                                  winner != nullptr ? winner + int64_t(n) * plane + pixel : nullptr, plane);
      }
  }
  if (stats != nullptr) {
    stats[kStatsPairsListed] = listed;
    stats[kStatsPairsEvaluated] = evaluated;
    stats[kStatsThreadsUsed] = std::count(used.begin(), used.end(), char(1));
  }
}

template <typename scalar_t>
void backward(const SoftRasterParams& p, const Options& options, const BackwardArgs<scalar_t>& args,
              const PairCache* cache) {
  const int64_t total = int64_t(p.batch_size) * p.num_faces;
  const int color_size = p.face_color_size();
  // Each face owns its gradient slots and visits its entries in order: no atomics, and
  // the same sums in the same order whatever the thread count.
#pragma omp parallel for schedule(dynamic, 16) num_threads(options.num_threads)
  for (int64_t i = 0; i < total; ++i) {
    scalar_t* gv = args.grad_vertices != nullptr ? args.grad_vertices + i * kFaceVertexScalars : nullptr;
    scalar_t* gc = args.grad_colors != nullptr ? args.grad_colors + i * color_size : nullptr;
    if (gv != nullptr) std::fill(gv, gv + kFaceVertexScalars, scalar_t(0));
    if (gc != nullptr) std::fill(gc, gc + color_size, scalar_t(0));
    const int n = int(i / p.num_faces), f = int(i % p.num_faces);
    for (int64_t e = args.face_offsets[i]; e < args.face_offsets[i + 1]; ++e)
      backward_entry(p, args, n, f, args.entry_tiles[e], gv, gc, cache, e);
  }
}

#define SOFTRECON_INSTANTIATE(scalar_t)                                                                               \
  template void setup_faces<scalar_t>(const SoftRasterParams&, const Options&, const SetupArgs<scalar_t>&);           \
  template void bin_faces<scalar_t>(const SoftRasterParams&, const Options&, const scalar_t*, const int64_t*,         \
                                    int32_t*, int64_t*, int32_t*, int64_t*);                                          \
  template int64_t pair_cache_offsets<scalar_t>(const SoftRasterParams&, const Options&, const scalar_t*,             \
                                                const int64_t*, const int32_t*, int64_t*);                            \
  template void forward<scalar_t>(const SoftRasterParams&, const Options&, const ForwardArgs<scalar_t>&,              \
                                  const int64_t*, const PairCache*, int64_t*);                                        \
  template void backward<scalar_t>(const SoftRasterParams&, const Options&, const BackwardArgs<scalar_t>&,            \
                                   const PairCache*);
SOFTRECON_INSTANTIATE(float)
SOFTRECON_INSTANTIATE(double)
#undef SOFTRECON_INSTANTIATE

}  // namespace cpu
}  // namespace softrecon
