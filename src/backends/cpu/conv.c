/* Conv (2-D, grouped, strided, dilated, zero-padded) as im2col + sgemm, and its input gradient
 * as sgemm + col2im.
 *   x [N, C, H, W], W [M, C/groups, kh, kw], optional b [M]  ->  y [N, M, OH, OW]
 * Per sample n and group g (Cg = C/groups input and Mg = M/groups output channels, Kc = Cg*kh*kw):
 *   col [Kc, OH*OW] = im2col(x[n, g*Cg ..]),   y[n, g*Mg ..] [Mg, OH*OW] = W_g [Mg, Kc] . col (+ b)
 *   dcol [Kc, OH*OW] = W_g^T . dy[n, g*Mg ..],  dx[n, g*Cg ..] += col2im(dcol)
 * A 1x1 kernel with unit strides and no padding skips im2col: col is x itself.
 *
 * Work split (see backend.c): a batch of at least GT_CPU_CONV_WIDE_BATCH samples runs one
 * (sample, group) task per thread at a time, each with its own column buffer (a slice of the
 * scratch) and a single-threaded sgemm. Smaller batches are split inside each sample instead:
 * im2col and col2im by channels, the sgemm by fixed blocks of output columns. Both splits
 * depend on the shapes only, so results do not depend on the number of threads. */
#include "cpu_ops.h"
#include "backends/op_layout.h"

#include <cblas.h>
#include <omp.h>
#include <string.h>

#define GT_CPU_CONV_WIDE_BATCH 4  /* batches below this are split inside the sample */
#define GT_CPU_CONV_COL_BLOCK 128 /* target output columns per sgemm block in that split */

/* The shared geometry (backends/op_layout.h) plus this backend's im2col patch. */
typedef struct conv_geom {
  gt_op_conv_geom s;
  gt_cpu_patch patch;
} conv_geom;

static gt_status conv_geom_of(const gt_op_call *call, int shapes_only, conv_geom *cg, gt_error *err) {
  gt_status st = gt_op_conv_geom_of("cpu", call, shapes_only, &cg->s, err);
  if (st != GT_OK) return st;
  const gt_op_conv_geom *g = &cg->s;
  gt_cpu_patch pt = {g->h, g->w, g->oh, g->ow, g->kh, g->kw, g->sh, g->sw, g->dh, g->dw, g->pt, g->pl};
  cg->patch = pt;
  return GT_OK;
}

/* The full check of a call: tensors usable (contiguous, with data), then the shapes. */
static gt_status conv_check(const gt_op_call *call, conv_geom *g, gt_error *err) {
  return conv_geom_of(call, 0, g, err);
}

/* Floats of one thread's column buffer, rounded up to whole 64-byte lines. */
static int64_t slice_floats(const conv_geom *g) {
  if (g->s.pointwise) return 0;
  return (g->s.kc * g->s.ohw + 15) / 16 * 16;
}

static size_t scratch_need(const gt_backend *be, const conv_geom *g) {
  return (size_t)slice_floats(g) * sizeof(float) * (size_t)gt_cpu_threads(be);
}

size_t gt_cpu_conv_scratch(gt_backend *be, const gt_op_call *call) {
  conv_geom g;
  gt_error ignored;
  if (conv_geom_of(call, 1, &g, &ignored) != GT_OK) return 0; /* the op itself will report the problem */
  return scratch_need(be, &g);
}

/* Output columns per block in the in-sample split: about GT_CPU_CONV_COL_BLOCK, blocks of equal
 * size rounded to 16 columns; a function of the shape only. */
static int64_t col_block(const conv_geom *g) {
  int64_t blocks = (g->s.ohw + GT_CPU_CONV_COL_BLOCK - 1) / GT_CPU_CONV_COL_BLOCK;
  if (blocks < 1) blocks = 1;
  int64_t width = (g->s.ohw + blocks - 1) / blocks;
  return (width + 15) / 16 * 16;
}

