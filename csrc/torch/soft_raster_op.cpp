// One orchestration for both devices; only the loops behind it differ (csrc/cpu/ uses
// OpenMP and a counting sort, csrc/cuda/ kernels plus torch's stable sort). The CUDA
// orchestration is a template over the kernels' back end: the device (cuda::Kernels) or
// the same kernels emulated on the host (emulated::Kernels, params.emulate_cuda on CPU
// tensors), so that the tests run every line of it without a GPU.
#include "soft_raster_op.h"

#include <algorithm>
#include <cmath>

#include "../cpu/soft_raster_cpu.h"
#include "../cuda/emulated_runtime.h"
#define SR_KERNELS_NS emulated
#include "../cuda/soft_raster_kernels.h"
#undef SR_KERNELS_NS

#ifdef WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#define SR_KERNELS_NS cuda
#include "../cuda/soft_raster_kernels.h"
#undef SR_KERNELS_NS
#endif

namespace softrecon {

namespace {

// Fewest pixels (over the batch) per CPU thread.
constexpr int64_t kMinPixelsPerThread = 4096;
// Largest PairCache (bytes, one per record) the CPU forward keeps for the backward; beyond it the
// backward evaluates the pairs again (same results, more time, less memory).
constexpr int64_t kMaxPairCacheBytes = int64_t(1) << 30;

void check_tensor(const at::Tensor& t, const char* name, const at::Tensor& like) {
  TORCH_CHECK_VALUE(t.defined(), name, " must be a tensor");
  TORCH_CHECK_VALUE(t.device() == like.device(), name, " must be on ", like.device(), ", got ", t.device());
  TORCH_CHECK_VALUE(t.scalar_type() == like.scalar_type(), name, " must have dtype ", like.scalar_type(), ", got ",
                    t.scalar_type());
}

// Whether the forward saves each pixel's winning face (hard color aggregation).
bool keeps_winner(const SoftRasterParams& p) { return p.num_channels > 0 && p.aggr_rgb == AggrRGB::Hard; }

template <typename Kernels>
void check_launch(typename Kernels::Error err, const char* what) {
  TORCH_CHECK(Kernels::ok(err), "softrecon CUDA kernel ", what, " failed: ", Kernels::error_string(err));
}

// Completes params from the tensors and checks them.
void complete_params(SoftRasterParams& p, const at::Tensor& face_vertices, const at::Tensor& face_colors,
                     const at::Tensor& background, Backend backend) {
  TORCH_CHECK_VALUE(face_vertices.dim() == 4 && face_vertices.size(2) == kFaceVertices &&
                        face_vertices.size(3) == kVertexScalars,
                    "face_vertices must have shape (N, F, 3, 3), got ", face_vertices.sizes());
  TORCH_CHECK_VALUE(face_vertices.scalar_type() == at::kFloat || face_vertices.scalar_type() == at::kDouble,
                    "face_vertices must be float32 or float64, got ", face_vertices.scalar_type());
  TORCH_CHECK_VALUE(face_vertices.size(0) * face_vertices.size(1) <= INT32_MAX,
                    "face_vertices has too many faces (N * F must fit in int32): ", face_vertices.sizes());
  TORCH_CHECK_VALUE(!(backend == Backend::EmulatedCuda && face_vertices.is_cuda()),
                    "the CUDA emulation runs the CUDA kernels on the host: face_vertices must be on the CPU, got ",
                    face_vertices.device());
  p.batch_size = int32_t(face_vertices.size(0));
  p.num_faces = int32_t(face_vertices.size(1));
  p.num_channels = 0;
  p.texture_res = 0;
  if (face_colors.numel() > 0 || face_colors.dim() == 4) {
    check_tensor(face_colors, "face_colors", face_vertices);
    TORCH_CHECK_VALUE(face_colors.dim() == 4 && face_colors.size(0) == p.batch_size &&
                          face_colors.size(1) == p.num_faces && face_colors.size(2) >= 1 && face_colors.size(3) >= 1,
                      "face_colors must have shape (N, F, K, C) = (", p.batch_size, ", ", p.num_faces,
                      ", K, C), got ", face_colors.sizes());
    // K = 3: per-vertex colors; K = R * R: an R x R surface texture (3 is not a square).
    const int64_t samples = face_colors.size(2);
    const int64_t resolution = std::llround(std::sqrt(double(samples)));
    TORCH_CHECK_VALUE(samples == kVertexColorSamples || resolution * resolution == samples,
                      "face_colors must have 3 (per-vertex colors) or R * R (surface texture) samples per face, got ",
                      samples);
    p.texture_res = samples == kVertexColorSamples ? 0 : int32_t(resolution);
    p.num_channels = int32_t(face_colors.size(3));
  }
  check_tensor(background, "background", face_vertices);
  TORCH_CHECK_VALUE(background.dim() == 1 && (background.size(0) == 1 || background.size(0) == p.num_channels),
                    "background must have 1 or C = ", p.num_channels, " values, got ", background.sizes());
  p.num_background = int32_t(background.size(0));
  TORCH_CHECK_VALUE(p.height >= 1 && p.width >= 1, "params height and width must be positive, got ", p.height, " x ",
                    p.width);
  TORCH_CHECK_VALUE(p.sigma > 0 && p.gamma > 0 && p.cutoff_squared >= 0 && p.near < p.far,
                    "params need sigma > 0, gamma > 0, cutoff_squared >= 0 and near < far");
  p.tile_size = face_vertices.is_cuda() || backend == Backend::EmulatedCuda ? kCudaTileSize : kCpuTileSize;
}

// The CPU kernel's own options for params p (completed).
cpu::Options cpu_options(const SoftRasterParams& p, bool pixel_major) {
  cpu::Options options;
  // Small images run on one thread: a parallel region costs more than they do.
  const int64_t pixels = int64_t(p.batch_size) * p.height * p.width;
  options.num_threads =
      int32_t(std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), pixels / kMinPixelsPerThread)));
  options.pixel_major = pixel_major;
  return options;
}

