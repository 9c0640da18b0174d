// Host launchers of the CUDA back end (plain pointers + params + stream; no torch), so
// that soft_raster_kernels.cu compiles with nvcc against the CUDA runtime only.
// Layouts and entry conventions are those of csrc/cpu/soft_raster_cpu.h, except that
// the tile-major lists are sorted by the caller (a stable sort by entry key).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "../common/soft_raster_params.h"

namespace softrecon {
namespace cuda {

// Face records (N * F, kFaceStride) and tile counts (N * F).
template <typename scalar_t>
cudaError_t launch_setup_faces(const SoftRasterParams& p, const scalar_t* face_vertices, scalar_t* face_data,
                               int64_t* tile_counts, cudaStream_t stream);

// Face-major entries: entry_tiles (E) tile index, entry_faces (E) global face n * F + f,
// entry_keys (E) sort key n * num_tiles + tile.
template <typename scalar_t>
cudaError_t launch_fill_entries(const SoftRasterParams& p, const scalar_t* face_data, const int64_t* face_offsets,
                                int32_t* entry_tiles, int32_t* entry_faces, int64_t* entry_keys,
                                cudaStream_t stream);

// One thread per pixel; image, aux, winner (or null) as in soft_raster_passes.h.
template <typename scalar_t>
cudaError_t launch_forward(const SoftRasterParams& p, const scalar_t* face_data, const scalar_t* colours,
                           const scalar_t* background, const int64_t* tile_offsets, const int32_t* tile_faces,
                           scalar_t* image, scalar_t* aux, int32_t* winner, cudaStream_t stream);

// One thread per entry, writing its own slot of entry_grad (E, 9 + 3C); then one thread
// per face summing its entries in order into grad_v (N, F, 3, 3) and grad_c (N, F, 3, C)
// (either may be null). No atomics: the result is bit-identical run to run.
template <typename scalar_t>
cudaError_t launch_backward(const SoftRasterParams& p, const scalar_t* face_data, const scalar_t* colours,
                            const scalar_t* image, const scalar_t* aux, const int32_t* winner,
                            const scalar_t* grad_image, const int64_t* face_offsets, const int32_t* entry_tiles,
                            const int32_t* entry_faces, int64_t num_entries, scalar_t* entry_grad, scalar_t* grad_v,
                            scalar_t* grad_c, cudaStream_t stream);

}  // namespace cuda
}  // namespace softrecon