/* Columns [j0, j0+cols) of rows [0, rows) of a matrix with row stride ld, set to 0. OpenBLAS's
 * own beta = 0 pass is slower than this plus beta = 1 on these small matrices (measured). */
static void zero_block(float *c, int64_t rows, int64_t ld, int64_t j0, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) memset(c + r * ld + j0, 0, (size_t)cols * sizeof(float));
}

/* y_g[:, j0 .. j0+cols) = W_g . col[:, j0 ..] (+ b), for one group of one sample.
 * y_g: [Mg, OHW] (row stride OHW), col: [Kc, OHW], wg: [Mg, Kc], bias_g: [Mg] or NULL. */
static void gemm_forward(const conv_geom *g, const float *wg, const float *col, const float *bias_g, float *y_g,
                         int64_t j0, int64_t cols) {
  if (bias_g)
    for (int64_t m = 0; m < g->s.mg; m++)
      for (int64_t j = 0; j < cols; j++) y_g[m * g->s.ohw + j0 + j] = bias_g[m];
  else
    zero_block(y_g, g->s.mg, g->s.ohw, j0, cols);
  if (g->s.kc == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->s.mg, (int)cols, (int)g->s.kc, 1.0f, wg, (int)g->s.kc,
              col + j0, (int)g->s.ohw, 1.0f, y_g + j0, (int)g->s.ohw);
}

/* dcol[:, j0 .. j0+cols) (+)= W_g^T . dy_g[:, j0 ..]: adds when `add` (the pointwise case, where
 * dcol is dx itself), else overwrites. dcol: [Kc, OHW], dy_g: [Mg, OHW]. */
static void gemm_backward(const conv_geom *g, const float *wg, const float *dy_g, float *dcol, int add, int64_t j0,
                          int64_t cols) {
  if (!add) zero_block(dcol, g->s.kc, g->s.ohw, j0, cols);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)g->s.kc, (int)cols, (int)g->s.mg, 1.0f, wg, (int)g->s.kc,
              dy_g + j0, (int)g->s.ohw, 1.0f, dcol + j0, (int)g->s.ohw);
}

gt_status gt_cpu_conv_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  conv_geom g;
  gt_status st = conv_check(call, &g, err);
  if (st == GT_OK) st = gt_cpu_check_scratch(call, scratch_need(be, &g), err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data, *wt = call->in[1]->data;
  const float *bias = call->node->n_inputs == 3 ? call->in[2]->data : NULL;
  float *y = call->out->data, *scratch = call->scratch;
  int64_t slice = slice_floats(&g), tasks = g.s.n * g.s.groups;
  int nt = gt_cpu_threads(be);
  if (g.s.ohw == 0 || g.s.mg == 0 || tasks == 0) return GT_OK;

  if (g.s.n >= GT_CPU_CONV_WIDE_BATCH) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
      int64_t n = t / g.s.groups, grp = t % g.s.groups;
      const float *xg = x + (n * g.s.c + grp * g.s.cg) * g.s.h * g.s.w;
      float *buf = g.s.pointwise ? NULL : scratch + (int64_t)omp_get_thread_num() * slice;
      if (!g.s.pointwise) gt_cpu_im2col(&g.patch, xg, 0, g.s.cg, 0, g.s.ohw, buf, g.s.ohw);
      const float *col = g.s.pointwise ? xg : buf;
      gemm_forward(&g, wt + grp * g.s.mg * g.s.kc, col, bias ? bias + grp * g.s.mg : NULL,
                   y + (n * g.s.m + grp * g.s.mg) * g.s.ohw, 0, g.s.ohw);
    }
    return GT_OK;
  }

  /* Small batch: all threads on one (sample, group) at a time, each on its own blocks of output
   * columns: it builds those columns of the shared column buffer (slice 0) and multiplies them.
   * No barrier between tasks: a static schedule of the same loop gives every thread the same
   * blocks each time, so no thread touches columns another thread may still be reading. */
  int64_t width = col_block(&g), blocks = (g.s.ohw + width - 1) / width;
