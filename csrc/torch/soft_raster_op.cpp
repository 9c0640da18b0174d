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
                     const at::Tensor& background) {
  TORCH_CHECK_VALUE(face_vertices.dim() == 4 && face_vertices.size(2) == 3 && face_vertices.size(3) == 3,
                    "face_vertices must have shape (N, F, 3, 3), got ", face_vertices.sizes());
  TORCH_CHECK_VALUE(face_vertices.scalar_type() == at::kFloat || face_vertices.scalar_type() == at::kDouble,
                    "face_vertices must be float32 or float64, got ", face_vertices.scalar_type());
  TORCH_CHECK_VALUE(face_vertices.size(0) * face_vertices.size(1) <= INT32_MAX,
                    "face_vertices has too many faces (N * F must fit in int32): ", face_vertices.sizes());
  TORCH_CHECK_VALUE(!(p.emulate_cuda && face_vertices.is_cuda()),
                    "params.emulate_cuda runs the CUDA kernels on the host: face_vertices must be on the CPU, got ",
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
    TORCH_CHECK_VALUE(samples == 3 || resolution * resolution == samples,
                      "face_colors must have 3 (per-vertex colors) or R * R (surface texture) samples per face, got ",
                      samples);
    p.texture_res = samples == 3 ? 0 : int32_t(resolution);
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
  p.tile_size = face_vertices.is_cuda() || p.emulate_cuda ? kCudaTileSize : kCpuTileSize;
  // Small images run on one thread: a parallel region costs more than they do.
  const int64_t pixels = int64_t(p.batch_size) * p.height * p.width;
  p.num_threads = int32_t(std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), pixels / kMinPixelsPerThread)));
}

// What every forward allocates: face records, tile counts and the outputs.
struct ForwardBuffers {
  at::Tensor face_data, tile_counts, image, aux, winner, stats;
};

ForwardBuffers allocate_forward(const SoftRasterParams& p, const at::Tensor& face_vertices) {
  const auto opts = face_vertices.options();
  const int64_t num_face_slots = int64_t(p.batch_size) * p.num_faces;
  const bool hard_rgb = keeps_winner(p);
  const auto int_opts = opts.dtype(at::kInt);
  return {at::empty({num_face_slots, kFaceRecordSize}, opts),
          at::empty({num_face_slots}, opts.dtype(at::kLong)),
          at::empty({p.batch_size, p.num_channels + 1, p.height, p.width}, opts),
          at::empty({p.batch_size, kAuxRecordSize, p.height, p.width}, opts),
          hard_rgb ? at::empty({p.batch_size, p.height, p.width}, int_opts) : at::empty({0}, int_opts),
          at::zeros({cpu::kStatsSize}, at::kLong)};
}

