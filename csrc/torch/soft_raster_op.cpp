// One orchestration for both devices; only the loops behind it differ (csrc/cpu/ uses
// OpenMP and a counting sort, csrc/cuda/ kernels plus torch's stable sort).
#include "soft_raster_op.h"

#include <algorithm>
#include <cmath>

#include "../cpu/soft_raster_cpu.h"

#ifdef WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "../cuda/soft_raster_kernels.h"
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

#ifdef WITH_CUDA
void check_cuda(cudaError_t err, const char* what) {
  TORCH_CHECK(err == cudaSuccess, "softrecon CUDA kernel ", what, " failed: ", cudaGetErrorString(err));
}
#endif

// Completes params from the tensors and checks them.
void complete_params(SoftRasterParams& p, const at::Tensor& face_vertices, const at::Tensor& face_colors,
                     const at::Tensor& background) {
  TORCH_CHECK_VALUE(face_vertices.dim() == 4 && face_vertices.size(2) == 3 && face_vertices.size(3) == 3,
                    "face_vertices must have shape (N, F, 3, 3), got ", face_vertices.sizes());
  TORCH_CHECK_VALUE(face_vertices.scalar_type() == at::kFloat || face_vertices.scalar_type() == at::kDouble,
                    "face_vertices must be float32 or float64, got ", face_vertices.scalar_type());
  TORCH_CHECK_VALUE(face_vertices.size(1) <= INT32_MAX && face_vertices.size(0) <= INT32_MAX,
                    "face_vertices has too many faces or images: ", face_vertices.sizes());
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
    // K = 3: per-vertex colours; K = R * R: an R x R surface texture (3 is not a square).
    const int64_t samples = face_colors.size(2);
    const int64_t resolution = std::llround(std::sqrt(double(samples)));
    TORCH_CHECK_VALUE(samples == 3 || resolution * resolution == samples,
                      "face_colors must have 3 (per-vertex colours) or R * R (surface texture) samples per face, got ",
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
  p.tile_size = face_vertices.is_cuda() ? kCudaTileSize : kCpuTileSize;
  // Small images run on one thread: a parallel region costs more than they do.
  const int64_t pixels = int64_t(p.batch_size) * p.height * p.width;
  p.num_threads = int32_t(std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), pixels / kMinPixelsPerThread)));
}

}  // namespace

std::vector<at::Tensor> rasterize_forward(SoftRasterParams p, const at::Tensor& face_vertices_in,
                                          const at::Tensor& face_colors_in, const at::Tensor& background_in) {
  const at::Tensor face_vertices = face_vertices_in.contiguous();
  complete_params(p, face_vertices, face_colors_in, background_in);
  const at::Tensor face_colors = p.num_channels > 0 ? face_colors_in.contiguous() : face_colors_in;
  const at::Tensor background = background_in.contiguous();
  const auto opts = face_vertices.options();
  const auto long_opts = opts.dtype(at::kLong);
  const auto int_opts = opts.dtype(at::kInt);
  const int64_t num_face_slots = int64_t(p.batch_size) * p.num_faces;
  const int64_t num_tile_slots = int64_t(p.batch_size) * p.num_tiles();
  const bool hard_rgb = p.num_channels > 0 && p.aggr_rgb == AggrRGB::Hard;

  at::Tensor face_data = at::empty({num_face_slots, kFaceRecordSize}, opts);
  at::Tensor tile_counts = at::empty({num_face_slots}, long_opts);
  at::Tensor image = at::empty({p.batch_size, p.num_channels + 1, p.height, p.width}, opts);
  at::Tensor aux = at::empty({p.batch_size, kAuxRecordSize, p.height, p.width}, opts);
  at::Tensor winner = hard_rgb ? at::empty({p.batch_size, p.height, p.width}, int_opts) : at::empty({0}, int_opts);
  at::Tensor stats = at::zeros({cpu::kStatsSize}, at::kLong);

  if (face_vertices.is_cuda()) {
#ifdef WITH_CUDA
    const c10::cuda::CUDAGuard guard(face_vertices.device());
    cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
    AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_forward_cuda", [&] {
      check_cuda(cuda::launch_setup_faces<scalar_t>(p, face_vertices.data_ptr<scalar_t>(),
                                                    face_data.data_ptr<scalar_t>(), tile_counts.data_ptr<int64_t>(),
                                                    stream),
                 "setup_faces");
    });
    at::Tensor face_offsets = at::cat({at::zeros({1}, long_opts), tile_counts.cumsum(0)});
    const int64_t num_entries = face_offsets[-1].item<int64_t>();
    at::Tensor entry_tiles = at::empty({num_entries}, int_opts);
    at::Tensor entry_faces = at::empty({num_entries}, int_opts);
    at::Tensor entry_keys = at::empty({num_entries}, long_opts);
    AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_fill_cuda", [&] {
      check_cuda(cuda::launch_fill_entries<scalar_t>(p, face_data.data_ptr<scalar_t>(),
                                                     face_offsets.data_ptr<int64_t>(), entry_tiles.data_ptr<int32_t>(),
                                                     entry_faces.data_ptr<int32_t>(), entry_keys.data_ptr<int64_t>(),
                                                     stream),
                 "fill_entries");
    });
    // Stable sort by (image, tile): faces stay ascending within each tile's list.
    const at::Tensor order = std::get<1>(entry_keys.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
    const at::Tensor tile_faces = entry_faces.remainder(p.num_faces).index_select(0, order).to(at::kInt).contiguous();
    const at::Tensor tile_offsets =
        at::cat({at::zeros({1}, long_opts), at::bincount(entry_keys, {}, num_tile_slots).cumsum(0)}).contiguous();
    AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_forward_cuda", [&] {
      check_cuda(cuda::launch_forward<scalar_t>(
                     p, face_data.data_ptr<scalar_t>(), p.num_channels > 0 ? face_colors.data_ptr<scalar_t>() : nullptr,
                     background.data_ptr<scalar_t>(), tile_offsets.data_ptr<int64_t>(), tile_faces.data_ptr<int32_t>(),
                     image.data_ptr<scalar_t>(), aux.data_ptr<scalar_t>(),
                     hard_rgb ? winner.data_ptr<int32_t>() : nullptr, stream),
                 "forward");
    });
    const at::Tensor none = at::empty({0}, long_opts);
    return {image, aux, winner, face_data, face_offsets, entry_tiles, none, none, stats};
