// The NMR renderer's torch ops (docs/METHOD.md section 9): input checks (ValueError naming
// the argument), allocation, the one argument struct per op, and the call into a back end
// (CPU loops, CUDA kernels, or the CUDA kernels emulated on the host).
#pragma once

#include <torch/extension.h>

#include <vector>

#include "../common/nmr_params.h"

namespace softrecon {

// -> {image (N, C + 1, H, W), alpha_face (N, H, W) int64, color_face (N, H, W) int64,
// color_inv_depth (N, H, W)}. face_colors may be an empty tensor (alpha only);
// background has C values.
std::vector<at::Tensor> nmr_forward(NmrParams params, const at::Tensor& face_vertices, const at::Tensor& face_colors,
                                    const at::Tensor& background);

// -> {grad_face_vertices (N, F, 3, 3) (z zero), grad_face_colors (N, F, K, C) or an
// empty tensor}. The other tensors: the forward's inputs and outputs, unchanged.
std::vector<at::Tensor> nmr_backward(NmrParams params, const at::Tensor& face_vertices, const at::Tensor& face_colors,
                                     const at::Tensor& image, const at::Tensor& alpha_face,
                                     const at::Tensor& color_face, const at::Tensor& color_inv_depth,
                                     const at::Tensor& grad_image);

}  // namespace softrecon