// The forward state with what every forward allocates (image, aux, winner, face_data,
// stats); the back end fills face_offsets, entry_tiles, pair_offsets and pair_code, each
// once. Also the tile counts of setup_faces, which the state does not keep.
ForwardState allocate_forward(const SoftRasterParams& p, const at::Tensor& face_vertices, at::Tensor& tile_counts) {
  const auto opts = face_vertices.options();
  const int64_t num_face_slots = int64_t(p.batch_size) * p.num_faces;
  const auto int_opts = opts.dtype(at::kInt);
  ForwardState state;
  state.face_data = at::empty({num_face_slots, kFaceRecordSize}, opts);
  tile_counts = at::empty({num_face_slots}, opts.dtype(at::kLong));
  state.image = at::empty({p.batch_size, p.num_channels + 1, p.height, p.width}, opts);
  state.aux = at::empty({p.batch_size, kAuxRecordSize, p.height, p.width}, opts);
  state.winner = keeps_winner(p) ? at::empty({p.batch_size, p.height, p.width}, int_opts) : at::empty({0}, int_opts);
  state.stats = at::zeros({cpu::kStatsSize}, at::kLong);
  return state;
}

template <typename scalar_t>
SetupArgs<scalar_t> setup_args(const at::Tensor& face_vertices, const ForwardState& state,
                               const at::Tensor& tile_counts) {
  return {face_vertices.data_ptr<scalar_t>(), state.face_data.data_ptr<scalar_t>(), tile_counts.data_ptr<int64_t>()};
}

