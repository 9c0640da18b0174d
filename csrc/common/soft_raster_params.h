// Parameters of the soft rasterizer shared by the CPU and CUDA back ends.
//
// Plain data only (no torch, no CUDA types): filled once from
// softrecon.renderer.RasterSettings (the field list SR_RASTER_PARAMS_FIELDS) and completed by
// the torch op, then passed whole to every kernel.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define SR_HOST_DEVICE __host__ __device__
// Per-pair functions are always inlined into the loops: called out of line (through the
// PLT of the shared library) they cost a call and force the sample through memory.
#define SR_INLINE __forceinline__
#else
#define SR_HOST_DEVICE
#define SR_INLINE inline __attribute__((always_inline))
#endif

// After a chain of compares over every value of a mode list: the binding accepts only
// listed values (bindings.cpp), so control never gets here.
#define SR_UNREACHABLE() __builtin_unreachable()

namespace softrecon {

// The modes of the rasterizer, one entry each: X(Name, value, "PYTHON_NAME", extra...),
// the extra arguments passed through from the list's own (for the dispatchers). Each list
// gives its enum here, the names softrecon._C exports (bindings.cpp; test_kernel_boundary.py
// checks them against Python) and the dispatch to the mode's own struct, which holds all
// of that mode's math: <Name>Distance (soft_raster_distances.h), <Name>Cdf
// (soft_raster_cdfs.h), <Name>Tconorm (soft_raster_tconorms.h). A new mode is one line
// here, one struct there, and its twin in the Python module of the same family.
//
// Per-face coverage D_j(p): softrecon/renderer/distances.py DistFunc.
#define SR_DIST_FUNCS(X, ...) \
  X(Euclidean, 0, "EUCLIDEAN", __VA_ARGS__) X(Barycentric, 1, "BARYCENTRIC", __VA_ARGS__) X(Hard, 2, "HARD", __VA_ARGS__)
// D_j = F(x) of the signed scaled distance x: softrecon/renderer/cdfs.py DistCDF.
#define SR_DIST_CDFS(X, ...)                                                                 \
  X(Logistic, 0, "LOGISTIC", __VA_ARGS__) X(Gaussian, 1, "GAUSSIAN", __VA_ARGS__) X(Laplace, 2, "LAPLACE", __VA_ARGS__) \
      X(Cauchy, 3, "CAUCHY", __VA_ARGS__) X(GumbelMax, 4, "GUMBEL_MAX", __VA_ARGS__) X(GumbelMin, 5, "GUMBEL_MIN", __VA_ARGS__) \
      X(Uniform, 6, "UNIFORM", __VA_ARGS__) X(CubicHermite, 7, "CUBIC_HERMITE", __VA_ARGS__)                             \
      X(WignerSemicircle, 8, "WIGNER_SEMICIRCLE", __VA_ARGS__) X(Gudermannian, 9, "GUDERMANNIAN", __VA_ARGS__)            \
      X(Reciprocal, 10, "RECIPROCAL", __VA_ARGS__) X(Exponential, 11, "EXPONENTIAL", __VA_ARGS__)                         \
      X(ExponentialRev, 12, "EXPONENTIAL_REV", __VA_ARGS__) X(Gamma, 13, "GAMMA", __VA_ARGS__)                            \
      X(GammaRev, 14, "GAMMA_REV", __VA_ARGS__) X(Levy, 15, "LEVY", __VA_ARGS__) X(LevyRev, 16, "LEVY_REV", __VA_ARGS__)
// Alpha aggregation (the T-conorms): softrecon/renderer/tconorms.py AggrAlpha.
#define SR_AGGR_ALPHAS(X, ...)                                                                        \
  X(Prod, 0, "PROD", __VA_ARGS__) X(Sum, 1, "SUM", __VA_ARGS__) X(Hard, 2, "HARD", __VA_ARGS__) X(Max, 3, "MAX", __VA_ARGS__) \
      X(Einstein, 4, "EINSTEIN", __VA_ARGS__) X(Hamacher, 5, "HAMACHER", __VA_ARGS__) X(Frank, 6, "FRANK", __VA_ARGS__) \
      X(Yager, 7, "YAGER", __VA_ARGS__) X(AczelAlsina, 8, "ACZEL_ALSINA", __VA_ARGS__) X(Dombi, 9, "DOMBI", __VA_ARGS__)  \
      X(SchweizerSklar, 10, "SCHWEIZER_SKLAR", __VA_ARGS__)
// Color aggregation: softrecon/renderer/settings.py AggrRGB (no per-mode struct: two
// modes, both in PixelAccumulator).
#define SR_AGGR_RGBS(X, ...) X(Softmax, 0, "SOFTMAX", __VA_ARGS__) X(Hard, 1, "HARD", __VA_ARGS__)

#define SR_ENUM_MEMBER(name, value, python_name, ...) name = value,
enum class DistFunc : int32_t { SR_DIST_FUNCS(SR_ENUM_MEMBER, ) };
enum class DistCDF : int32_t { SR_DIST_CDFS(SR_ENUM_MEMBER, ) };
enum class AggrAlpha : int32_t { SR_AGGR_ALPHAS(SR_ENUM_MEMBER, ) };
enum class AggrRGB : int32_t { SR_AGGR_RGBS(SR_ENUM_MEMBER, ) };
#undef SR_ENUM_MEMBER

// Counts of the geometry, named once: a face has 3 vertices (and 3 edges, 3 barycentrics)
// of 3 scalars each (x, y in NDC, z depth): face_vertices is (N, F, kFaceVertices,
// kVertexScalars) and a face's vertex gradient kFaceVertexScalars values.
constexpr int kFaceVertices = 3;
constexpr int kVertexScalars = 3;
constexpr int kFaceVertexScalars = kFaceVertices * kVertexScalars;
// Color samples per face of per-vertex colors (face_colors (N, F, 3, C)); a surface texture
// of resolution R has R * R (3 is not a square, so the two never meet).
constexpr int kVertexColorSamples = kFaceVertices;
// Scalars per face record in face_data (layout: FaceField in soft_raster_face.h).
constexpr int kFaceRecordSize = 32;
// Per-pixel values the forward saves for the backward (layout: AuxField in soft_raster_passes.h).
constexpr int kAuxRecordSize = 3;

// Edge length, in pixels, of the square tiles the CPU back end bins faces into (16 measured
// ~6% faster than 8 on the paper-train benchmark: fewer entries, same evaluated pairs).
constexpr int kCpuTileSize = 16;
// Edge length, in pixels, of the square tiles the CUDA back end bins faces into.
constexpr int kCudaTileSize = 16;

// The parameters that come from softrecon.renderer.RasterSettings, one entry each:
// X(type, name, default, "settings_attribute"): the struct's field (SoftRasterParams
// below), its pybind11 property (bindings.cpp: read-write, enums as their int value and
// checked against their mode list) and the module attribute softrecon._C.RASTER_PARAMS_FIELDS,
// {field: attribute of RasterSettings holding its value}, from which
// softrecon.renderer._kernels._params fills the struct (test_kernel_boundary.py checks
// that every attribute exists and arrives). Nothing else lists them.
//   height, width          image rows and columns
//   sigma                  blur of the coverage sigmoid, squared NDC units
//   gamma                  temperature of the depth softmax
//   cutoff_squared         -sigma F^-1(dist_eps): outside this d^2 a face is absent
//   near, far              the depth range that contributes
//   background_eps         background softmax exponent: w_b = exp(background_eps / gamma) (SoftRas: eps)
//   dist_func              per-face coverage D_j(p)
//   dist_cdf               D_j = F(x) of the signed scaled distance x
//   aggr_alpha, aggr_rgb   alpha and color aggregations
//   dist_squared           x = +-d^2 / sigma (true) or +-d / sigma (false)
//   dist_shape             the gamma CDFs' shape a
//   dist_log_gamma_shape   lgamma(dist_shape), computed once in Python
//   dist_shift             the one-sided CDFs' shift, in units of x
//   tconorm_p              the parametrised T-conorms' parameter (Hamacher's lambda, ...)
//   double_sided           whether back faces contribute color
#define SR_RASTER_PARAMS_FIELDS(X)                                   \
  X(int32_t, height, 0, "height")                                     \
  X(int32_t, width, 0, "width")                                       \
  X(double, sigma, 1e-4, "sigma")                                     \
  X(double, gamma, 1e-4, "gamma")                                     \
  X(double, cutoff_squared, 0.0, "cutoff_squared")                    \
  X(double, near, 1.0, "near")                                        \
  X(double, far, 100.0, "far")                                        \
  X(double, background_eps, 1e-3, "background_eps")                   \
  X(DistFunc, dist_func, DistFunc::Euclidean, "dist_func")            \
  X(DistCDF, dist_cdf, DistCDF::Logistic, "dist_cdf")                 \
  X(AggrAlpha, aggr_alpha, AggrAlpha::Prod, "aggr_alpha")             \
  X(AggrRGB, aggr_rgb, AggrRGB::Softmax, "aggr_rgb")                  \
  X(bool, dist_squared, true, "dist_squared")                         \
  X(double, dist_shape, 2.0, "dist_shape")                            \
  X(double, dist_log_gamma_shape, 0.0, "dist_log_gamma_shape")        \
  X(double, dist_shift, 0.0, "cdf_shift")                             \
  X(double, tconorm_p, 0.0, "aggr_alpha_parameter")                   \
  X(bool, double_sided, false, "double_sided")

// What every kernel of both back ends reads: the settings (above) and the sizes the torch
// op completes from the tensors. Plain data, filled once per call and passed whole (by
// value to the CUDA kernels). What only one back end or the tests need lives elsewhere:
// the CPU's threads and loop choices in cpu::Options (soft_raster_cpu.h), the choice of
// the CUDA emulation in the binding (softrecon._C.emulated_forward / emulated_backward).
struct SoftRasterParams {
#define SR_DECLARE_PARAM(type, name, default_value, settings_attribute) type name = default_value;
  SR_RASTER_PARAMS_FIELDS(SR_DECLARE_PARAM)
#undef SR_DECLARE_PARAM
  // Completed by the torch op (soft_raster_op.cpp complete_params):
  int32_t batch_size = 0;      // N: images in the batch
  int32_t num_faces = 0;       // F: faces per image (padding faces included)
  int32_t num_channels = 0;    // C: color channels (0 = alpha only)
  int32_t texture_res = 0;     // R of per-face R x R surface textures; 0: per-vertex colors
  int32_t num_background = 1;  // values in the background color: 1 or C
  int32_t tile_size = kCpuTileSize;  // tile edge in pixels: kCpuTileSize or kCudaTileSize, by back end

  // Color samples per face: R * R texels, or kVertexColorSamples vertex colors.
  SR_HOST_DEVICE int color_samples() const { return texture_res > 0 ? texture_res * texture_res : kVertexColorSamples; }
  // Scalars of one face's colors: color_samples() * C.
  SR_HOST_DEVICE int face_color_size() const { return color_samples() * num_channels; }
  SR_HOST_DEVICE int tiles_x() const { return (width + tile_size - 1) / tile_size; }
  SR_HOST_DEVICE int tiles_y() const { return (height + tile_size - 1) / tile_size; }
  SR_HOST_DEVICE int num_tiles() const { return tiles_x() * tiles_y(); }
};

}  // namespace softrecon
