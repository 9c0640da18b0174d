// The work-item bodies of the NMR renderer (docs/METHOD.md section 9), shared by the CPU
// loops (csrc/cpu/nmr_cpu.cpp) and the CUDA kernels (csrc/cuda/nmr_kernels.cu, also run
// emulated on the host): nmr_shade_pixel (the forward of one pixel) and
// nmr_face_backward (NMR's gradient of one face). The dense twin is
// softrecon/renderer/nmr/reference.py; keep them in step.
#pragma once

#include "nmr_face.h"
#include "soft_raster_color.h"  // surface_texel, face_color

namespace softrecon {

// Forward of pixel `index` (n H W + row W + col): the z-buffers (every face; the faces that
// show colour), alpha, the colour of the nearest face that shows it (or the background).
// Faces in ascending order with a strict `<`: ties go to the lowest index.
template <typename scalar_t>
SR_HOST_DEVICE inline void nmr_shade_pixel(const NmrForwardArgs<scalar_t>& a, int64_t index) {
  const NmrParams& p = a.p;
  const int64_t hw = p.num_pixels();
  const int n = int(index / hw);
  const int row = int((index % hw) / p.width), col = int(index % p.width);
  const scalar_t px = nmr_column_x<scalar_t>(p, col), py = nmr_row_y<scalar_t>(p, row);
  const scalar_t near = scalar_t(p.near), far = scalar_t(p.far);
  const scalar_t* faces = a.face_vertices + int64_t(n) * p.num_faces * 9;
  scalar_t best_alpha = scalar_t(INFINITY), best_color = scalar_t(INFINITY);
  int64_t alpha_face = -1, color_face = -1;
  for (int f = 0; f < p.num_faces; ++f) {
    if (nmr_outside_box(faces + int64_t(f) * 9, px, py)) continue;
    const NmrFace<scalar_t> face = load_nmr_face(faces + int64_t(f) * 9);
    if (!face.valid) continue;
    scalar_t w[3], wc[3];
    nmr_barycentrics(face, px, py, w);
    if (w[0] < scalar_t(0) || w[1] < scalar_t(0) || w[2] < scalar_t(0)) continue;
    nmr_clip(w, wc);
    const scalar_t depth = scalar_t(1) / nmr_inv_depth(face, wc);
    if (!(depth >= near && depth <= far)) continue;
    if (depth < best_alpha) {
      best_alpha = depth;
      alpha_face = f;
    }
    if ((face.front || p.double_sided) && depth < best_color) {
      best_color = depth;
      color_face = f;
    }
  }
  const int C = p.num_channels;
  const int64_t pixel = int64_t(row) * p.width + col;
  a.image[(int64_t(n) * (C + 1) + C) * hw + pixel] = alpha_face >= 0 ? scalar_t(1) : scalar_t(0);
  a.alpha_face[index] = alpha_face;
  a.color_face[index] = C > 0 ? color_face : -1;
  a.color_inv_depth[index] = C > 0 && color_face >= 0 ? scalar_t(1) / best_color : scalar_t(0);
  if (C == 0) return;
  scalar_t wc[3] = {0, 0, 0};
  int texel = -1;
  const scalar_t* colors = nullptr;
  if (color_face >= 0) {
    const NmrFace<scalar_t> face = load_nmr_face(faces + color_face * 9);
    scalar_t w[3];
    nmr_barycentrics(face, px, py, w);
    nmr_clip(w, wc);
    texel = p.texture_res > 0 ? surface_texel(p.texture_res, wc) : -1;
    colors = a.colors + (int64_t(n) * p.num_faces + color_face) * p.color_samples() * C;
  }
  for (int c = 0; c < C; ++c)
    a.image[(int64_t(n) * (C + 1) + c) * hw + pixel] =
        color_face >= 0 ? face_color(colors, C, wc, texel, c) : a.background[c];
}

namespace nmr_detail {

// Pixel (line, j) of an axis: axis 0 sweeps x along rows (line = row), axis 1 sweeps y
// down columns (line = column).
SR_HOST_DEVICE SR_INLINE int64_t line_pixel(const NmrParams& p, int axis, int line, int j) {
  return axis == 0 ? int64_t(line) * p.width + j : int64_t(j) * p.width + line;
}

// sum_k g_k (I_k(from) - I_k(to)) over the colour channels of image n.
template <typename scalar_t>
SR_HOST_DEVICE SR_INLINE scalar_t color_change(const NmrBackwardArgs<scalar_t>& a, int n, int64_t from, int64_t to) {
  const int C = a.p.num_channels;
  const int64_t hw = a.p.num_pixels();
  scalar_t total = scalar_t(0);
  for (int c = 0; c < C; ++c) {
    const int64_t base = (int64_t(n) * (C + 1) + c) * hw;
    total += a.grad_image[base + to] * (a.image[base + from] - a.image[base + to]);
  }
  return total;
}

}  // namespace nmr_detail

// NMR's gradient of face `index` (n F + f) into its own slots of grad_vertices (x, y)
// and grad_colors. For each axis, edge (a, b; c the opposite vertex) and pixel line whose
// centre the edge's span reaches: the crossing u* of the line, the in-pixel (the first
// pixel centre on the face's side, the crossing itself included) and the out-pixel (its
// neighbour outside); both must be in the image. Then every pixel j of the line at
// distance d = u_j - u* != 0:
//   outside (on the out-pixel's side): the edge swept onto j would show there what the
//     in-pixel shows, if the in-pixel is this face's (per channel group: alpha, colour)
//     and, for colour, the face's plane is in front of what j shows;
//   inside (on the in-pixel's side) and this face's: the edge swept onto j would uncover
//     it, showing what the out-pixel shows.
// With total = sum_k g_k delta_k over the channels, a move that lowers the loss (total <
// 0) adds total / d to dL/du* of the line, which moves with u_a by (1 - t) and with u_b by t.
template <typename scalar_t>
SR_HOST_DEVICE inline void nmr_face_backward(const NmrBackwardArgs<scalar_t>& a, int64_t index) {
  using nmr_detail::color_change;
  using nmr_detail::line_pixel;
  const NmrParams& p = a.p;
  const int n = int(index / p.num_faces);
  const int64_t f = index % p.num_faces;
  const NmrFace<scalar_t> face = load_nmr_face(a.face_vertices + index * 9);
  const int C = p.num_channels;
  const int64_t hw = p.num_pixels();
  const scalar_t* alpha = a.image + (int64_t(n) * (C + 1) + C) * hw;
  const scalar_t* g_alpha = a.grad_image + (int64_t(n) * (C + 1) + C) * hw;
  const int64_t* alpha_face = a.alpha_face + int64_t(n) * hw;
  const int64_t* color_face = a.color_face + int64_t(n) * hw;
  const scalar_t* color_inv_depth = a.color_inv_depth + int64_t(n) * hw;
  const scalar_t size = scalar_t(p.height < p.width ? p.height : p.width);
  scalar_t grad[3][2] = {{0, 0}, {0, 0}, {0, 0}};
  if (face.valid) {
    for (int axis = 0; axis < 2; ++axis) {
      const scalar_t* u = axis == 0 ? face.x : face.y;
      const scalar_t* v = axis == 0 ? face.y : face.x;
      const int num_lines = axis == 0 ? p.height : p.width;
      const int num_along = axis == 0 ? p.width : p.height;
      const scalar_t u0 = axis == 0 ? nmr_column_x<scalar_t>(p, 0) : nmr_row_y<scalar_t>(p, 0);
      const scalar_t step_size = scalar_t(2.0 / double(p.height < p.width ? p.height : p.width));  // as Python: 2 / S
      const scalar_t du = axis == 0 ? step_size : -step_size;
      for (int e = 0; e < 3; ++e) {
        const int ia = e, ib = (e + 1) % 3, ic = (e + 2) % 3;
        const scalar_t dv = v[ib] - v[ia];
        if (dv == scalar_t(0)) continue;
        const scalar_t edge_at_c = u[ia] + (v[ic] - v[ia]) / dv * (u[ib] - u[ia]);
        const scalar_t gap = u[ic] - edge_at_c;
        const int side = gap > scalar_t(0) ? 1 : (gap < scalar_t(0) ? -1 : 0);
        if (side == 0) continue;
        const int step = du > scalar_t(0) ? side : -side;  // the face's side, in pixel-index order
        const scalar_t vmin = sr_min(v[ia], v[ib]), vmax = sr_max(v[ia], v[ib]);
        for (int line = 0; line < num_lines; ++line) {
          const scalar_t vl = axis == 0 ? nmr_row_y<scalar_t>(p, line) : nmr_column_x<scalar_t>(p, line);
          if (!(vl >= vmin && vl <= vmax)) continue;
          const scalar_t t = (vl - v[ia]) / dv;
          const scalar_t u_cross = u[ia] + t * (u[ib] - u[ia]);
          const scalar_t position = (u_cross - u0) / du;
          const scalar_t in_position = step > 0 ? ceil(position) : floor(position);
          const scalar_t out_position = in_position - scalar_t(step);
          if (!(in_position >= scalar_t(0) && in_position < scalar_t(num_along) && out_position >= scalar_t(0) &&
                out_position < scalar_t(num_along)))
            continue;
          const int in_j = int(in_position), out_j = int(out_position);
          const int64_t in_pixel = line_pixel(p, axis, line, in_j), out_pixel = line_pixel(p, axis, line, out_j);
          const bool alpha_in_is_face = alpha_face[in_pixel] == f;
          const bool color_in_is_face = C > 0 && color_face[in_pixel] == f;
          scalar_t per_line = scalar_t(0);
          for (int j = 0; j < num_along; ++j) {
            const bool outside = step * (j - out_j) <= 0;
            const bool inside = step * (j - in_j) >= 0;
            if (!outside && !inside) continue;
            const scalar_t along = axis == 0 ? nmr_column_x<scalar_t>(p, j) : nmr_row_y<scalar_t>(p, j);
            const scalar_t dist = along - u_cross;
            if (dist == scalar_t(0)) continue;
            const int64_t pixel = line_pixel(p, axis, line, j);
            scalar_t total = scalar_t(0);
            if (outside) {
              if (alpha_in_is_face) total += g_alpha[pixel] * (alpha[in_pixel] - alpha[pixel]);
              if (color_in_is_face) {
                bool in_front = color_face[pixel] < 0;
                if (!in_front) {
                  scalar_t w[3];
                  nmr_barycentrics(face, nmr_column_x<scalar_t>(p, int(pixel % p.width)),
                                   nmr_row_y<scalar_t>(p, int(pixel / p.width)), w);
                  in_front = nmr_inv_depth(face, w) > color_inv_depth[pixel];
                }
                if (in_front) total += color_change(a, n, in_pixel, pixel);
              }
            } else {
              if (alpha_face[pixel] == f) total += g_alpha[pixel] * (alpha[out_pixel] - alpha[pixel]);
              if (C > 0 && color_face[pixel] == f) total += color_change(a, n, out_pixel, pixel);
            }
            if (total < scalar_t(0)) per_line += total / dist;
          }
          grad[ia][axis] += per_line * (scalar_t(1) - t);
          grad[ib][axis] += per_line * t;
        }
      }
    }
  }
  scalar_t* gv = a.grad_vertices + index * 9;
  for (int k = 0; k < 3; ++k) {
    gv[3 * k] = grad[k][0];
    gv[3 * k + 1] = grad[k][1];
  }
  if (C == 0 || a.grad_colors == nullptr || !face.valid) return;
  // dL/dcolors: every pixel this face shows, in row-major order, over its (conservative)
  // pixel window.
  const scalar_t xmin = sr_min(sr_min(face.x[0], face.x[1]), face.x[2]);
  const scalar_t xmax = sr_max(sr_max(face.x[0], face.x[1]), face.x[2]);
  const scalar_t ymin = sr_min(sr_min(face.y[0], face.y[1]), face.y[2]);
  const scalar_t ymax = sr_max(sr_max(face.y[0], face.y[1]), face.y[2]);
  const scalar_t half = scalar_t(0.5);
  const scalar_t col_lo = floor((xmin * size + scalar_t(p.width - 1)) * half) - 1;
  const scalar_t col_hi = ceil((xmax * size + scalar_t(p.width - 1)) * half) + 1;
  const scalar_t row_lo = floor((scalar_t(p.height - 1) - ymax * size) * half) - 1;
  const scalar_t row_hi = ceil((scalar_t(p.height - 1) - ymin * size) * half) + 1;
  const int c0 = int(sr_max(col_lo, scalar_t(0))), c1 = int(sr_min(col_hi, scalar_t(p.width - 1)));
  const int r0 = int(sr_max(row_lo, scalar_t(0))), r1 = int(sr_min(row_hi, scalar_t(p.height - 1)));
  scalar_t* gc = a.grad_colors + index * p.color_samples() * C;
  for (int row = r0; row <= r1; ++row) {
    for (int col = c0; col <= c1; ++col) {
      const int64_t pixel = int64_t(row) * p.width + col;
      if (color_face[pixel] != f) continue;
      scalar_t w[3], wc[3];
      nmr_barycentrics(face, nmr_column_x<scalar_t>(p, col), nmr_row_y<scalar_t>(p, row), w);
      nmr_clip(w, wc);
      const int texel = p.texture_res > 0 ? surface_texel(p.texture_res, wc) : -1;
      for (int c = 0; c < C; ++c) {
        const scalar_t g = a.grad_image[(int64_t(n) * (C + 1) + c) * hw + pixel];
        if (texel >= 0) {
          gc[texel * C + c] += g;
        } else {
          for (int k = 0; k < 3; ++k) gc[k * C + c] += wc[k] * g;
        }
      }
    }
  }
}

}  // namespace softrecon