// The shading's buffers: the state's outputs, the inputs and the tile-major face lists.
template <typename scalar_t>
ForwardArgs<scalar_t> forward_args(const SoftRasterParams& p, const ForwardState& state,
                                   const at::Tensor& face_colors, const at::Tensor& background,
                                   const at::Tensor& tile_offsets, const at::Tensor& tile_faces) {
  return {state.face_data.data_ptr<scalar_t>(),
          p.num_channels > 0 ? face_colors.data_ptr<scalar_t>() : nullptr,
          background.data_ptr<scalar_t>(),
          tile_offsets.data_ptr<int64_t>(),
          tile_faces.data_ptr<int32_t>(),
          state.image.data_ptr<scalar_t>(),
          state.aux.data_ptr<scalar_t>(),
          keeps_winner(p) ? state.winner.data_ptr<int32_t>() : nullptr};
}

// The backward's buffers, filled once from the forward's state, the colors, the upstream
// gradient and the gradients to write (undefined tensors: not wanted).
template <typename scalar_t>
BackwardArgs<scalar_t> backward_args(const SoftRasterParams& p, const ForwardState& state,
                                     const at::Tensor& face_colors, const at::Tensor& grad_image,
                                     const at::Tensor& grad_v, const at::Tensor& grad_c) {
  return {state.face_data.data_ptr<scalar_t>(),
          p.num_channels > 0 ? face_colors.data_ptr<scalar_t>() : nullptr,
          state.image.data_ptr<scalar_t>(),
          state.aux.data_ptr<scalar_t>(),
          keeps_winner(p) ? state.winner.data_ptr<int32_t>() : nullptr,
          grad_image.data_ptr<scalar_t>(),
          state.face_offsets.data_ptr<int64_t>(),
          state.entry_tiles.data_ptr<int32_t>(),
          grad_v.defined() ? grad_v.data_ptr<scalar_t>() : nullptr,
          grad_c.defined() ? grad_c.data_ptr<scalar_t>() : nullptr};
}

// The CUDA forward on the tensors' device: setup (per face), a prefix sum of the tile
// counts, entry fill (per face), a stable sort of the entries by (image, tile), tile
// offsets by binary search, shading (per pixel). One device-to-host copy: the entry count,
// which sizes the entry buffers.
template <typename Kernels>
ForwardState forward_cuda_like(const SoftRasterParams& p, const at::Tensor& face_vertices,
                               const at::Tensor& face_colors, const at::Tensor& background,
                               typename Kernels::Stream stream) {
  at::Tensor tile_counts;
  ForwardState state = allocate_forward(p, face_vertices, tile_counts);
  const auto long_opts = face_vertices.options().dtype(at::kLong);
  const auto int_opts = face_vertices.options().dtype(at::kInt);
  const int64_t num_tile_slots = int64_t(p.batch_size) * p.num_tiles();
  AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_setup_cuda", [&] {
    check_launch<Kernels>(
        Kernels::template setup_faces<scalar_t>(p, setup_args<scalar_t>(face_vertices, state, tile_counts), stream),
        "setup_faces");
  });
  state.face_offsets = at::cat({at::zeros({1}, long_opts), tile_counts.cumsum(0)});
  // The one device-to-host copy of the call: the entry count, which sizes the entry
  // buffers, together with the counts of non-finite inputs, so that bad input is a
  // ValueError here as on the CPU without a host sync of its own.
  std::vector<at::Tensor> counts = {state.face_offsets[-1], at::isfinite(face_vertices).logical_not().sum()};
  if (p.num_channels > 0) counts.push_back(at::isfinite(face_colors).logical_not().sum());
  const at::Tensor host_counts = at::stack(counts).to(at::kCPU);
  const int64_t* count = host_counts.data_ptr<int64_t>();
  TORCH_CHECK_VALUE(count[1] == 0, "face_vertices contains NaN or inf (", count[1], " values)");
  TORCH_CHECK_VALUE(p.num_channels == 0 || count[2] == 0, "face_colors contains NaN or inf (", count[2], " values)");
  const int64_t num_entries = count[0];
  state.entry_tiles = at::empty({num_entries}, int_opts);
  at::Tensor entry_faces = at::empty({num_entries}, int_opts);
  at::Tensor entry_keys = at::empty({num_entries}, long_opts);
  AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_fill_cuda", [&] {
    check_launch<Kernels>(Kernels::template fill_entries<scalar_t>(
                              p, state.face_data.data_ptr<scalar_t>(), state.face_offsets.data_ptr<int64_t>(),
                              state.entry_tiles.data_ptr<int32_t>(), entry_faces.data_ptr<int32_t>(),
                              entry_keys.data_ptr<int64_t>(), stream),
                          "fill_entries");
  });
  // Stable sort by (image, tile): faces stay ascending within each tile's list. Tile
  // offsets by binary search in the sorted keys (no atomics, no host sync).
  const auto sorted = entry_keys.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false);
  const at::Tensor tile_faces = entry_faces.index_select(0, std::get<1>(sorted)).contiguous();
  const at::Tensor tile_offsets =
      at::searchsorted(std::get<0>(sorted), at::arange(num_tile_slots + 1, long_opts)).contiguous();
  AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_forward_cuda", [&] {
    check_launch<Kernels>(
        Kernels::template forward<scalar_t>(
            p, forward_args<scalar_t>(p, state, face_colors, background, tile_offsets, tile_faces), stream),
        "forward");
  });
  state.pair_offsets = state.pair_code = at::empty({0}, long_opts);  // no PairCache on CUDA
  return state;
}

