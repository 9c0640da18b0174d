// CPU back end of the NMR renderer (docs/METHOD.md section 9): OpenMP loops around the
// bodies of csrc/common/nmr_passes.h. Plain pointers, no torch; csrc/torch/nmr_op.cpp
// validates, allocates and fills the argument structs.
#pragma once

#include "../common/nmr_params.h"

namespace softrecon {
namespace cpu {

// One iteration per pixel (N H W): nmr_shade_pixel.
template <typename scalar_t>
void nmr_forward(const NmrForwardArgs<scalar_t>& args);

// One iteration per face (N F): nmr_face_backward, each into its own gradient slots.
template <typename scalar_t>
void nmr_backward(const NmrBackwardArgs<scalar_t>& args);

}  // namespace cpu
}  // namespace softrecon