#else
    TORCH_CHECK_VALUE(false, "softrecon._C was built without CUDA; rebuild with a CUDA torch (or FORCE_CUDA=1)");
#endif
  }

  TORCH_CHECK_VALUE(face_vertices.is_cpu(), "face_vertices must be on the CPU or a CUDA device, got ",
                    face_vertices.device());
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
  return {image, aux, winner, face_data, face_offsets, entry_tiles, pair_offsets, pair_code, stats};
}

std::vector<at::Tensor> rasterize_backward(SoftRasterParams p, const at::Tensor& grad_image_in,
                                           const at::Tensor& face_vertices, const at::Tensor& face_colors_in,
                                           const at::Tensor& image, const at::Tensor& aux, const at::Tensor& winner,
                                           const at::Tensor& face_data, const at::Tensor& face_offsets,
                                           const at::Tensor& entry_tiles, const at::Tensor& pair_offsets,
                                           const at::Tensor& pair_code, bool need_vertex_grad, bool need_colour_grad) {
  at::Tensor background = at::zeros({1}, face_vertices.options());  // not used by the backward
  complete_params(p, face_vertices, face_colors_in, background);
  const at::Tensor face_colors = p.num_channels > 0 ? face_colors_in.contiguous() : face_colors_in;
  check_tensor(grad_image_in, "grad_image", face_vertices);
  TORCH_CHECK_VALUE(grad_image_in.sizes() == image.sizes(), "grad_image must have shape ", image.sizes(), ", got ",
                    grad_image_in.sizes());
  const at::Tensor grad_image = grad_image_in.contiguous();
  need_colour_grad = need_colour_grad && p.num_channels > 0;
  at::Tensor grad_v = need_vertex_grad ? at::empty_like(face_vertices, at::MemoryFormat::Contiguous) : at::Tensor();
  at::Tensor grad_c = need_colour_grad ? at::empty_like(face_colors, at::MemoryFormat::Contiguous) : at::Tensor();
  if (!need_vertex_grad && !need_colour_grad) return {grad_v, grad_c};
  const bool hard_rgb = p.num_channels > 0 && p.aggr_rgb == AggrRGB::Hard;

  if (face_vertices.is_cuda()) {
#ifdef WITH_CUDA
    const c10::cuda::CUDAGuard guard(face_vertices.device());
    cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
    const int64_t num_entries = entry_tiles.size(0);
    const at::Tensor counts = face_offsets.narrow(0, 1, face_offsets.size(0) - 1) - face_offsets.narrow(0, 0, face_offsets.size(0) - 1);
    const at::Tensor entry_faces =
        at::repeat_interleave(at::arange(face_offsets.size(0) - 1, face_offsets.options().dtype(at::kInt)), counts,
                              /*dim=*/0, num_entries);
    at::Tensor entry_grad = at::empty({num_entries, 9 + p.face_colour_size()}, face_vertices.options());
    AT_DISPATCH_FLOATING_TYPES(face_vertices.scalar_type(), "softrecon_backward_cuda", [&] {
      check_cuda(cuda::launch_backward<scalar_t>(
                     p, face_data.data_ptr<scalar_t>(), p.num_channels > 0 ? face_colors.data_ptr<scalar_t>() : nullptr,
                     image.data_ptr<scalar_t>(), aux.data_ptr<scalar_t>(),
                     hard_rgb ? winner.data_ptr<int32_t>() : nullptr, grad_image.data_ptr<scalar_t>(),
                     face_offsets.data_ptr<int64_t>(), entry_tiles.data_ptr<int32_t>(), entry_faces.data_ptr<int32_t>(),
                     num_entries, entry_grad.data_ptr<scalar_t>(),
                     need_vertex_grad ? grad_v.data_ptr<scalar_t>() : nullptr,
                     need_colour_grad ? grad_c.data_ptr<scalar_t>() : nullptr, stream),
                 "backward");
    });
    return {grad_v, grad_c};
#else
    TORCH_CHECK_VALUE(false, "softrecon._C was built without CUDA; rebuild with a CUDA torch (or FORCE_CUDA=1)");
#endif
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
                            need_colour_grad ? grad_c.data_ptr<scalar_t>() : nullptr);
  });
  return {grad_v, grad_c};
}

}  // namespace softrecon