// The CUDA backward: one thread per entry into its own gradient slot, then an ordered sum
// per face. No host sync (the entry count is the size of entry_tiles).
template <typename Kernels, typename scalar_t>
void backward_cuda_like(const SoftRasterParams& p, const ForwardState& state, const BackwardArgs<scalar_t>& args,
                        typename Kernels::Stream stream) {
  const at::Tensor& face_offsets = state.face_offsets;
  const int64_t num_entries = state.entry_tiles.size(0);
  const int64_t num_face_slots = face_offsets.size(0) - 1;
  const at::Tensor counts = face_offsets.narrow(0, 1, num_face_slots) - face_offsets.narrow(0, 0, num_face_slots);
  const at::Tensor entry_faces = at::repeat_interleave(
      at::arange(num_face_slots, face_offsets.options().dtype(at::kInt)), counts, /*dim=*/0, num_entries);
  at::Tensor entry_grad = at::empty({num_entries, kFaceVertexScalars + p.face_color_size()}, state.image.options());
  check_launch<Kernels>(Kernels::template backward<scalar_t>(p, args, entry_faces.data_ptr<int32_t>(), num_entries,
                                                             entry_grad.data_ptr<scalar_t>(), stream),
                        "backward");
}

}  // namespace

std::vector<std::string> ForwardState::field_names() {
#define SR_FIELD_NAME(name) #name,
  return {SR_FORWARD_STATE_FIELDS(SR_FIELD_NAME)};
#undef SR_FIELD_NAME
}

std::vector<at::Tensor> ForwardState::to_list() const {
#define SR_FIELD_TENSOR(name) name,
  return {SR_FORWARD_STATE_FIELDS(SR_FIELD_TENSOR)};
#undef SR_FIELD_TENSOR
}

ForwardState ForwardState::from_list(const std::vector<at::Tensor>& tensors) {
  const std::vector<std::string> names = field_names();
  std::string expected;
  for (const std::string& name : names) expected += (expected.empty() ? "" : ", ") + name;
  TORCH_CHECK_VALUE(tensors.size() == names.size(), "state must be the forward's ", names.size(), " tensors (",
                    expected, "), got ", tensors.size());
  ForwardState state;
  size_t i = 0;
#define SR_FIELD_FROM_LIST(name) state.name = tensors[i++];
  SR_FORWARD_STATE_FIELDS(SR_FIELD_FROM_LIST)
#undef SR_FIELD_FROM_LIST
  return state;
}

