// Compiles CUDA kernel source as host C++: include this, then the .cu file (see
// soft_raster_kernels_emulated.cpp). The CUDA function qualifiers become nothing, the
// kernels and their launchers land in namespace softrecon::emulated (SR_KERNELS_NS), and
// SR_LAUNCH(kernel, grid, block, stream)(args...) runs the launch on the host
// (emulated_runtime.h) where nvcc would use kernel<<<grid, block, 0, stream>>>(args...).
//
// The emulation is exact only for kernels whose threads do not cooperate: shared memory
// and __syncthreads are defined so that using them is a compile error here (warp
// intrinsics and atomics are simply not provided, so they fail to compile too). A kernel
// that needs them needs a different emulation, not a quiet wrong answer.
#pragma once

#if defined(__CUDACC__)
#error "emulation.h compiles CUDA kernels as host C++; it must not be used under nvcc"
#endif
#if defined(__CUDA_RUNTIME_H__) || defined(__CUDA_RUNTIME_API_H__)
#error "emulation.h must not share a translation unit with the real CUDA runtime headers"
#endif

#include "emulated_runtime.h"

#define SOFTRECON_CUDA_EMULATION 1
#define SR_KERNELS_NS emulated
#define SR_LAUNCH(kernel, grid, block, stream) ::softrecon::emulated::launch(kernel, grid, block, 0, stream)

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __shared__ \
  static_assert(sizeof(char) == 0, "softrecon CUDA emulation: __shared__ memory cannot be emulated thread by thread");
#define __syncthreads() \
  static_assert(sizeof(char) == 0, "softrecon CUDA emulation: __syncthreads cannot be emulated thread by thread")
