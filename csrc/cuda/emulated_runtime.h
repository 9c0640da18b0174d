// The part of the CUDA runtime API that csrc/cuda/soft_raster_kernels.cu uses, executed on
// the host: launch configurations (dim3), the built-in index variables, error codes and a
// launch helper that runs a kernel for every (block, thread) of its grid, one after the
// other, on the calling thread.
//
// Exact for kernels without shared memory, barriers, warp intrinsics or atomics (each
// thread then depends only on its indices and global memory, so any order of the threads
// is a valid schedule); emulation.h makes a kernel that uses shared memory or
// __syncthreads fail to compile. Everything lives in namespace softrecon::emulated, so it
// can sit beside the real CUDA runtime in one translation unit (soft_raster_op.cpp).
// No macros here: the CUDA keywords are defined by emulation.h, for the kernel source only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace softrecon {
namespace emulated {

// The CUDA runtime's codes for the errors a launch can report (same values).
enum cudaError_t : int { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorInvalidConfiguration = 9 };
using cudaStream_t = void*;  // ignored: launches run synchronously, in order

struct uint3 {
  unsigned x, y, z;
};

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};

// Limits of every CUDA device of compute capability 3.0 and later: an emulated launch
// fails where a real one would.
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr unsigned kMaxBlockDim[3] = {1024, 1024, 64};
constexpr uint64_t kMaxGridDim[3] = {0x7fffffffu, 65535, 65535};

// The built-in variables of the running (emulated) thread.
inline thread_local uint3 blockIdx{0, 0, 0};
inline thread_local uint3 threadIdx{0, 0, 0};
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;
// What the next cudaGetLastError returns (sticky until read, as in CUDA).
inline thread_local cudaError_t last_error = cudaSuccess;

inline cudaError_t cudaGetLastError() {
  const cudaError_t error = last_error;
  last_error = cudaSuccess;
  return error;
}

inline const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess:
      return "no error (emulated)";
    case cudaErrorInvalidValue:
      return "invalid argument (emulated)";
    case cudaErrorInvalidConfiguration:
      return "invalid configuration argument (emulated launch exceeds a CUDA grid or block limit)";
  }
  return "unknown error (emulated)";
}

// Whether CUDA would accept the launch configuration.
inline bool valid_launch(const dim3& grid, const dim3& block) {
  const unsigned block_dims[3] = {block.x, block.y, block.z};
  const uint64_t grid_dims[3] = {grid.x, grid.y, grid.z};
  for (int d = 0; d < 3; ++d) {
    if (block_dims[d] == 0 || block_dims[d] > kMaxBlockDim[d] || grid_dims[d] == 0 || grid_dims[d] > kMaxGridDim[d])
      return false;
  }
  return uint64_t(block.x) * block.y * block.z <= kMaxThreadsPerBlock;
}

// A kernel bound to its launch configuration; calling it with the kernel's arguments runs
// every thread of every block (blocks in x, y, z order, threads likewise). The arguments
// are taken by value once, as a CUDA launch copies them.
template <typename... Params>
struct Launch {
  void (*kernel)(Params...);
  dim3 grid, block;

  void operator()(Params... args) const {
    if (kernel == nullptr) return;  // refused by launch(); the error is set
    if (!valid_launch(grid, block)) {
      last_error = cudaErrorInvalidConfiguration;
      return;
    }
    gridDim = grid;
    blockDim = block;
    for (unsigned bz = 0; bz < grid.z; ++bz)
      for (unsigned by = 0; by < grid.y; ++by)
        for (unsigned bx = 0; bx < grid.x; ++bx) {
          blockIdx = {bx, by, bz};
          for (unsigned tz = 0; tz < block.z; ++tz)
            for (unsigned ty = 0; ty < block.y; ++ty)
              for (unsigned tx = 0; tx < block.x; ++tx) {
                threadIdx = {tx, ty, tz};
                kernel(args...);
              }
        }
  }
};

// launch(kernel, grid, block, shared_bytes, stream)(args...): the host counterpart of
// kernel<<<grid, block, shared_bytes, stream>>>(args...). Dynamic shared memory is refused.
template <typename... Params>
Launch<Params...> launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t) {
  if (shared_bytes != 0) {
    last_error = cudaErrorInvalidValue;
    return {nullptr, grid, block};
  }
  return {kernel, grid, block};
}

}  // namespace emulated
}  // namespace softrecon