// The CUDA forward on the tensors' device: setup (per face), a prefix sum of the tile
// counts, entry fill (per face), a stable sort of the entries by (image, tile), tile
// offsets by binary search, shading (per pixel). One device-to-host copy: the entry count,
// which sizes the entry buffers.
template <typename Kernels>
ForwardState forward_cuda_like(const SoftRasterParams& p, const at::Tensor& face_vertices,
                               const at::Tensor& face_colors, const at::Tensor& background,
                               typename Kernels::Stream stream) {
  ForwardBuffers out = allocate_forward(p, face_vertices);
  const auto long_opts = face_vertices.options().dtype(at::kLong);
  const auto int_opts = face_vertices.options().dtype(at::kInt);
  const int64_t num_tile_slots = int64_t(p.batch_size) * p.num_tiles();
  const bool hard_rgb = keeps_winner(p);
  AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_setup_cuda", [&] {
    check_launch<Kernels>(Kernels::template setup_faces<scalar_t>(p, face_vertices.data_ptr<scalar_t>(),
                                                                  out.face_data.data_ptr<scalar_t>(),
                                                                  out.tile_counts.data_ptr<int64_t>(), stream),
                          "setup_faces");
  });
  const at::Tensor face_offsets = at::cat({at::zeros({1}, long_opts), out.tile_counts.cumsum(0)});
  // The one device-to-host copy of the call: the entry count, which sizes the entry
  // buffers, together with the counts of non-finite inputs, so that bad input is a
  // ValueError here as on the CPU without a host sync of its own.
  std::vector<at::Tensor> counts = {face_offsets[-1], at::isfinite(face_vertices).logical_not().sum()};
  if (p.num_channels > 0) counts.push_back(at::isfinite(face_colors).logical_not().sum());
  const at::Tensor host_counts = at::stack(counts).to(at::kCPU);
  const int64_t* count = host_counts.data_ptr<int64_t>();
  TORCH_CHECK_VALUE(count[1] == 0, "face_vertices contains NaN or inf (", count[1], " values)");
  TORCH_CHECK_VALUE(p.num_channels == 0 || count[2] == 0, "face_colors contains NaN or inf (", count[2], " values)");
  const int64_t num_entries = count[0];
  at::Tensor entry_tiles = at::empty({num_entries}, int_opts);
  at::Tensor entry_faces = at::empty({num_entries}, int_opts);
  at::Tensor entry_keys = at::empty({num_entries}, long_opts);
  AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_fill_cuda", [&] {
    check_launch<Kernels>(Kernels::template fill_entries<scalar_t>(
                              p, out.face_data.data_ptr<scalar_t>(), face_offsets.data_ptr<int64_t>(),
                              entry_tiles.data_ptr<int32_t>(), entry_faces.data_ptr<int32_t>(),
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
            p, out.face_data.data_ptr<scalar_t>(), p.num_channels > 0 ? face_colors.data_ptr<scalar_t>() : nullptr,
            background.data_ptr<scalar_t>(), tile_offsets.data_ptr<int64_t>(), tile_faces.data_ptr<int32_t>(),
            out.image.data_ptr<scalar_t>(), out.aux.data_ptr<scalar_t>(),
            hard_rgb ? out.winner.data_ptr<int32_t>() : nullptr, stream),
        "forward");
  });
  ForwardState state;
  state.image = out.image;
  state.aux = out.aux;
  state.winner = out.winner;
  state.face_data = out.face_data;
  state.face_offsets = face_offsets;
  state.entry_tiles = entry_tiles;
  state.pair_offsets = state.pair_code = at::empty({0}, long_opts);  // no PairCache on CUDA
  state.stats = out.stats;
  return state;
}