#pragma omp parallel num_threads(nt)
  for (int64_t t = 0; t < tasks; t++) {
    int64_t n = t / g.s.groups, grp = t % g.s.groups;
    const float *xg = x + (n * g.s.c + grp * g.s.cg) * g.s.h * g.s.w;
    const float *col = g.s.pointwise ? xg : scratch;
#pragma omp for schedule(static) nowait
    for (int64_t b = 0; b < blocks; b++) {
      int64_t j0 = b * width, cols = g.s.ohw - j0 < width ? g.s.ohw - j0 : width;
      if (!g.s.pointwise) gt_cpu_im2col(&g.patch, xg, 0, g.s.cg, j0, j0 + cols, scratch, g.s.ohw);
      gemm_forward(&g, wt + grp * g.s.mg * g.s.kc, col, bias ? bias + grp * g.s.mg : NULL,
                   y + (n * g.s.m + grp * g.s.mg) * g.s.ohw, j0, cols);
    }
  }
  return GT_OK;
}

gt_status gt_cpu_conv_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                               gt_tensor *const *grad_in, gt_error *err) {
  conv_geom g;
  gt_status st = conv_check(call, &g, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 2, 3, grad_out, grad_in, err);
  if (st == GT_OK) st = gt_cpu_refuse_weight_grads(call, grad_in, 1, err);
  if (st == GT_OK && grad_in[0]) st = gt_cpu_check_scratch(call, scratch_need(be, &g), err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  const float *wt = call->in[1]->data, *dy = grad_out->data;
  float *dx = grad_in[0]->data, *scratch = call->scratch;
  int64_t slice = slice_floats(&g), tasks = g.s.n * g.s.groups;
  int nt = gt_cpu_threads(be);
  if (g.s.ohw == 0 || g.s.mg == 0 || g.s.kc == 0 || tasks == 0) return GT_OK; /* nothing flows back */

  if (g.s.n >= GT_CPU_CONV_WIDE_BATCH) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
      int64_t n = t / g.s.groups, grp = t % g.s.groups;
      float *dxg = dx + (n * g.s.c + grp * g.s.cg) * g.s.h * g.s.w;
      const float *wg = wt + grp * g.s.mg * g.s.kc, *dyg = dy + (n * g.s.m + grp * g.s.mg) * g.s.ohw;
      if (g.s.pointwise) {
        gemm_backward(&g, wg, dyg, dxg, 1, 0, g.s.ohw);
        continue;
      }
      float *dcol = scratch + (int64_t)omp_get_thread_num() * slice;
      gemm_backward(&g, wg, dyg, dcol, 0, 0, g.s.ohw);
      gt_cpu_col2im(&g.patch, dcol, g.s.ohw, 0, g.s.cg, dxg);
    }
    return GT_OK;
  }

  /* Small batch: column blocks of dcol, then col2im by channels (each channel owns its plane). */
  int64_t width = col_block(&g), blocks = (g.s.ohw + width - 1) / width;
#pragma omp parallel num_threads(nt)
  for (int64_t t = 0; t < tasks; t++) {
    int64_t n = t / g.s.groups, grp = t % g.s.groups;
    float *dxg = dx + (n * g.s.c + grp * g.s.cg) * g.s.h * g.s.w;
    const float *wg = wt + grp * g.s.mg * g.s.kc, *dyg = dy + (n * g.s.m + grp * g.s.mg) * g.s.ohw;
    float *dcol = g.s.pointwise ? dxg : scratch;
#pragma omp for schedule(static)
    for (int64_t b = 0; b < blocks; b++) {
      int64_t j0 = b * width, cols = g.s.ohw - j0 < width ? g.s.ohw - j0 : width;
      gemm_backward(&g, wg, dyg, dcol, g.s.pointwise, j0, cols);
    }
    if (!g.s.pointwise) {
#pragma omp for schedule(static)
      for (int64_t c = 0; c < g.s.cg; c++) gt_cpu_col2im(&g.patch, dcol, g.s.ohw, c, c + 1, dxg);
    }
  }
  return GT_OK;
}
