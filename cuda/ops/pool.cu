/* MaxPool and AveragePool (2-D, strided, dilated, padded; GlobalAveragePool is AveragePool with
 * kernel = H x W) on the device, forward and input gradient, with the cpu / ref semantics:
 *   x [N, C, H, W]  ->  y [N, C, OH, OW];  window (oh, ow): taps (i, j) at input cell
 *   (oh*sh - pt + i*dh, ow*sw - pl + j*dw), scanned i-major ("window order").
 *  - MaxPool ignores padded cells; backward routes dy to the FIRST maximal cell in window order
 *    (strict '>'), so ties go to the same cell as on cpu and ref.
 *  - AveragePool divides by the taps inside the input (count_include_pad = 0) or inside the padded
 *    extent [-pt, H + pb) x [-pl, W + pr) (count_include_pad = 1); a window with no cell inside
 *    the input gives 0 and passes no gradient.
 * Forward: one thread per output. Backward: one thread per input cell gathers from the windows
 * that contain it, in (oh, ow) order (the cpu backend's order of additions), so no atomics. */
#include "cuda_ops.h"
#include "backends/op_layout.h"
#include "gauntlet/hd/layout.h"

/* The taps of window (oh, ow) that lie inside the input, and its AveragePool divisor. */
typedef struct window {
  int64_t ih0, iw0, i_lo, i_hi, j_lo, j_hi, div;
} window;

static __device__ __host__ window window_of(const gt_op_pool_geom &g, int64_t oh, int64_t ow) {
  window w;
  w.ih0 = oh * g.sh - g.pt;
  w.iw0 = ow * g.sw - g.pl;
  gt_hd_tap_range(w.ih0, g.kh, g.dh, 0, g.h, &w.i_lo, &w.i_hi);
  gt_hd_tap_range(w.iw0, g.kw, g.dw, 0, g.w, &w.j_lo, &w.j_hi);
  int64_t di = w.i_hi - w.i_lo, dj = w.j_hi - w.j_lo;
  if (g.count_include_pad) {
    int64_t lo, hi;
    gt_hd_tap_range(w.ih0, g.kh, g.dh, -g.pt, g.h + g.pb, &lo, &hi);
    di = hi - lo;
    gt_hd_tap_range(w.iw0, g.kw, g.dw, -g.pl, g.w + g.pr, &lo, &hi);
    dj = hi - lo;
  }
  w.div = di * dj;
  return w;
}

/* Offset in the plane of the window's first maximal cell, or -1 when no tap is inside. */
static __device__ __host__ int64_t max_cell(const gt_op_pool_geom &g, const float *plane, const window &w) {
  if (w.i_lo >= w.i_hi || w.j_lo >= w.j_hi) return -1;
  int64_t best = (w.ih0 + w.i_lo * g.dh) * g.w + w.iw0 + w.j_lo * g.dw;
  float best_v = plane[best];
  for (int64_t i = w.i_lo; i < w.i_hi; i++) {
    int64_t row = (w.ih0 + i * g.dh) * g.w + w.iw0;
    for (int64_t j = w.j_lo; j < w.j_hi; j++) {
      float v = plane[row + j * g.dw];
      if (v > best_v) {
        best_v = v;
        best = row + j * g.dw;
      }
    }
  }
  return best;
}

static __global__ void maxpool_forward_kernel(gt_op_pool_geom g, const float *__restrict__ x, int64_t total,
                                              float *__restrict__ y) {
  GT_KERNEL_LOOP(e, total) {
    int64_t ow = e % g.ow, oh = (e / g.ow) % g.oh, nc = e / (g.ow * g.oh);
    const float *plane = x + nc * g.h * g.w;
    int64_t cell = max_cell(g, plane, window_of(g, oh, ow));
    y[e] = cell >= 0 ? plane[cell] : 0.0f;
  }
}

static __global__ void avgpool_forward_kernel(gt_op_pool_geom g, const float *__restrict__ x, int64_t total,
                                              float *__restrict__ y) {
  GT_KERNEL_LOOP(e, total) {
    int64_t ow = e % g.ow, oh = (e / g.ow) % g.oh, nc = e / (g.ow * g.oh);
    const float *plane = x + nc * g.h * g.w;
    window w = window_of(g, oh, ow);
    float sum = 0.0f;
    for (int64_t i = w.i_lo; i < w.i_hi; i++) {
      int64_t row = (w.ih0 + i * g.dh) * g.w + w.iw0;
      for (int64_t j = w.j_lo; j < w.j_hi; j++) sum += plane[row + j * g.dw];
    }
    int empty = w.i_hi == w.i_lo || w.j_hi == w.j_lo;
    y[e] = !empty && w.div > 0 ? sum / (float)w.div : 0.0f;
  }
}