// The CUDA backward: one thread per entry into its own gradient slot, then an ordered sum
// per face. No host sync (the entry count is the size of entry_tiles).
template <typename Kernels>
void backward_cuda_like(const SoftRasterParams& p, const at::Tensor& face_colors, const at::Tensor& image,
                        const at::Tensor& aux, const at::Tensor& winner, const at::Tensor& grad_image,
                        const at::Tensor& face_data, const at::Tensor& face_offsets, const at::Tensor& entry_tiles,
                        at::Tensor& grad_v, at::Tensor& grad_c, typename Kernels::Stream stream) {
  const bool hard_rgb = keeps_winner(p);
  const int64_t num_entries = entry_tiles.size(0);
  const int64_t num_face_slots = face_offsets.size(0) - 1;
  const at::Tensor counts = face_offsets.narrow(0, 1, num_face_slots) - face_offsets.narrow(0, 0, num_face_slots);
  const at::Tensor entry_faces = at::repeat_interleave(
      at::arange(num_face_slots, face_offsets.options().dtype(at::kInt)), counts, /*dim=*/0, num_entries);
  at::Tensor entry_grad = at::empty({num_entries, 9 + p.face_color_size()}, image.options());
  AT_DISPATCH_FLOATING_TYPES(image.scalar_type(), "softrecon_backward_cuda", [&] {
    check_launch<Kernels>(
        Kernels::template backward<scalar_t>(
            p, face_data.data_ptr<scalar_t>(), p.num_channels > 0 ? face_colors.data_ptr<scalar_t>() : nullptr,
            image.data_ptr<scalar_t>(), aux.data_ptr<scalar_t>(), hard_rgb ? winner.data_ptr<int32_t>() : nullptr,
            grad_image.data_ptr<scalar_t>(), face_offsets.data_ptr<int64_t>(), entry_tiles.data_ptr<int32_t>(),
            entry_faces.data_ptr<int32_t>(), num_entries, entry_grad.data_ptr<scalar_t>(),
            grad_v.defined() ? grad_v.data_ptr<scalar_t>() : nullptr,
            grad_c.defined() ? grad_c.data_ptr<scalar_t>() : nullptr, stream),
        "backward");
  });
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
                               const at::Tensor& background_in) {
  const at::Tensor face_vertices = face_vertices_in.contiguous();
  complete_params(p, face_vertices, face_colors_in, background_in);
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
  if (p.emulate_cuda) return forward_cuda_like<emulated::Kernels>(p, face_vertices, face_colors, background, nullptr);

  const ForwardBuffers out = allocate_forward(p, face_vertices);
  const at::Tensor &face_data = out.face_data, &tile_counts = out.tile_counts, &image = out.image, &aux = out.aux,
                   &winner = out.winner, &stats = out.stats;
  const auto opts = face_vertices.options();
  const auto long_opts = opts.dtype(at::kLong);
  const auto int_opts = opts.dtype(at::kInt);
  const int64_t num_face_slots = int64_t(p.batch_size) * p.num_faces;
  const int64_t num_tile_slots = int64_t(p.batch_size) * p.num_tiles();
  const bool hard_rgb = keeps_winner(p);
  at::Tensor face_offsets = at::empty({num_face_slots + 1}, long_opts);
  at::Tensor entry_tiles, tile_offsets, tile_faces, tile_entries;
  // The PairCache (empty tensors when not kept).
  at::Tensor pair_offsets = at::empty({0}, long_opts), pair_code = at::empty({0}, opts.dtype(at::kByte));
  const bool cache_pairs = p.cache_pairs && !p.pixel_major && p.num_channels == 0 && p.dist_func == DistFunc::Euclidean;
  AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_forward_cpu", [&] {
    cpu::setup_faces<scalar_t>(p, face_vertices.data_ptr<scalar_t>(), face_data.data_ptr<scalar_t>(),
                               tile_counts.data_ptr<int64_t>());
    face_offsets[0] = 0;
    face_offsets.narrow(0, 1, num_face_slots).copy_(tile_counts.cumsum(0));
    const int64_t num_entries = face_offsets[-1].item<int64_t>();
    entry_tiles = at::empty({num_entries}, int_opts);
    tile_faces = at::empty({num_entries}, int_opts);
    tile_entries = at::empty({num_entries}, long_opts);
    tile_offsets = at::empty({num_tile_slots + 1}, long_opts);
    cpu::bin_faces<scalar_t>(p, face_data.data_ptr<scalar_t>(), face_offsets.data_ptr<int64_t>(),
                             entry_tiles.data_ptr<int32_t>(), tile_offsets.data_ptr<int64_t>(),
                             tile_faces.data_ptr<int32_t>(), tile_entries.data_ptr<int64_t>());
    PairCache cache{nullptr, nullptr};
    if (cache_pairs) {
      at::Tensor offsets = at::empty({num_entries + 1}, long_opts);
      const int64_t records = cpu::pair_cache_offsets<scalar_t>(p, face_data.data_ptr<scalar_t>(),
                                                                face_offsets.data_ptr<int64_t>(),
                                                                entry_tiles.data_ptr<int32_t>(),
                                                                offsets.data_ptr<int64_t>());
      if (records <= kMaxPairCacheBytes) {
        pair_offsets = offsets;
        pair_code = at::empty({records}, opts.dtype(at::kByte));
        cache = {pair_offsets.data_ptr<int64_t>(), pair_code.data_ptr<uint8_t>()};
      }
    }
    cpu::forward<scalar_t>(p, face_data.data_ptr<scalar_t>(),
                           p.num_channels > 0 ? face_colors.data_ptr<scalar_t>() : nullptr,
                           background.data_ptr<scalar_t>(), tile_offsets.data_ptr<int64_t>(),
                           tile_faces.data_ptr<int32_t>(), tile_entries.data_ptr<int64_t>(), image.data_ptr<scalar_t>(),
                           aux.data_ptr<scalar_t>(), hard_rgb ? winner.data_ptr<int32_t>() : nullptr,
                           cache.code != nullptr ? &cache : nullptr, stats.data_ptr<int64_t>());
  });
  ForwardState state;
  state.image = image;
  state.aux = aux;
  state.winner = winner;
  state.face_data = face_data;
  state.face_offsets = face_offsets;
  state.entry_tiles = entry_tiles;
  state.pair_offsets = pair_offsets;
  state.pair_code = pair_code;
  state.stats = stats;
  return state;
}

