// Torch ops of the NMR renderer: one orchestration for every back end. The argument
// structs are filled here, once, and handed whole to the CPU loops (csrc/cpu/nmr_cpu.cpp),
// the CUDA kernels (csrc/cuda/nmr_kernels.cu) or their host emulation
// (params.emulate_cuda on CPU tensors).
#include "nmr_op.h"

#include <cmath>

#include "../cpu/nmr_cpu.h"
#include "../cuda/emulated_runtime.h"
#define SR_KERNELS_NS emulated
#include "../cuda/nmr_kernels.h"
#undef SR_KERNELS_NS

#ifdef WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#define SR_KERNELS_NS cuda
#include "../cuda/nmr_kernels.h"
#undef SR_KERNELS_NS
#endif

namespace softrecon {

namespace {

void check_like(const at::Tensor& t, const char* name, const at::Tensor& like) {
  TORCH_CHECK_VALUE(t.defined(), name, " must be a tensor");
  TORCH_CHECK_VALUE(t.device() == like.device(), name, " must be on ", like.device(), ", got ", t.device());
  TORCH_CHECK_VALUE(t.scalar_type() == like.scalar_type(), name, " must have dtype ", like.scalar_type(), ", got ",
                    t.scalar_type());
}

void check_shape(const at::Tensor& t, const char* name, at::IntArrayRef shape) {
  TORCH_CHECK_VALUE(t.sizes() == shape, name, " must have shape ", shape, ", got ", t.sizes());
}

// Completes params from the tensors and checks them.
void complete_params(NmrParams& p, const at::Tensor& face_vertices, const at::Tensor& face_colors) {
  TORCH_CHECK_VALUE(face_vertices.dim() == 4 && face_vertices.size(2) == 3 && face_vertices.size(3) == 3,
                    "face_vertices must have shape (N, F, 3, 3), got ", face_vertices.sizes());
  TORCH_CHECK_VALUE(face_vertices.scalar_type() == at::kFloat || face_vertices.scalar_type() == at::kDouble,
                    "face_vertices must be float32 or float64, got ", face_vertices.scalar_type());
  TORCH_CHECK_VALUE(face_vertices.size(0) * face_vertices.size(1) <= INT32_MAX,
                    "face_vertices has too many faces (N * F must fit in int32): ", face_vertices.sizes());
  TORCH_CHECK_VALUE(p.height >= 1 && p.width >= 1, "params.height and params.width must be >= 1, got ", p.height,
                    " x ", p.width);
  TORCH_CHECK_VALUE(!(p.emulate_cuda && face_vertices.is_cuda()),
                    "params.emulate_cuda runs the CUDA kernels on the host: face_vertices must be on the CPU, got ",
                    face_vertices.device());
  p.batch_size = int32_t(face_vertices.size(0));
  p.num_faces = int32_t(face_vertices.size(1));
  p.num_channels = 0;
  p.texture_res = 0;
  if (face_colors.numel() > 0 || face_colors.dim() == 4) {
    check_like(face_colors, "face_colors", face_vertices);
    TORCH_CHECK_VALUE(face_colors.dim() == 4 && face_colors.size(0) == p.batch_size &&
                          face_colors.size(1) == p.num_faces && face_colors.size(3) >= 1,
                      "face_colors must have shape (N, F, K, C) = (", p.batch_size, ", ", p.num_faces,
                      ", K, C), got ", face_colors.sizes());
    const int64_t samples = face_colors.size(2);
    const int64_t resolution = std::llround(std::sqrt(double(samples)));
    TORCH_CHECK_VALUE(samples == 3 || (samples >= 1 && resolution * resolution == samples),
                      "face_colors must have 3 (per-vertex colors) or R * R (surface texture) samples per face, got ",
                      samples);
    p.texture_res = samples == 3 ? 0 : int32_t(resolution);
    p.num_channels = int32_t(face_colors.size(3));
  }
}

template <typename Kernels>
void check_launch(typename Kernels::Error error, const char* what) {
  TORCH_CHECK(Kernels::ok(error), "softrecon NMR CUDA kernel ", what, " failed: ", Kernels::error_string(error));
}

// Calls fn(NmrKernels-like back end tag) for the tensors' device: 0 CPU, 1 emulated, 2 CUDA.
int back_end(const NmrParams& p, const at::Tensor& face_vertices) {
  if (face_vertices.is_cuda()) {
#ifdef WITH_CUDA
    return 2;
#else
    TORCH_CHECK_VALUE(false, "softrecon._C was built without CUDA; rebuild with a CUDA torch (or FORCE_CUDA=1)");
#endif
  }
  TORCH_CHECK_VALUE(face_vertices.is_cpu(), "face_vertices must be on the CPU or a CUDA device, got ",
                    face_vertices.device());
  return p.emulate_cuda ? 1 : 0;
}

}  // namespace

std::vector<at::Tensor> nmr_forward(NmrParams p, const at::Tensor& face_vertices_in, const at::Tensor& face_colors_in,
                                    const at::Tensor& background_in) {
  const at::Tensor face_vertices = face_vertices_in.contiguous();
  complete_params(p, face_vertices, face_colors_in);
  const at::Tensor face_colors = p.num_channels > 0 ? face_colors_in.contiguous() : face_colors_in;
  at::Tensor background = background_in;
  if (p.num_channels > 0) {
    check_like(background_in, "background", face_vertices);
    check_shape(background_in, "background", {p.num_channels});
    background = background_in.contiguous();
  }
  const auto opts = face_vertices.options();
  at::Tensor image = at::empty({p.batch_size, p.num_channels + 1, p.height, p.width}, opts);
  at::Tensor alpha_face = at::empty({p.batch_size, p.height, p.width}, opts.dtype(at::kLong));
  at::Tensor color_face = at::empty({p.batch_size, p.height, p.width}, opts.dtype(at::kLong));
  at::Tensor color_inv_depth = at::empty({p.batch_size, p.height, p.width}, opts);
  const int where = back_end(p, face_vertices);
  AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "nmr_forward", [&] {
    NmrForwardArgs<scalar_t> args;
    args.p = p;
    args.face_vertices = face_vertices.data_ptr<scalar_t>();
    args.colors = p.num_channels > 0 ? face_colors.data_ptr<scalar_t>() : nullptr;
    args.background = p.num_channels > 0 ? background.data_ptr<scalar_t>() : nullptr;
    args.image = image.data_ptr<scalar_t>();
    args.alpha_face = alpha_face.data_ptr<int64_t>();
    args.color_face = color_face.data_ptr<int64_t>();
    args.color_inv_depth = color_inv_depth.data_ptr<scalar_t>();
    if (where == 0) {
      cpu::nmr_forward(args);
    } else if (where == 1) {
      check_launch<emulated::NmrKernels>(emulated::NmrKernels::forward(args, nullptr), "forward (emulated)");
    } else {
#ifdef WITH_CUDA
      const c10::cuda::CUDAGuard guard(face_vertices.device());
      check_launch<cuda::NmrKernels>(cuda::NmrKernels::forward(args, c10::cuda::getCurrentCUDAStream()), "forward");
#endif
    }
  });
  return {image, alpha_face, color_face, color_inv_depth};
}

