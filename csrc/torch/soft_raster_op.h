// Torch-facing forward/backward of the soft rasterizer for CPU and CUDA tensors:
// input checks (ValueError naming the argument), allocation, binning, and calls into
// the back ends of csrc/cpu/ and csrc/cuda/.
#pragma once

#include <torch/extension.h>

#include <string>
#include <vector>

#include "../common/soft_raster_params.h"

namespace softrecon {

// The forward's outputs, which are the state the backward reads. This list is the one
// source of the fields' names and order: the struct's members, the order of the tensors
// crossing the Python binding (forward returns them as a list in this order, backward
// takes that list back) and softrecon._C.FORWARD_STATE_FIELDS, against which the tests
// check softrecon.renderer._kernels.ForwardState.
//   image         (N, C+1, H, W)  color channels then alpha
//   aux           (N, 3, H, W)    per-pixel values the backward needs (AuxField)
//   winner        (N, H, W) int32 face shown by 'hard' color, -1 for none; empty otherwise
//   face_data     (N*F, 32)       face records (FaceField)
//   face_offsets  (N*F+1) int64   each face's first (face, tile) entry
//   entry_tiles   (E) int32       tile of each entry, face-major
//   pair_offsets  (E+1) int64     the PairCache: start of each entry's records, and
//   pair_code     (P) uint8       one PairCode per record; both empty unless
//                                 CpuKnobs::cache_pairs on the CPU for an alpha-only
//                                 Euclidean render with P under 1 Gi records
//   stats         (3) int64       CPU: pairs listed, pairs in box, threads used (StatsField;
//                                 CUDA and its emulation: zeros); not read by backward
#define SR_FORWARD_STATE_FIELDS(X) \
  X(image)                         \
  X(aux)                           \
  X(winner)                        \
  X(face_data)                     \
  X(face_offsets)                  \
  X(entry_tiles)                   \
  X(pair_offsets)                  \
  X(pair_code)                     \
  X(stats)

struct ForwardState {
#define SR_DECLARE_FIELD(name) at::Tensor name;
  SR_FORWARD_STATE_FIELDS(SR_DECLARE_FIELD)
#undef SR_DECLARE_FIELD

  // The field names, in order.
  static std::vector<std::string> field_names();
  // The tensors, in the order of field_names().
  std::vector<at::Tensor> to_list() const;
  // From tensors in the order of field_names() (ValueError naming the fields otherwise).
  static ForwardState from_list(const std::vector<at::Tensor>& tensors);
};

// Which kernels run: those of the tensors' device (the CPU kernel, or CUDA), or the CUDA
// kernels and orchestration emulated on the host, thread by thread (CPU tensors only;
// slow, for tests: softrecon._C.emulated_forward / emulated_backward).
enum class Backend { TensorDevice, EmulatedCuda };

// The CPU kernel's switches (ignored by CUDA and its emulation; not in SoftRasterParams).
struct CpuKnobs {
  bool cache_pairs = false;  // keep the PairCache for the backward (alpha-only Euclidean renders)
  bool pixel_major = false;  // shade with shade_pixel, the CUDA loop order (cpu::Options); for tests
};

// The forward. face_colors may be an empty tensor (alpha only); background has 1 or C
// values.
ForwardState rasterize_forward(SoftRasterParams params, const at::Tensor& face_vertices, const at::Tensor& face_colors,
                               const at::Tensor& background, Backend backend, const CpuKnobs& knobs);

// Returns {grad_face_vertices or undefined, grad_face_colors or undefined}. state: the
// forward's (same backend), unchanged.
std::vector<at::Tensor> rasterize_backward(SoftRasterParams params, const at::Tensor& grad_image,
                                           const at::Tensor& face_vertices, const at::Tensor& face_colors,
                                           const ForwardState& state, bool need_vertex_grad, bool need_color_grad,
                                           Backend backend);

}  // namespace softrecon