ForwardState rasterize_forward(SoftRasterParams p, const at::Tensor& face_vertices_in, const at::Tensor& face_colors_in,
                               const at::Tensor& background_in, Backend backend, const CpuKnobs& knobs) {
  const at::Tensor face_vertices = face_vertices_in.contiguous();
  complete_params(p, face_vertices, face_colors_in, background_in, backend);
  const at::Tensor face_colors = p.num_channels > 0 ? face_colors_in.contiguous() : face_colors_in;
  const at::Tensor background = background_in.contiguous();

  if (face_vertices.is_cuda()) {
#ifdef WITH_CUDA
    const c10::cuda::CUDAGuard guard(face_vertices.device());
    return forward_cuda_like<cuda::Kernels>(p, face_vertices, face_colors, background,
                                            c10::cuda::getCurrentCUDAStream());
#else
    TORCH_CHECK_VALUE(false, "softrecon._C was built without CUDA; rebuild with a CUDA torch (or FORCE_CUDA=1)");
#endif
  }
  TORCH_CHECK_VALUE(face_vertices.is_cpu(), "face_vertices must be on the CPU or a CUDA device, got ",
                    face_vertices.device());
  if (backend == Backend::EmulatedCuda)
    return forward_cuda_like<emulated::Kernels>(p, face_vertices, face_colors, background, nullptr);

  const cpu::Options options = cpu_options(p, knobs.pixel_major);
  at::Tensor tile_counts;
  ForwardState state = allocate_forward(p, face_vertices, tile_counts);
  const auto opts = face_vertices.options();
  const auto long_opts = opts.dtype(at::kLong);
  const auto int_opts = opts.dtype(at::kInt);
  const int64_t num_face_slots = int64_t(p.batch_size) * p.num_faces;
  const int64_t num_tile_slots = int64_t(p.batch_size) * p.num_tiles();
  state.face_offsets = at::empty({num_face_slots + 1}, long_opts);
  at::Tensor tile_offsets, tile_faces, tile_entries;
  // The PairCache (empty tensors when not kept).
  state.pair_offsets = at::empty({0}, long_opts);
  state.pair_code = at::empty({0}, opts.dtype(at::kByte));
  const bool cache_pairs =
      knobs.cache_pairs && !knobs.pixel_major && p.num_channels == 0 && p.dist_func == DistFunc::Euclidean;
  AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_forward_cpu", [&] {
    cpu::setup_faces<scalar_t>(p, options, setup_args<scalar_t>(face_vertices, state, tile_counts));
    state.face_offsets[0] = 0;
    state.face_offsets.narrow(0, 1, num_face_slots).copy_(tile_counts.cumsum(0));
    const int64_t num_entries = state.face_offsets[-1].item<int64_t>();
    state.entry_tiles = at::empty({num_entries}, int_opts);
    tile_faces = at::empty({num_entries}, int_opts);
    tile_entries = at::empty({num_entries}, long_opts);
    tile_offsets = at::empty({num_tile_slots + 1}, long_opts);
    const scalar_t* face_data = state.face_data.data_ptr<scalar_t>();
    cpu::bin_faces<scalar_t>(p, options, face_data, state.face_offsets.data_ptr<int64_t>(),
                             state.entry_tiles.data_ptr<int32_t>(), tile_offsets.data_ptr<int64_t>(),
                             tile_faces.data_ptr<int32_t>(), tile_entries.data_ptr<int64_t>());
    PairCache cache{nullptr, nullptr};
    if (cache_pairs) {
      at::Tensor offsets = at::empty({num_entries + 1}, long_opts);
      const int64_t records =
          cpu::pair_cache_offsets<scalar_t>(p, options, face_data, state.face_offsets.data_ptr<int64_t>(),
                                            state.entry_tiles.data_ptr<int32_t>(), offsets.data_ptr<int64_t>());
      if (records <= kMaxPairCacheBytes) {
        state.pair_offsets = offsets;
        state.pair_code = at::empty({records}, opts.dtype(at::kByte));
        cache = {state.pair_offsets.data_ptr<int64_t>(), state.pair_code.data_ptr<uint8_t>()};
      }
    }
    cpu::forward<scalar_t>(p, options,
                           forward_args<scalar_t>(p, state, face_colors, background, tile_offsets, tile_faces),
                           tile_entries.data_ptr<int64_t>(), cache.code != nullptr ? &cache : nullptr,
                           state.stats.data_ptr<int64_t>());
  });
  return state;
}

