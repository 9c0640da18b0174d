// CUDA kernels of the NMR renderer (docs/METHOD.md section 9): one thread per pixel
// (forward) or per face (backward), each running a body of csrc/common/nmr_passes.h, the
// argument struct passed whole by value. No shared memory, barriers, warp intrinsics or
// atomics, so that the same source also compiles as host C++ (nmr_kernels_emulated.cpp
// through emulation.h) and runs thread by thread on the CPU in the default tests.
#if !defined(SOFTRECON_CUDA_EMULATION)
#include <cuda_runtime.h>
#define SR_KERNELS_NS cuda
#define SR_LAUNCH(kernel, grid, block, stream) kernel<<<(grid), (block), 0, (stream)>>>
#endif

#include "../common/nmr_passes.h"
#include "nmr_kernels.h"

namespace softrecon {
namespace SR_KERNELS_NS {

namespace {

// Threads per block.
constexpr int kNmrThreadsPerBlock = 256;

inline unsigned nmr_blocks_for(int64_t count) {
  return unsigned((count + kNmrThreadsPerBlock - 1) / kNmrThreadsPerBlock);
}

template <typename scalar_t>
__global__ void nmr_forward_kernel(const NmrForwardArgs<scalar_t> args) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= args.p.batch_size * args.p.num_pixels()) return;
  nmr_shade_pixel(args, i);
}

template <typename scalar_t>
__global__ void nmr_backward_kernel(const NmrBackwardArgs<scalar_t> args) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= args.p.num_entries()) return;
  nmr_face_backward(args, i);
}

}  // namespace

const char* NmrKernels::error_string(Error error) { return cudaGetErrorString(error); }

template <typename scalar_t>
NmrKernels::Error NmrKernels::forward(const NmrForwardArgs<scalar_t>& args, Stream stream) {
  const int64_t count = args.p.batch_size * args.p.num_pixels();
  if (count == 0) return cudaSuccess;
  SR_LAUNCH(nmr_forward_kernel<scalar_t>, nmr_blocks_for(count), kNmrThreadsPerBlock, stream)(args);
  return cudaGetLastError();
}

template <typename scalar_t>
NmrKernels::Error NmrKernels::backward(const NmrBackwardArgs<scalar_t>& args, Stream stream) {
  const int64_t count = args.p.num_entries();
  if (count == 0) return cudaSuccess;
  SR_LAUNCH(nmr_backward_kernel<scalar_t>, nmr_blocks_for(count), kNmrThreadsPerBlock, stream)(args);
  return cudaGetLastError();
}

template NmrKernels::Error NmrKernels::forward<float>(const NmrForwardArgs<float>&, Stream);
template NmrKernels::Error NmrKernels::forward<double>(const NmrForwardArgs<double>&, Stream);
template NmrKernels::Error NmrKernels::backward<float>(const NmrBackwardArgs<float>&, Stream);
template NmrKernels::Error NmrKernels::backward<double>(const NmrBackwardArgs<double>&, Stream);

}  // namespace SR_KERNELS_NS
}  // namespace softrecon
