// CPU loops of the NMR renderer: the bodies are csrc/common/nmr_passes.h's, the work
// items independent (a pixel, a face), so the results do not depend on the schedule.
#include "nmr_cpu.h"

#include "../common/nmr_passes.h"

namespace softrecon {
namespace cpu {

template <typename scalar_t>
void nmr_forward(const NmrForwardArgs<scalar_t>& args) {
  const int64_t count = args.p.batch_size * args.p.num_pixels();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) nmr_shade_pixel(args, i);
}

template <typename scalar_t>
void nmr_backward(const NmrBackwardArgs<scalar_t>& args) {
  const int64_t count = args.p.num_entries();
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < count; ++i) nmr_face_backward(args, i);
}

template void nmr_forward<float>(const NmrForwardArgs<float>&);
template void nmr_forward<double>(const NmrForwardArgs<double>&);
template void nmr_backward<float>(const NmrBackwardArgs<float>&);
template void nmr_backward<double>(const NmrBackwardArgs<double>&);

}  // namespace cpu
}  // namespace softrecon
