// Host launchers of the CUDA back end (plain pointers + params + stream; no torch), so
// that soft_raster_kernels.cu compiles with nvcc against the CUDA runtime only.
// Layouts and entry conventions are those of csrc/cpu/soft_raster_cpu.h, except that
// the tile-major lists are sorted by the caller (a stable sort by entry key).
//
// Declared once per back end, in namespace softrecon::SR_KERNELS_NS: `cuda` (nvcc, the
// device) and `emulated` (the same kernel source compiled as host C++ through
// emulation.h). Hence no include guard: define SR_KERNELS_NS and make cudaError_t and
// cudaStream_t visible in that namespace (the CUDA runtime API, or emulated_runtime.h)
// before each inclusion.
#include <cstdint>

#include "../common/soft_raster_params.h"

#ifndef SR_KERNELS_NS
#error "define SR_KERNELS_NS (cuda or emulated) before including soft_raster_kernels.h"
#endif

namespace softrecon {
namespace SR_KERNELS_NS {

// The launchers as one type, so that the torch orchestration (soft_raster_op.cpp) is a
// template over the back end. Each returns the launch's error (asynchronous errors of the
// device show up at the next synchronisation, as for any CUDA kernel).
struct Kernels {
  using Error = cudaError_t;
  using Stream = cudaStream_t;

  static bool ok(Error error) { return error == cudaSuccess; }
  static const char* error_string(Error error);

  // Face records (N * F, kFaceStride) and tile counts (N * F).
  template <typename scalar_t>
  static Error setup_faces(const SoftRasterParams& p, const scalar_t* face_vertices, scalar_t* face_data,
                           int64_t* tile_counts, Stream stream);

  // Face-major entries: entry_tiles (E) tile index, entry_faces (E) face f within its image,
  // entry_keys (E) sort key n * num_tiles + tile.
  template <typename scalar_t>
  static Error fill_entries(const SoftRasterParams& p, const scalar_t* face_data, const int64_t* face_offsets,
                            int32_t* entry_tiles, int32_t* entry_faces, int64_t* entry_keys, Stream stream);

  // One thread per pixel; image, aux, winner (or null) as in soft_raster_passes.h.
  template <typename scalar_t>
  static Error forward(const SoftRasterParams& p, const scalar_t* face_data, const scalar_t* colors,
                       const scalar_t* background, const int64_t* tile_offsets, const int32_t* tile_faces,
                       scalar_t* image, scalar_t* aux, int32_t* winner, Stream stream);

  // One thread per entry, writing its own slot of entry_grad (E, 9 + K C); then one thread
  // per face summing its entries in order into grad_v (N, F, 3, 3) and grad_c (N, F, K, C)
  // (either may be null). No atomics: the result is bit-identical run to run.
  template <typename scalar_t>
  static Error backward(const SoftRasterParams& p, const scalar_t* face_data, const scalar_t* colors,
                        const scalar_t* image, const scalar_t* aux, const int32_t* winner, const scalar_t* grad_image,
                        const int64_t* face_offsets, const int32_t* entry_tiles, const int32_t* entry_faces,
                        int64_t num_entries, scalar_t* entry_grad, scalar_t* grad_v, scalar_t* grad_c,
                        Stream stream);
};

}  // namespace SR_KERNELS_NS
}  // namespace softrecon