/* Outputs [*lo, *hi) along one dim whose window has a tap on input index `in` (one tap at most,
 * at (in + pad - o*s) / d when that divides). */
static __device__ __host__ void covering(int64_t in, int64_t pad, int64_t k, int64_t d, int64_t s, int64_t out,
                                         int64_t *lo, int64_t *hi) {
  int64_t top = in + pad;                 /* o*s + t*d == top */
  int64_t first = top - (k - 1) * d;      /* the smallest o*s */
  int64_t a = first <= 0 ? 0 : (first + s - 1) / s;
  int64_t b = top < 0 ? 0 : top / s + 1;
  *lo = a;
  *hi = b < out ? b : out;
}

/* One thread per input cell (n, c, ih, iw): dx += dy of every window whose first maximum it is
 * (maxpool) or dy / divisor of every window it is a tap of (avgpool). */
static __global__ void pool_backward_kernel(gt_op_pool_geom g, int is_max, const float *__restrict__ x,
                                            const float *__restrict__ dy, int64_t total, float *__restrict__ dx) {
  GT_KERNEL_LOOP(e, total) {
    int64_t iw = e % g.w, ih = (e / g.w) % g.h, nc = e / (g.w * g.h);
    const float *plane = x + nc * g.h * g.w, *dyp = dy + nc * g.oh * g.ow;
    int64_t oh_lo, oh_hi, ow_lo, ow_hi, cell = ih * g.w + iw;
    covering(ih, g.pt, g.kh, g.dh, g.sh, g.oh, &oh_lo, &oh_hi);
    covering(iw, g.pl, g.kw, g.dw, g.sw, g.ow, &ow_lo, &ow_hi);
    float acc = dx[e];
    for (int64_t oh = oh_lo; oh < oh_hi; oh++) {
      if ((ih + g.pt - oh * g.sh) % g.dh != 0) continue; /* the window skips this row */
      for (int64_t ow = ow_lo; ow < ow_hi; ow++) {
        if ((iw + g.pl - ow * g.sw) % g.dw != 0) continue;
        window w = window_of(g, oh, ow);
        if (is_max) {
          if (max_cell(g, plane, w) == cell) acc += dyp[oh * g.ow + ow];
        } else if (w.div > 0) {
          acc += dyp[oh * g.ow + ow] / (float)w.div;
        }
      }
    }
    dx[e] = acc;
  }
}

static gt_status pool_forward(gt_backend *be, const gt_op_call *call, int is_max, gt_error *err) {
  gt_op_pool_geom g;
  gt_status st = gt_op_pool_geom_of(GT_CUDA_BACKEND_NAME, call, &g, err);
  if (st != GT_OK) return st;
  int64_t total = gt_tensor_numel(call->out);
  if (total == 0) return GT_OK;
  unsigned blocks = gt_cuda_blocks(total, GT_CUDA_THREADS);
  if (is_max)
    GT_LAUNCH(maxpool_forward_kernel, blocks, GT_CUDA_THREADS, 0, gt_cuda_stream(be), g, call->in[0]->data, total,
              call->out->data);
  else
    GT_LAUNCH(avgpool_forward_kernel, blocks, GT_CUDA_THREADS, 0, gt_cuda_stream(be), g, call->in[0]->data, total,
              call->out->data);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

static gt_status pool_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                               gt_tensor *const *grad_in, int is_max, gt_error *err) {
  gt_op_pool_geom g;
  gt_status st = gt_op_pool_geom_of(GT_CUDA_BACKEND_NAME, call, &g, err);
  if (st == GT_OK) st = gt_cuda_check_backward(call, 1, 1, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  int64_t total = grad_in[0] ? gt_tensor_numel(grad_in[0]) : 0;
  if (total == 0 || g.oh == 0 || g.ow == 0) return GT_OK;
  GT_LAUNCH(pool_backward_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be), g,
            is_max, call->in[0]->data, grad_out->data, total, grad_in[0]->data);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_maxpool_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  return pool_forward(be, call, 1, err);
}

gt_status gt_cuda_maxpool_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                   gt_tensor *const *grad_in, gt_error *err) {
  return pool_backward(be, call, grad_out, grad_in, 1, err);
}

gt_status gt_cuda_avgpool_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  return pool_forward(be, call, 0, err);
}

gt_status gt_cuda_avgpool_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                   gt_tensor *const *grad_in, gt_error *err) {
  return pool_backward(be, call, grad_out, grad_in, 0, err);
}