std::vector<at::Tensor> nmr_backward(NmrParams p, const at::Tensor& face_vertices_in, const at::Tensor& face_colors_in,
                                     const at::Tensor& image_in, const at::Tensor& alpha_face_in,
                                     const at::Tensor& color_face_in, const at::Tensor& color_inv_depth_in,
                                     const at::Tensor& grad_image_in) {
  const at::Tensor face_vertices = face_vertices_in.contiguous();
  complete_params(p, face_vertices, face_colors_in);
  const at::Tensor face_colors = p.num_channels > 0 ? face_colors_in.contiguous() : face_colors_in;
  const std::vector<int64_t> image_shape = {p.batch_size, p.num_channels + 1, p.height, p.width};
  const std::vector<int64_t> map_shape = {p.batch_size, p.height, p.width};
  check_like(image_in, "image", face_vertices);
  check_shape(image_in, "image", image_shape);
  check_like(grad_image_in, "grad_image", face_vertices);
  check_shape(grad_image_in, "grad_image", image_shape);
  check_like(color_inv_depth_in, "color_inv_depth", face_vertices);
  check_shape(color_inv_depth_in, "color_inv_depth", map_shape);
  for (const auto& [tensor, name] : {std::pair{&alpha_face_in, "alpha_face"}, std::pair{&color_face_in, "color_face"}}) {
    TORCH_CHECK_VALUE(tensor->scalar_type() == at::kLong && tensor->device() == face_vertices.device(), name,
                      " must be int64 on ", face_vertices.device(), ", got ", tensor->scalar_type(), " on ",
                      tensor->device());
    check_shape(*tensor, name, map_shape);
  }
  const at::Tensor image = image_in.contiguous(), grad_image = grad_image_in.contiguous();
  const at::Tensor alpha_face = alpha_face_in.contiguous(), color_face = color_face_in.contiguous();
  const at::Tensor color_inv_depth = color_inv_depth_in.contiguous();
  at::Tensor grad_vertices = at::zeros_like(face_vertices);
  at::Tensor grad_colors = p.num_channels > 0 ? at::zeros_like(face_colors) : at::empty({0}, face_vertices.options());
  const int where = back_end(p, face_vertices);
  AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "nmr_backward", [&] {
    NmrBackwardArgs<scalar_t> args;
    args.p = p;
    args.face_vertices = face_vertices.data_ptr<scalar_t>();
    args.colors = p.num_channels > 0 ? face_colors.data_ptr<scalar_t>() : nullptr;
    args.image = image.data_ptr<scalar_t>();
    args.alpha_face = alpha_face.data_ptr<int64_t>();
    args.color_face = color_face.data_ptr<int64_t>();
    args.color_inv_depth = color_inv_depth.data_ptr<scalar_t>();
    args.grad_image = grad_image.data_ptr<scalar_t>();
    args.grad_vertices = grad_vertices.data_ptr<scalar_t>();
    args.grad_colors = p.num_channels > 0 ? grad_colors.data_ptr<scalar_t>() : nullptr;
    if (where == 0) {
      cpu::nmr_backward(args);
    } else if (where == 1) {
      check_launch<emulated::NmrKernels>(emulated::NmrKernels::backward(args, nullptr), "backward (emulated)");
    } else {
#ifdef WITH_CUDA
      const c10::cuda::CUDAGuard guard(face_vertices.device());
      check_launch<cuda::NmrKernels>(cuda::NmrKernels::backward(args, c10::cuda::getCurrentCUDAStream()),
                                     "backward");
#endif
    }
  });
  return {grad_vertices, grad_colors};
}

}  // namespace softrecon
