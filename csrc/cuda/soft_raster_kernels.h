// Host launchers of the CUDA back end (params + one argument struct per operation, from
// soft_raster_args.h, + stream; no torch), so
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

#include "../common/soft_raster_args.h"
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

  // Face records and tile counts (SetupArgs).
  template <typename scalar_t>
  static Error setup_faces(const SoftRasterParams& p, const SetupArgs<scalar_t>& args, Stream stream);

  // Face-major entries: entry_tiles (E) tile index, entry_faces (E) face f within its image,
  // entry_keys (E) sort key n * num_tiles + tile.
  template <typename scalar_t>
  static Error fill_entries(const SoftRasterParams& p, const scalar_t* face_data, const int64_t* face_offsets,
                            int32_t* entry_tiles, int32_t* entry_faces, int64_t* entry_keys, Stream stream);

  // One thread per pixel (ForwardArgs).
  template <typename scalar_t>
  static Error forward(const SoftRasterParams& p, const ForwardArgs<scalar_t>& args, Stream stream);

  // One thread per entry, writing its own slot of entry_grad (E, kFaceVertexScalars + K C);
  // then one thread per face summing its entries in order into args.grad_vertices and
  // args.grad_colors (either may be null). entry_faces (E): each entry's face slot n * F + f.
  // No atomics: the result is bit-identical run to run.
  template <typename scalar_t>
  static Error backward(const SoftRasterParams& p, const BackwardArgs<scalar_t>& args, const int32_t* entry_faces,
                        int64_t num_entries, scalar_t* entry_grad, Stream stream);
};

}  // namespace SR_KERNELS_NS
}  // namespace softrecon
