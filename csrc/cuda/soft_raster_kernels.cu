// CUDA back end: one thread per face (setup, binning, gradient reduction), per pixel
// (forward) or per (face, tile) entry (backward), each running a body from
// csrc/common/. Includes only the CUDA runtime and csrc/common headers, so that
// `nvcc -c` compiles it quickly and without torch.
//
// The same source is compiled a second time as host C++ (soft_raster_kernels_emulated.cpp
// through emulation.h) into namespace softrecon::emulated: every launch then runs thread
// by thread on the CPU, which the default tests use. Hence launches are written
// SR_LAUNCH(kernel, grid, block, stream)(args...), and kernels must not use shared memory,
// barriers, warp intrinsics or atomics (the emulation refuses to compile them).
#if !defined(SOFTRECON_CUDA_EMULATION)
#include <cuda_runtime.h>
#define SR_KERNELS_NS cuda
#define SR_LAUNCH(kernel, grid, block, stream) kernel<<<(grid), (block), 0, (stream)>>>
#endif

#include "../common/soft_raster_passes.h"
#include "soft_raster_kernels.h"

namespace softrecon {
namespace SR_KERNELS_NS {

namespace {

// Threads per block of the one-dimensional kernels.
constexpr int kThreadsPerBlock = 256;

inline unsigned blocks_for(int64_t count) { return unsigned((count + kThreadsPerBlock - 1) / kThreadsPerBlock); }

template <typename scalar_t>
__global__ void setup_faces_kernel(const SoftRasterParams p, const SetupArgs<scalar_t> args) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= int64_t(p.batch_size) * p.num_faces) return;
  scalar_t* fd = args.face_data + i * kFaceStride;
  setup_face(p, args.face_vertices + i * kFaceVertexScalars, fd);
  args.tile_counts[i] = face_tile_range(p, fd).count();
}

template <typename scalar_t>
__global__ void fill_entries_kernel(const SoftRasterParams p, const scalar_t* __restrict__ face_data,
                                    const int64_t* __restrict__ face_offsets, int32_t* __restrict__ entry_tiles,
                                    int32_t* __restrict__ entry_faces, int64_t* __restrict__ entry_keys) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= int64_t(p.batch_size) * p.num_faces) return;
  const TileRange range = face_tile_range(p, face_data + i * kFaceStride);
  const int count = range.count();
  const int64_t image_key = (i / p.num_faces) * p.num_tiles();
  const int32_t face = int32_t(i % p.num_faces);
  for (int k = 0; k < count; ++k) {
    const int tile = tile_of_range(p, range, k);
    entry_tiles[face_offsets[i] + k] = tile;
    entry_faces[face_offsets[i] + k] = face;
    entry_keys[face_offsets[i] + k] = image_key + tile;
  }
}

// One block per (image, tile) (blockIdx.x = n * num_tiles + tile), block (tile_size,
// tile_size): one thread per pixel.
template <typename scalar_t>
__global__ void forward_kernel(const SoftRasterParams p, const ForwardArgs<scalar_t> args) {
  const int64_t slot = blockIdx.x;
  const int n = int(slot / p.num_tiles()), tile = int(slot % p.num_tiles());
  const int col = (tile % p.tiles_x()) * p.tile_size + threadIdx.x;
  const int row = (tile / p.tiles_x()) * p.tile_size + threadIdx.y;
  if (row >= p.height || col >= p.width) return;
  shade_pixel(p, args, args.tile_offsets[slot], args.tile_offsets[slot + 1], n, row, col);
}

// One thread per entry: the entry's own gradient slot (kFaceVertexScalars + K C scalars,
// K color samples per face), no atomics.
template <typename scalar_t>
__global__ void backward_entries_kernel(const SoftRasterParams p, const BackwardArgs<scalar_t> args,
                                        const int32_t* __restrict__ entry_faces, int64_t num_entries,
                                        scalar_t* __restrict__ entry_grad) {
  const int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= num_entries) return;
  const int slot_size = kFaceVertexScalars + p.face_color_size();
  scalar_t* slot = entry_grad + e * slot_size;
  for (int k = 0; k < slot_size; ++k) slot[k] = scalar_t(0);
  const int face = entry_faces[e];
  backward_entry(p, args, face / p.num_faces, face % p.num_faces, args.entry_tiles[e],
                 args.grad_vertices != nullptr ? slot : nullptr,
                 args.grad_colors != nullptr ? slot + kFaceVertexScalars : nullptr);
}