std::vector<at::Tensor> rasterize_backward(SoftRasterParams p, const at::Tensor& grad_image_in,
                                           const at::Tensor& face_vertices, const at::Tensor& face_colors_in,
                                           const ForwardState& state, bool need_vertex_grad, bool need_color_grad) {
  const at::Tensor &image = state.image, &aux = state.aux, &winner = state.winner, &face_data = state.face_data,
                   &face_offsets = state.face_offsets, &entry_tiles = state.entry_tiles,
                   &pair_offsets = state.pair_offsets, &pair_code = state.pair_code;
  at::Tensor background = at::zeros({1}, face_vertices.options());  // not used by the backward
  complete_params(p, face_vertices, face_colors_in, background);
  const at::Tensor face_colors = p.num_channels > 0 ? face_colors_in.contiguous() : face_colors_in;
  check_tensor(grad_image_in, "grad_image", face_vertices);
  TORCH_CHECK_VALUE(grad_image_in.sizes() == image.sizes(), "grad_image must have shape ", image.sizes(), ", got ",
                    grad_image_in.sizes());
  const at::Tensor grad_image = grad_image_in.contiguous();
  need_color_grad = need_color_grad && p.num_channels > 0;
  at::Tensor grad_v = need_vertex_grad ? at::empty_like(face_vertices, at::MemoryFormat::Contiguous) : at::Tensor();
  at::Tensor grad_c = need_color_grad ? at::empty_like(face_colors, at::MemoryFormat::Contiguous) : at::Tensor();
  if (!need_vertex_grad && !need_color_grad) return {grad_v, grad_c};
  const bool hard_rgb = keeps_winner(p);

  if (face_vertices.is_cuda()) {
#ifdef WITH_CUDA
    const c10::cuda::CUDAGuard guard(face_vertices.device());
    backward_cuda_like<cuda::Kernels>(p, face_colors, image, aux, winner, grad_image, face_data, face_offsets,
                                      entry_tiles, grad_v, grad_c, c10::cuda::getCurrentCUDAStream());
    return {grad_v, grad_c};
#else
    TORCH_CHECK_VALUE(false, "softrecon._C was built without CUDA; rebuild with a CUDA torch (or FORCE_CUDA=1)");
#endif
  }
  if (p.emulate_cuda) {
    backward_cuda_like<emulated::Kernels>(p, face_colors, image, aux, winner, grad_image, face_data, face_offsets,
                                          entry_tiles, grad_v, grad_c, nullptr);
    return {grad_v, grad_c};
  }
  const bool cached = pair_offsets.numel() > 0;
  TORCH_CHECK_VALUE(!cached || (pair_offsets.size(0) == entry_tiles.size(0) + 1 && pair_code.dim() == 1 &&
                                pair_code.scalar_type() == at::kByte && pair_code.is_cpu()),
                    "pair_offsets / pair_code do not match the entries (pass the forward's outputs unchanged)");
  AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_backward_cpu", [&] {
    const PairCache cache{cached ? pair_offsets.data_ptr<int64_t>() : nullptr,
                          cached ? pair_code.data_ptr<uint8_t>() : nullptr};
    cpu::backward<scalar_t>(p, face_data.data_ptr<scalar_t>(),
                            p.num_channels > 0 ? face_colors.data_ptr<scalar_t>() : nullptr, image.data_ptr<scalar_t>(),
                            aux.data_ptr<scalar_t>(), hard_rgb ? winner.data_ptr<int32_t>() : nullptr,
                            grad_image.data_ptr<scalar_t>(), face_offsets.data_ptr<int64_t>(),
                            entry_tiles.data_ptr<int32_t>(), cached ? &cache : nullptr,
                            need_vertex_grad ? grad_v.data_ptr<scalar_t>() : nullptr,
                            need_color_grad ? grad_c.data_ptr<scalar_t>() : nullptr);
  });
  return {grad_v, grad_c};
}

}  // namespace softrecon