std::vector<at::Tensor> rasterize_backward(SoftRasterParams p, const at::Tensor& grad_image_in,
                                           const at::Tensor& face_vertices, const at::Tensor& face_colors_in,
                                           const ForwardState& state, bool need_vertex_grad, bool need_color_grad,
                                           Backend backend) {
  at::Tensor background = at::zeros({1}, face_vertices.options());  // not used by the backward
  complete_params(p, face_vertices, face_colors_in, background, backend);
  const at::Tensor face_colors = p.num_channels > 0 ? face_colors_in.contiguous() : face_colors_in;
  check_tensor(grad_image_in, "grad_image", face_vertices);
  TORCH_CHECK_VALUE(grad_image_in.sizes() == state.image.sizes(), "grad_image must have shape ", state.image.sizes(),
                    ", got ", grad_image_in.sizes());
  const at::Tensor grad_image = grad_image_in.contiguous();
  need_color_grad = need_color_grad && p.num_channels > 0;
  at::Tensor grad_v = need_vertex_grad ? at::empty_like(face_vertices, at::MemoryFormat::Contiguous) : at::Tensor();
  at::Tensor grad_c = need_color_grad ? at::empty_like(face_colors, at::MemoryFormat::Contiguous) : at::Tensor();
  if (!need_vertex_grad && !need_color_grad) return {grad_v, grad_c};

  if (face_vertices.is_cuda()) {
#ifdef WITH_CUDA
    const c10::cuda::CUDAGuard guard(face_vertices.device());
    AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_backward_cuda", [&] {
      backward_cuda_like<cuda::Kernels>(p, state,
                                        backward_args<scalar_t>(p, state, face_colors, grad_image, grad_v, grad_c),
                                        c10::cuda::getCurrentCUDAStream());
    });
    return {grad_v, grad_c};
#else
    TORCH_CHECK_VALUE(false, "softrecon._C was built without CUDA; rebuild with a CUDA torch (or FORCE_CUDA=1)");
#endif
  }
  if (backend == Backend::EmulatedCuda) {
    AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_backward_emulated", [&] {
      backward_cuda_like<emulated::Kernels>(
          p, state, backward_args<scalar_t>(p, state, face_colors, grad_image, grad_v, grad_c), nullptr);
    });
    return {grad_v, grad_c};
  }
  const at::Tensor &pair_offsets = state.pair_offsets, &pair_code = state.pair_code;
  const bool cached = pair_offsets.numel() > 0;
  TORCH_CHECK_VALUE(!cached || (pair_offsets.size(0) == state.entry_tiles.size(0) + 1 && pair_code.dim() == 1 &&
                                pair_code.scalar_type() == at::kByte && pair_code.is_cpu()),
                    "pair_offsets / pair_code do not match the entries (pass the forward's outputs unchanged)");
  AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_backward_cpu", [&] {
    const PairCache cache{cached ? pair_offsets.data_ptr<int64_t>() : nullptr,
                          cached ? pair_code.data_ptr<uint8_t>() : nullptr};
    cpu::backward<scalar_t>(p, cpu_options(p, /*pixel_major=*/false),
                            backward_args<scalar_t>(p, state, face_colors, grad_image, grad_v, grad_c),
                            cached ? &cache : nullptr);
  });
  return {grad_v, grad_c};
}

}  // namespace softrecon