// One thread per face: its entries' slots summed in entry order.
template <typename scalar_t>
__global__ void reduce_entries_kernel(const SoftRasterParams p, const BackwardArgs<scalar_t> args,
                                      const scalar_t* __restrict__ entry_grad) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= int64_t(p.batch_size) * p.num_faces) return;
  const int color_size = p.face_color_size(), slot_size = kFaceVertexScalars + color_size;
  const int64_t begin = args.face_offsets[i], end = args.face_offsets[i + 1];
  if (args.grad_vertices != nullptr) {
    for (int k = 0; k < kFaceVertexScalars; ++k) {
      scalar_t sum = scalar_t(0);
      for (int64_t e = begin; e < end; ++e) sum += entry_grad[e * slot_size + k];
      args.grad_vertices[i * kFaceVertexScalars + k] = sum;
    }
  }
  if (args.grad_colors != nullptr) {
    for (int k = 0; k < color_size; ++k) {
      scalar_t sum = scalar_t(0);
      for (int64_t e = begin; e < end; ++e) sum += entry_grad[e * slot_size + kFaceVertexScalars + k];
      args.grad_colors[i * color_size + k] = sum;
    }
  }
}

}  // namespace

const char* Kernels::error_string(cudaError_t error) { return cudaGetErrorString(error); }

template <typename scalar_t>
cudaError_t Kernels::setup_faces(const SoftRasterParams& p, const SetupArgs<scalar_t>& args, cudaStream_t stream) {
  const int64_t faces = int64_t(p.batch_size) * p.num_faces;
  if (faces == 0) return cudaSuccess;
  SR_LAUNCH(setup_faces_kernel<scalar_t>, blocks_for(faces), kThreadsPerBlock, stream)(p, args);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t Kernels::fill_entries(const SoftRasterParams& p, const scalar_t* face_data, const int64_t* face_offsets,
                                  int32_t* entry_tiles, int32_t* entry_faces, int64_t* entry_keys,
                                  cudaStream_t stream) {
  const int64_t faces = int64_t(p.batch_size) * p.num_faces;
  if (faces == 0) return cudaSuccess;
  SR_LAUNCH(fill_entries_kernel<scalar_t>, blocks_for(faces), kThreadsPerBlock, stream)(
      p, face_data, face_offsets, entry_tiles, entry_faces, entry_keys);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t Kernels::forward(const SoftRasterParams& p, const ForwardArgs<scalar_t>& args, cudaStream_t stream) {
  if (p.batch_size == 0) return cudaSuccess;
  const int64_t blocks = int64_t(p.batch_size) * p.num_tiles();
  if (blocks > int64_t(0x7fffffff)) return cudaErrorInvalidConfiguration;
  const dim3 grid(static_cast<unsigned>(blocks));
  const dim3 block(p.tile_size, p.tile_size);
  SR_LAUNCH(forward_kernel<scalar_t>, grid, block, stream)(p, args);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t Kernels::backward(const SoftRasterParams& p, const BackwardArgs<scalar_t>& args,
                              const int32_t* entry_faces, int64_t num_entries, scalar_t* entry_grad,
                              cudaStream_t stream) {
  const int64_t faces = int64_t(p.batch_size) * p.num_faces;
  if (num_entries > 0) {
    SR_LAUNCH(backward_entries_kernel<scalar_t>, blocks_for(num_entries), kThreadsPerBlock, stream)(
        p, args, entry_faces, num_entries, entry_grad);
    const cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return err;
  }
  if (faces == 0) return cudaSuccess;
  SR_LAUNCH(reduce_entries_kernel<scalar_t>, blocks_for(faces), kThreadsPerBlock, stream)(p, args, entry_grad);
  return cudaGetLastError();
}

#define SOFTRECON_INSTANTIATE(scalar_t)                                                                              \
  template cudaError_t Kernels::setup_faces<scalar_t>(const SoftRasterParams&, const SetupArgs<scalar_t>&,           \
                                                      cudaStream_t);                                                 \
  template cudaError_t Kernels::fill_entries<scalar_t>(const SoftRasterParams&, const scalar_t*, const int64_t*,     \
                                                       int32_t*, int32_t*, int64_t*, cudaStream_t);                  \
  template cudaError_t Kernels::forward<scalar_t>(const SoftRasterParams&, const ForwardArgs<scalar_t>&,             \
                                                  cudaStream_t);                                                     \
  template cudaError_t Kernels::backward<scalar_t>(const SoftRasterParams&, const BackwardArgs<scalar_t>&,           \
                                                   const int32_t*, int64_t, scalar_t*, cudaStream_t);
SOFTRECON_INSTANTIATE(float)
SOFTRECON_INSTANTIATE(double)
#undef SOFTRECON_INSTANTIATE

}  // namespace SR_KERNELS_NS
}  // namespace softrecon
