// Host launchers of the NMR renderer's CUDA kernels (csrc/cuda/nmr_kernels.cu): one
// argument struct per op (csrc/common/nmr_params.h), plus the stream; no torch.
//
// Declared once per back end, in namespace softrecon::SR_KERNELS_NS: `cuda` (nvcc, the
// device) and `emulated` (the same source compiled as host C++ through emulation.h), as
// soft_raster_kernels.h. Hence no include guard: define SR_KERNELS_NS and make
// cudaError_t and cudaStream_t visible in that namespace before each inclusion.
#include "../common/nmr_params.h"

#ifndef SR_KERNELS_NS
#error "define SR_KERNELS_NS (cuda or emulated) before including nmr_kernels.h"
#endif

namespace softrecon {
namespace SR_KERNELS_NS {

struct NmrKernels {
  using Error = cudaError_t;
  using Stream = cudaStream_t;

  static bool ok(Error error) { return error == cudaSuccess; }
  static const char* error_string(Error error);

  // One thread per pixel (N H W): nmr_shade_pixel.
  template <typename scalar_t>
  static Error forward(const NmrForwardArgs<scalar_t>& args, Stream stream);

  // One thread per face (N F): nmr_face_backward, each into its own slots (no atomics).
  template <typename scalar_t>
  static Error backward(const NmrBackwardArgs<scalar_t>& args, Stream stream);
};

}  // namespace SR_KERNELS_NS
}  // namespace softrecon
