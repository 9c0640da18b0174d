// Parameters and argument structs of the NMR renderer (Kato et al. 2018; docs/METHOD.md
// section 9), shared by the CPU and CUDA back ends. Plain data only (no torch, no CUDA
// types). Each op takes ONE argument struct, filled once by the torch op (csrc/torch/
// nmr_op.cpp) and passed whole, by value, to every loop and kernel.
#pragma once

#include <cstdint>

#include "soft_raster_params.h"  // SR_HOST_DEVICE, SR_INLINE

namespace softrecon {

// What the NMR ops read besides the tensors; softrecon/renderer/nmr/_kernels.py fills the
// first block from NmrSettings, the op completes the rest from the tensors.
struct NmrParams {
  int32_t height = 0;           // H
  int32_t width = 0;            // W
  double near = 1.0;            // a face's depth at a pixel must lie in [near, far]
  double far = 100.0;
  bool double_sided = false;    // back faces show colour too
  bool emulate_cuda = false;    // run the CUDA kernels on the host (CPU tensors)
  int32_t batch_size = 0;       // N (set by the op)
  int32_t num_faces = 0;        // F (set by the op)
  int32_t num_channels = 0;     // C, 0 for alpha only (set by the op)
  int32_t texture_res = 0;      // R of R x R surface textures, 0 for per-vertex colours (set by the op)

  SR_HOST_DEVICE int color_samples() const { return texture_res > 0 ? texture_res * texture_res : 3; }
  SR_HOST_DEVICE int64_t num_pixels() const { return int64_t(height) * width; }
  SR_HOST_DEVICE int64_t num_entries() const { return int64_t(batch_size) * num_faces; }
};

// The forward: one work item per pixel (N H W). Layouts are row-major, as the tensors.
template <typename scalar_t>
struct NmrForwardArgs {
  NmrParams p;
  const scalar_t* face_vertices = nullptr;  // (N, F, 3, 3): x, y NDC, z depth
  const scalar_t* colors = nullptr;         // (N, F, K, C), or null for alpha only
  const scalar_t* background = nullptr;     // (C,)
  scalar_t* image = nullptr;                // (N, C + 1, H, W): colours, then alpha
  int64_t* alpha_face = nullptr;            // (N, H, W): nearest covering face, -1 none
  int64_t* color_face = nullptr;            // (N, H, W): nearest covering face that shows colour, -1 none
  scalar_t* color_inv_depth = nullptr;      // (N, H, W): 1 / depth of color_face there, 0 none
};

// The backward: one work item per face (N F), each writing its own gradient slots only
// (no atomics: bit-identical results run to run and between the back ends).
template <typename scalar_t>
struct NmrBackwardArgs {
  NmrParams p;
  const scalar_t* face_vertices = nullptr;    // (N, F, 3, 3)
  const scalar_t* colors = nullptr;           // (N, F, K, C) or null
  const scalar_t* image = nullptr;            // (N, C + 1, H, W): the forward's
  const int64_t* alpha_face = nullptr;        // (N, H, W): the forward's
  const int64_t* color_face = nullptr;        // (N, H, W)
  const scalar_t* color_inv_depth = nullptr;  // (N, H, W)
  const scalar_t* grad_image = nullptr;       // (N, C + 1, H, W): dL/dimage
  scalar_t* grad_vertices = nullptr;          // (N, F, 3, 3), zeroed by the caller; z stays 0
  scalar_t* grad_colors = nullptr;            // (N, F, K, C), zeroed by the caller, or null
};

}  // namespace softrecon
