// Python module softrecon._C: the parameter struct, the forward/backward entry points (and
// those of the CUDA emulation), and the C++ enums and layout constants as module attributes (tests/renderer/
// test_kernel_boundary.py checks them against softrecon.renderer's values).
#include <torch/extension.h>

#include <utility>

#include "../cpu/soft_raster_cpu.h"
#include "nmr_op.h"
#include "soft_raster_op.h"

namespace py = pybind11;
using softrecon::AggrAlpha;
using softrecon::Backend;
using softrecon::CpuKnobs;
using softrecon::AggrRGB;
using softrecon::DistCDF;
using softrecon::DistFunc;
using softrecon::ForwardState;
using softrecon::SoftRasterParams;

namespace {

// Python names of each enum's values (softrecon/renderer/ distances.py, cdfs.py,
// tconorms.py, settings.py): the module attributes DIST_FUNC, DIST_CDF, AGGR_ALPHA and
// AGGR_RGB, and the range RasterParams accepts. Generated from the mode lists of
// soft_raster_params.h: a value is one line there; nothing else lists them.
template <typename Enum>
using EnumNames = std::pair<const char*, Enum>;
#define SR_NAME_OF_DistFunc(name, value, python_name, ...) {python_name, DistFunc::name},
#define SR_NAME_OF_DistCDF(name, value, python_name, ...) {python_name, DistCDF::name},
#define SR_NAME_OF_AggrAlpha(name, value, python_name, ...) {python_name, AggrAlpha::name},
#define SR_NAME_OF_AggrRGB(name, value, python_name, ...) {python_name, AggrRGB::name},
constexpr EnumNames<DistFunc> kDistFuncNames[] = {SR_DIST_FUNCS(SR_NAME_OF_DistFunc, )};
constexpr EnumNames<DistCDF> kDistCDFNames[] = {SR_DIST_CDFS(SR_NAME_OF_DistCDF, )};
constexpr EnumNames<AggrAlpha> kAggrAlphaNames[] = {SR_AGGR_ALPHAS(SR_NAME_OF_AggrAlpha, )};
constexpr EnumNames<AggrRGB> kAggrRGBNames[] = {SR_AGGR_RGBS(SR_NAME_OF_AggrRGB, )};

// Layout of the face records (FaceField), by the names of its enumerators without kFace.
constexpr std::pair<const char*, int> kFaceFieldNames[] = {
    {"X", softrecon::kFaceX},
    {"Y", softrecon::kFaceY},
    {"Z", softrecon::kFaceZ},
    {"AREA2", softrecon::kFaceArea2},
    {"INV_AREA2", softrecon::kFaceInvArea2},
    {"X_MIN", softrecon::kFaceXMin},
    {"X_MAX", softrecon::kFaceXMax},
    {"Y_MIN", softrecon::kFaceYMin},
    {"Y_MAX", softrecon::kFaceYMax},
    {"VALID", softrecon::kFaceValid},
    {"FRONT", softrecon::kFaceFront},
    {"COL0", softrecon::kFaceCol0},
    {"COL1", softrecon::kFaceCol1},
    {"ROW0", softrecon::kFaceRow0},
    {"ROW1", softrecon::kFaceRow1},
    {"EDGE_DX", softrecon::kFaceEdgeDX},
    {"EDGE_DY", softrecon::kFaceEdgeDY},
    {"EDGE_LEN2", softrecon::kFaceEdgeLen2},
    {"DEPTH_SAFE", softrecon::kFaceDepthSafe},
    {"WELL_SHAPED", softrecon::kFaceWellShaped}};
constexpr std::pair<const char*, int> kAuxFieldNames[] = {{"ALPHA_STATE", softrecon::kAuxAlphaState},
                                                          {"SHIFT", softrecon::kAuxShift},
                                                          {"DENOMINATOR", softrecon::kAuxDenominator}};
constexpr std::pair<const char*, int> kStatsFieldNames[] = {
    {"PAIRS_LISTED", softrecon::cpu::kStatsPairsListed},
    {"PAIRS_EVALUATED", softrecon::cpu::kStatsPairsEvaluated},
    {"THREADS_USED", softrecon::cpu::kStatsThreadsUsed}};
constexpr std::pair<const char*, int> kPairCodeNames[] = {{"ABSENT", softrecon::kPairAbsent},
                                                          {"RECOMPUTE", softrecon::kPairRecompute},
                                                          {"OUTSIDE0", softrecon::kPairOutside0},
                                                          {"INSIDE0", softrecon::kPairInside0}};

// {name: int value} of a table above.
template <typename Value, size_t N>
py::dict as_dict(const std::pair<const char*, Value> (&table)[N]) {
  py::dict d;
  for (const auto& entry : table) d[entry.first] = int(entry.second);
  return d;
}

template <typename Enum, size_t N>
Enum enum_from_int(int value, const EnumNames<Enum> (&table)[N], const char* name) {
  for (const auto& entry : table)
    if (int(entry.second) == value) return entry.second;
  throw std::invalid_argument(std::string("RasterParams.") + name + " must be in [0, " + std::to_string(N) +
                              "), got " + std::to_string(value));
}

// RasterParams' property for each field of SR_RASTER_PARAMS_FIELDS: read-write, an enum as
// its int value (and only the values of its mode list).
template <typename T>
void bind_param(py::class_<SoftRasterParams>& cls, const char* name, T SoftRasterParams::*field) {
  cls.def_readwrite(name, field);
}

template <typename Enum, size_t N>
void bind_enum_param(py::class_<SoftRasterParams>& cls, const char* name, Enum SoftRasterParams::*field,
                     const EnumNames<Enum> (&table)[N]) {
  cls.def_property(
      name, [field](const SoftRasterParams& p) { return int(p.*field); },
      [field, name, &table](SoftRasterParams& p, int v) { p.*field = enum_from_int(v, table, name); });
}
void bind_param(py::class_<SoftRasterParams>& cls, const char* name, DistFunc SoftRasterParams::*field) {
  bind_enum_param(cls, name, field, kDistFuncNames);
}
void bind_param(py::class_<SoftRasterParams>& cls, const char* name, DistCDF SoftRasterParams::*field) {
  bind_enum_param(cls, name, field, kDistCDFNames);
}
void bind_param(py::class_<SoftRasterParams>& cls, const char* name, AggrAlpha SoftRasterParams::*field) {
  bind_enum_param(cls, name, field, kAggrAlphaNames);
}
void bind_param(py::class_<SoftRasterParams>& cls, const char* name, AggrRGB SoftRasterParams::*field) {
  bind_enum_param(cls, name, field, kAggrRGBNames);
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.doc() = "Compiled soft rasterizer kernels (CPU with OpenMP; CUDA when built with it)";
  // The parameters: one property per field of SR_RASTER_PARAMS_FIELDS (soft_raster_params.h),
  // and RASTER_PARAMS_FIELDS = {field: the RasterSettings attribute that holds its value},
  // in the list's order, from which softrecon.renderer._kernels._params fills them.
  py::class_<SoftRasterParams> raster_params(m, "RasterParams");
  raster_params.def(py::init<>());
  py::dict params_fields;
#define SR_BIND_PARAM(type, name, default_value, settings_attribute) \
  bind_param(raster_params, #name, &SoftRasterParams::name);        \
  params_fields[#name] = settings_attribute;
  SR_RASTER_PARAMS_FIELDS(SR_BIND_PARAM)
#undef SR_BIND_PARAM
  m.attr("RASTER_PARAMS_FIELDS") = params_fields;
  // The forward state crosses the binding as a list of tensors in the order of
  // FORWARD_STATE_FIELDS (softrecon.renderer._kernels.ForwardState on the Python side).
  m.attr("FORWARD_STATE_FIELDS") = py::tuple(py::cast(ForwardState::field_names()));
  m.def(
      "forward",
      [](const SoftRasterParams& params, const at::Tensor& face_vertices, const at::Tensor& face_colors,
         const at::Tensor& background, bool cache_pairs, bool pixel_major) {
        CpuKnobs knobs;
        knobs.cache_pairs = cache_pairs;
        knobs.pixel_major = pixel_major;
        return softrecon::rasterize_forward(params, face_vertices, face_colors, background, Backend::TensorDevice,
                                            knobs)
            .to_list();
      },
      py::arg("params"), py::arg("face_vertices"), py::arg("face_colors"), py::arg("background"),
      py::arg("cache_pairs") = false, py::arg("pixel_major") = false,
      "-> the forward state: tensors named by FORWARD_STATE_FIELDS, in that order; see csrc/torch/soft_raster_op.h. "
      "CPU only: cache_pairs keeps the pair cache for the backward (alpha-only Euclidean renders), pixel_major "
      "shades with the CUDA kernels' per-pixel body (for tests)");
  m.def(
      "backward",
      [](const SoftRasterParams& params, const at::Tensor& grad_image, const at::Tensor& face_vertices,
         const at::Tensor& face_colors, const std::vector<at::Tensor>& state, bool need_vertex_grad,
         bool need_color_grad) {
        return softrecon::rasterize_backward(params, grad_image, face_vertices, face_colors,
                                             ForwardState::from_list(state), need_vertex_grad, need_color_grad,
                                             Backend::TensorDevice);
      },
      py::arg("params"), py::arg("grad_image"), py::arg("face_vertices"), py::arg("face_colors"), py::arg("state"),
      py::arg("need_vertex_grad"), py::arg("need_color_grad"),
      "state: forward's tensors, unchanged -> [grad_face_vertices or None, grad_face_colors or None]");
  // The CUDA kernels and their orchestration, emulated thread by thread on the host (CPU
  // tensors; slow, for tests and debugging): the same contract as forward / backward.
  m.def(
      "emulated_forward",
      [](const SoftRasterParams& params, const at::Tensor& face_vertices, const at::Tensor& face_colors,
         const at::Tensor& background) {
        return softrecon::rasterize_forward(params, face_vertices, face_colors, background, Backend::EmulatedCuda,
                                            CpuKnobs())
            .to_list();
      },
      py::arg("params"), py::arg("face_vertices"), py::arg("face_colors"), py::arg("background"),
      "forward with the CUDA kernels emulated on the host (CPU tensors)");
  m.def(
      "emulated_backward",
      [](const SoftRasterParams& params, const at::Tensor& grad_image, const at::Tensor& face_vertices,
         const at::Tensor& face_colors, const std::vector<at::Tensor>& state, bool need_vertex_grad,
         bool need_color_grad) {
        return softrecon::rasterize_backward(params, grad_image, face_vertices, face_colors,
                                             ForwardState::from_list(state), need_vertex_grad, need_color_grad,
                                             Backend::EmulatedCuda);
      },
      py::arg("params"), py::arg("grad_image"), py::arg("face_vertices"), py::arg("face_colors"), py::arg("state"),
      py::arg("need_vertex_grad"), py::arg("need_color_grad"),
      "backward of emulated_forward's state with the CUDA kernels emulated on the host (CPU tensors)");
  // The NMR renderer (csrc/torch/nmr_op.h; softrecon/renderer/nmr/_kernels.py).
  py::class_<softrecon::NmrParams>(m, "NmrParams")
      .def(py::init<>())
      .def_readwrite("height", &softrecon::NmrParams::height)
      .def_readwrite("width", &softrecon::NmrParams::width)
      .def_readwrite("near", &softrecon::NmrParams::near)
      .def_readwrite("far", &softrecon::NmrParams::far)
      .def_readwrite("double_sided", &softrecon::NmrParams::double_sided)
      .def_readwrite("emulate_cuda", &softrecon::NmrParams::emulate_cuda);
  m.def("nmr_forward", &softrecon::nmr_forward, py::arg("params"), py::arg("face_vertices"), py::arg("face_colors"),
        py::arg("background"), "-> [image, alpha_face, color_face, color_inv_depth]");
  m.def("nmr_backward", &softrecon::nmr_backward, py::arg("params"), py::arg("face_vertices"),
        py::arg("face_colors"), py::arg("image"), py::arg("alpha_face"), py::arg("color_face"),
        py::arg("color_inv_depth"), py::arg("grad_image"), "-> [grad_face_vertices, grad_face_colors or empty]");
  m.def("compiled_with_openmp", &softrecon::cpu::compiled_with_openmp);
  m.def("openmp_max_threads", &softrecon::cpu::openmp_max_threads);
#ifdef WITH_CUDA
  m.attr("with_cuda") = true;
#else
  m.attr("with_cuda") = false;
#endif
  m.attr("cpu_tile_size") = softrecon::kCpuTileSize;
  m.attr("cuda_tile_size") = softrecon::kCudaTileSize;
  m.attr("FACE_VERTICES") = softrecon::kFaceVertices;
  m.attr("VERTEX_SCALARS") = softrecon::kVertexScalars;
  m.attr("VERTEX_COLOR_SAMPLES") = softrecon::kVertexColorSamples;
  // Enums: {settings.py name: value}.
  m.attr("DIST_FUNC") = as_dict(kDistFuncNames);
  m.attr("DIST_CDF") = as_dict(kDistCDFNames);
  m.attr("AGGR_ALPHA") = as_dict(kAggrAlphaNames);
  m.attr("AGGR_RGB") = as_dict(kAggrRGBNames);
  // Layouts of the forward state's tensors: {field: offset}.
  m.attr("FACE_RECORD_SIZE") = softrecon::kFaceRecordSize;
  m.attr("FACE_FIELDS") = as_dict(kFaceFieldNames);
  m.attr("AUX_RECORD_SIZE") = softrecon::kAuxRecordSize;
  m.attr("AUX_FIELDS") = as_dict(kAuxFieldNames);
  m.attr("STATS_FIELDS") = as_dict(kStatsFieldNames);
  m.attr("PAIR_CODES") = as_dict(kPairCodeNames);
  // Numbers softrecon/renderer/reference.py holds too.
  m.attr("MIN_DOUBLE_AREA") = softrecon::kMinDoubleArea;
  m.attr("MIN_VERTEX_DEPTH") = softrecon::kMinVertexDepth;
  m.attr("GUMBEL_EXPONENT_LIMIT") = softrecon::kGumbelExponentLimit;
  m.attr("GUMBEL_SMALL") = softrecon::kGumbelSmall;
}
