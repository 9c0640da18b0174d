// Torch-facing forward/backward of the soft rasterizer for CPU and CUDA tensors:
// input checks (ValueError naming the argument), allocation, binning, and calls into
// the back ends of csrc/cpu/ and csrc/cuda/.
#pragma once

#include <torch/extension.h>

#include <vector>

#include "../common/soft_raster_params.h"

namespace softrecon {

// Returns {image (N, C+1, H, W), aux (N, 3, H, W), winner (N, H, W) int32 or empty,
//          face_data (N*F, 32), face_offsets (N*F+1) int64, entry_tiles (E) int32,
//          the PairCache pair_offsets (E+1) int64 and pair_code (P) uint8 (both empty
//          unless params.cache_pairs on the CPU for an alpha-only Euclidean render and
//          P under 1 Gi records),
//          stats (3) int64 on the CPU: pairs listed, pairs in box, threads used (CUDA and
//          params.emulate_cuda: zeros)}.
// face_colors may be an empty tensor (alpha only); background has 1 or C values.
std::vector<at::Tensor> rasterize_forward(SoftRasterParams params, const at::Tensor& face_vertices,
                                          const at::Tensor& face_colors, const at::Tensor& background);

// Returns {grad_face_vertices or undefined, grad_face_colors or undefined}.
std::vector<at::Tensor> rasterize_backward(SoftRasterParams params, const at::Tensor& grad_image,
                                           const at::Tensor& face_vertices, const at::Tensor& face_colors,
                                           const at::Tensor& image, const at::Tensor& aux, const at::Tensor& winner,
                                           const at::Tensor& face_data, const at::Tensor& face_offsets,
                                           const at::Tensor& entry_tiles, const at::Tensor& pair_offsets,
                                           const at::Tensor& pair_code, bool need_vertex_grad, bool need_colour_grad);

}  // namespace softrecon
