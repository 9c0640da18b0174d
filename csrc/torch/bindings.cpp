// Python module softrecon._C: the parameter struct and the forward/backward entry points.
#include <torch/extension.h>

#include "../cpu/soft_raster_cpu.h"
#include "soft_raster_op.h"

namespace py = pybind11;
using softrecon::ForwardState;
using softrecon::SoftRasterParams;

namespace {

template <typename Enum>
Enum enum_from_int(int value, int count, const char* name) {
  if (value < 0 || value >= count)
    throw std::invalid_argument(std::string("RasterParams.") + name + " must be in [0, " + std::to_string(count) +
                                "), got " + std::to_string(value));
  return static_cast<Enum>(value);
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.doc() = "Compiled soft rasterizer kernels (CPU with OpenMP; CUDA when built with it)";
  py::class_<SoftRasterParams>(m, "RasterParams")
      .def(py::init<>())
      .def_readwrite("height", &SoftRasterParams::height)
      .def_readwrite("width", &SoftRasterParams::width)
      .def_readwrite("sigma", &SoftRasterParams::sigma)
      .def_readwrite("gamma", &SoftRasterParams::gamma)
      .def_readwrite("cutoff_squared", &SoftRasterParams::cutoff_squared)
      .def_readwrite("near", &SoftRasterParams::near)
      .def_readwrite("far", &SoftRasterParams::far)
      .def_readwrite("eps", &SoftRasterParams::eps)
      .def_readwrite("double_sided", &SoftRasterParams::double_sided)
      .def_readwrite("pixel_major", &SoftRasterParams::pixel_major)
      .def_readwrite("cache_pairs", &SoftRasterParams::cache_pairs)
      .def_readwrite("emulate_cuda", &SoftRasterParams::emulate_cuda)
      .def_property(
          "dist_func", [](const SoftRasterParams& p) { return int(p.dist_func); },
          [](SoftRasterParams& p, int v) { p.dist_func = enum_from_int<softrecon::DistFunc>(v, 3, "dist_func"); })
      .def_property(
          "dist_cdf", [](const SoftRasterParams& p) { return int(p.dist_cdf); },
          [](SoftRasterParams& p, int v) { p.dist_cdf = enum_from_int<softrecon::DistCDF>(v, 6, "dist_cdf"); })
      .def_property(
          "aggr_alpha", [](const SoftRasterParams& p) { return int(p.aggr_alpha); },
          [](SoftRasterParams& p, int v) { p.aggr_alpha = enum_from_int<softrecon::AggrAlpha>(v, 6, "aggr_alpha"); })
      .def_property(
          "aggr_rgb", [](const SoftRasterParams& p) { return int(p.aggr_rgb); },
          [](SoftRasterParams& p, int v) { p.aggr_rgb = enum_from_int<softrecon::AggrRGB>(v, 2, "aggr_rgb"); });
  // The forward state crosses the binding as a list of tensors in the order of
  // FORWARD_STATE_FIELDS (softrecon.renderer._kernels.ForwardState on the Python side).
  m.attr("FORWARD_STATE_FIELDS") = py::tuple(py::cast(ForwardState::field_names()));
  m.def(
      "forward",
      [](const SoftRasterParams& params, const at::Tensor& face_vertices, const at::Tensor& face_colors,
         const at::Tensor& background) {
        return softrecon::rasterize_forward(params, face_vertices, face_colors, background).to_list();
      },
      py::arg("params"), py::arg("face_vertices"), py::arg("face_colors"), py::arg("background"),
      "-> the forward state: tensors named by FORWARD_STATE_FIELDS, in that order; see csrc/torch/soft_raster_op.h");
  m.def(
      "backward",
      [](const SoftRasterParams& params, const at::Tensor& grad_image, const at::Tensor& face_vertices,
         const at::Tensor& face_colors, const std::vector<at::Tensor>& state, bool need_vertex_grad,
         bool need_colour_grad) {
        return softrecon::rasterize_backward(params, grad_image, face_vertices, face_colors,
                                             ForwardState::from_list(state), need_vertex_grad, need_colour_grad);
      },
      py::arg("params"), py::arg("grad_image"), py::arg("face_vertices"), py::arg("face_colors"), py::arg("state"),
      py::arg("need_vertex_grad"), py::arg("need_colour_grad"),
      "state: forward's tensors, unchanged -> [grad_face_vertices or None, grad_face_colors or None]");
  m.def("compiled_with_openmp", &softrecon::cpu::compiled_with_openmp);
  m.def("openmp_max_threads", &softrecon::cpu::openmp_max_threads);
#ifdef WITH_CUDA
  m.attr("with_cuda") = true;
#else
  m.attr("with_cuda") = false;
#endif
  m.attr("cpu_tile_size") = softrecon::kCpuTileSize;
  m.attr("cuda_tile_size") = softrecon::kCudaTileSize;
}
