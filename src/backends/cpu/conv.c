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

#include <cblas.h>
#include <limits.h>
#include <omp.h>
#include <string.h>

#define GT_CPU_CONV_WIDE_BATCH 4  /* batches below this are split inside the sample */
#define GT_CPU_CONV_COL_BLOCK 128 /* target output columns per sgemm block in that split */

typedef struct conv_geom {
  int64_t n, c, h, w;    /* x */
  int64_t m, cg, kh, kw; /* weights */
  int64_t oh, ow;        /* y */
  int64_t groups, mg;    /* mg = M / groups output channels per group */
  int64_t kc, ohw;       /* rows and columns of one group's column matrix */
  int pointwise;         /* 1x1, unit strides, no padding: the column matrix is x itself */
  gt_cpu_patch patch;
} conv_geom;

/* Output length of one spatial dim (the ONNX / PyTorch formula, floor rounding). */
static int64_t conv_out_len(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t k, int64_t dil, int64_t stride) {
  int64_t span = in + pad_begin + pad_end - dil * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

/* The ref backend's shape rules, plus the limit that sgemm dimensions fit in an int. Reads
 * shapes only (the tensors must be present): the executor sizes scratch before any data exists. */
static gt_status conv_geom_of(const gt_op_call *call, conv_geom *g, gt_error *err) {
  if (!call || !call->node || !call->in || !call->out || call->node->n_inputs < 2 || call->node->n_inputs > 3)
    return gt_cpu_fail(call, err, GT_ERR_USAGE, "needs x, W and an optional bias");
  for (int i = 0; i < call->node->n_inputs; i++)
    if (!call->in[i]) return gt_cpu_fail(call, err, GT_ERR_USAGE, "input %d is missing", i);
  const gt_conv_params *p = &call->node->p.conv;
  const gt_tensor *x = call->in[0], *wt = call->in[1], *y = call->out;
  char a[96], b[96], c[96];
  if (x->ndim != 4 || wt->ndim != 4 || y->ndim != 4)
    return gt_cpu_fail(call, err, GT_ERR_SHAPE, "x %s, W %s and y %s must all have rank 4",
                       gt_shape_format(x->ndim, x->shape, a, sizeof a), gt_shape_format(wt->ndim, wt->shape, b, sizeof b),
                       gt_shape_format(y->ndim, y->shape, c, sizeof c));
  for (int d = 0; d < 4; d++)
    if (x->shape[d] < 0 || wt->shape[d] < 0 || y->shape[d] < 0 || x->shape[d] > GT_MAX_DIM_SIZE ||
        wt->shape[d] > GT_MAX_DIM_SIZE || y->shape[d] > GT_MAX_DIM_SIZE)
      return gt_cpu_fail(call, err, GT_ERR_LIMIT, "dim %d of x, W or y is negative or beyond the size cap", d);
  if (p->groups < 1 || p->stride_h < 1 || p->stride_w < 1 || p->dilation_h < 1 || p->dilation_w < 1 ||
      p->pad_top < 0 || p->pad_left < 0 || p->pad_bottom < 0 || p->pad_right < 0)
    return gt_cpu_fail(call, err, GT_ERR_USAGE,
                       "bad params: groups %d, strides %dx%d, dilations %dx%d (all >= 1), pads %d,%d,%d,%d (>= 0)",
                       p->groups, p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->pad_top, p->pad_left,
                       p->pad_bottom, p->pad_right);
  g->n = x->shape[0], g->c = x->shape[1], g->h = x->shape[2], g->w = x->shape[3];
  g->m = wt->shape[0], g->cg = wt->shape[1], g->kh = wt->shape[2], g->kw = wt->shape[3];
  g->groups = p->groups;
  if ((p->kernel_h && p->kernel_h != g->kh) || (p->kernel_w && p->kernel_w != g->kw))
    return gt_cpu_fail(call, err, GT_ERR_SHAPE, "kernel %dx%d does not match W %s", p->kernel_h, p->kernel_w,
                       gt_shape_format(wt->ndim, wt->shape, a, sizeof a));
  if (g->c % g->groups != 0 || g->m % g->groups != 0 || g->cg != g->c / g->groups)
    return gt_cpu_fail(call, err, GT_ERR_SHAPE, "x %s and W %s do not fit %lld groups",
                       gt_shape_format(x->ndim, x->shape, a, sizeof a), gt_shape_format(wt->ndim, wt->shape, b, sizeof b),
                       (long long)g->groups);
  g->mg = g->m / g->groups;
  if (call->node->n_inputs == 3 && (call->in[2]->ndim != 1 || call->in[2]->shape[0] != g->m))
    return gt_cpu_fail(call, err, GT_ERR_SHAPE, "bias %s must be [%lld]",
                       gt_shape_format(call->in[2]->ndim, call->in[2]->shape, a, sizeof a), (long long)g->m);
  g->oh = conv_out_len(g->h, p->pad_top, p->pad_bottom, g->kh, p->dilation_h, p->stride_h);
  g->ow = conv_out_len(g->w, p->pad_left, p->pad_right, g->kw, p->dilation_w, p->stride_w);
  if (y->shape[0] != g->n || y->shape[1] != g->m || y->shape[2] != g->oh || y->shape[3] != g->ow)
    return gt_cpu_fail(call, err, GT_ERR_SHAPE, "output %s, expected [%lld, %lld, %lld, %lld]",
                       gt_shape_format(y->ndim, y->shape, a, sizeof a), (long long)g->n, (long long)g->m,
                       (long long)g->oh, (long long)g->ow);
  /* Each factor is within the element cap of W or y; their product may not be. */
  g->kc = g->cg * g->kh * g->kw;
  g->ohw = g->oh * g->ow;
  if (g->kc > INT_MAX || g->ohw > INT_MAX || g->mg > INT_MAX || g->kc > GT_MAX_ELEMENTS / (g->ohw > 0 ? g->ohw : 1))
    return gt_cpu_fail(call, err, GT_ERR_LIMIT, "column matrix [%lld, %lld] is beyond the size cap", (long long)g->kc,
                       (long long)g->ohw);
  g->pointwise = g->kh == 1 && g->kw == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
                 p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0;
  gt_cpu_patch pt = {g->h, g->w, g->oh, g->ow, g->kh, g->kw, p->stride_h, p->stride_w,
                     p->dilation_h, p->dilation_w, p->pad_top, p->pad_left};
  g->patch = pt;
  return GT_OK;
}

/* The full check of a call: tensors usable (contiguous, with data), then the shapes. */
static gt_status conv_check(const gt_op_call *call, conv_geom *g, gt_error *err) {
  gt_status st = gt_cpu_check_call(call, 2, 3, err);
  return st != GT_OK ? st : conv_geom_of(call, g, err);
}

/* Floats of one thread's column buffer, rounded up to whole 64-byte lines. */
static int64_t slice_floats(const conv_geom *g) {
  if (g->pointwise) return 0;
  return (g->kc * g->ohw + 15) / 16 * 16;
}

static size_t scratch_need(const gt_backend *be, const conv_geom *g) {
  return (size_t)slice_floats(g) * sizeof(float) * (size_t)gt_cpu_threads(be);
}

size_t gt_cpu_conv_scratch(gt_backend *be, const gt_op_call *call) {
  conv_geom g;
  gt_error ignored;
  if (conv_geom_of(call, &g, &ignored) != GT_OK) return 0; /* the op itself will report the problem */
  return scratch_need(be, &g);
}

/* Output columns per block in the in-sample split: about GT_CPU_CONV_COL_BLOCK, blocks of equal
 * size rounded to 16 columns; a function of the shape only. */
static int64_t col_block(const conv_geom *g) {
  int64_t blocks = (g->ohw + GT_CPU_CONV_COL_BLOCK - 1) / GT_CPU_CONV_COL_BLOCK;
  if (blocks < 1) blocks = 1;
  int64_t width = (g->ohw + blocks - 1) / blocks;
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
    for (int64_t m = 0; m < g->mg; m++)
      for (int64_t j = 0; j < cols; j++) y_g[m * g->ohw + j0 + j] = bias_g[m];
  else
    zero_block(y_g, g->mg, g->ohw, j0, cols);
  if (g->kc == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->mg, (int)cols, (int)g->kc, 1.0f, wg, (int)g->kc,
              col + j0, (int)g->ohw, 1.0f, y_g + j0, (int)g->ohw);
}

/* dcol[:, j0 .. j0+cols) (+)= W_g^T . dy_g[:, j0 ..]: adds when `add` (the pointwise case, where
 * dcol is dx itself), else overwrites. dcol: [Kc, OHW], dy_g: [Mg, OHW]. */
static void gemm_backward(const conv_geom *g, const float *wg, const float *dy_g, float *dcol, int add, int64_t j0,
                          int64_t cols) {
  if (!add) zero_block(dcol, g->kc, g->ohw, j0, cols);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)g->kc, (int)cols, (int)g->mg, 1.0f, wg, (int)g->kc,
              dy_g + j0, (int)g->ohw, 1.0f, dcol + j0, (int)g->ohw);
}

gt_status gt_cpu_conv_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  conv_geom g;
  gt_status st = conv_check(call, &g, err);
  if (st == GT_OK) st = gt_cpu_check_scratch(call, scratch_need(be, &g), err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data, *wt = call->in[1]->data;
  const float *bias = call->node->n_inputs == 3 ? call->in[2]->data : NULL;
  float *y = call->out->data, *scratch = call->scratch;
  int64_t slice = slice_floats(&g), tasks = g.n * g.groups;
  int nt = gt_cpu_threads(be);
  if (g.ohw == 0 || g.mg == 0 || tasks == 0) return GT_OK;

  if (g.n >= GT_CPU_CONV_WIDE_BATCH) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
      int64_t n = t / g.groups, grp = t % g.groups;
      const float *xg = x + (n * g.c + grp * g.cg) * g.h * g.w;
      float *buf = g.pointwise ? NULL : scratch + (int64_t)omp_get_thread_num() * slice;
      if (!g.pointwise) gt_cpu_im2col(&g.patch, xg, 0, g.cg, 0, g.ohw, buf, g.ohw);
      const float *col = g.pointwise ? xg : buf;
      gemm_forward(&g, wt + grp * g.mg * g.kc, col, bias ? bias + grp * g.mg : NULL,
                   y + (n * g.m + grp * g.mg) * g.ohw, 0, g.ohw);
    }
    return GT_OK;
  }

  /* Small batch: all threads on one (sample, group) at a time, each on its own blocks of output
   * columns: it builds those columns of the shared column buffer (slice 0) and multiplies them.
   * No barrier between tasks: a static schedule of the same loop gives every thread the same
   * blocks each time, so no thread touches columns another thread may still be reading. */
  int64_t width = col_block(&g), blocks = (g.ohw + width - 1) / width;
#pragma omp parallel num_threads(nt)
  for (int64_t t = 0; t < tasks; t++) {
    int64_t n = t / g.groups, grp = t % g.groups;
    const float *xg = x + (n * g.c + grp * g.cg) * g.h * g.w;
    const float *col = g.pointwise ? xg : scratch;
#pragma omp for schedule(static) nowait
    for (int64_t b = 0; b < blocks; b++) {
      int64_t j0 = b * width, cols = g.ohw - j0 < width ? g.ohw - j0 : width;
      if (!g.pointwise) gt_cpu_im2col(&g.patch, xg, 0, g.cg, j0, j0 + cols, scratch, g.ohw);
      gemm_forward(&g, wt + grp * g.mg * g.kc, col, bias ? bias + grp * g.mg : NULL,
                   y + (n * g.m + grp * g.mg) * g.ohw, j0, cols);
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
  int64_t slice = slice_floats(&g), tasks = g.n * g.groups;
  int nt = gt_cpu_threads(be);
  if (g.ohw == 0 || g.mg == 0 || g.kc == 0 || tasks == 0) return GT_OK; /* nothing flows back */

  if (g.n >= GT_CPU_CONV_WIDE_BATCH) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
      int64_t n = t / g.groups, grp = t % g.groups;
      float *dxg = dx + (n * g.c + grp * g.cg) * g.h * g.w;
      const float *wg = wt + grp * g.mg * g.kc, *dyg = dy + (n * g.m + grp * g.mg) * g.ohw;
      if (g.pointwise) {
        gemm_backward(&g, wg, dyg, dxg, 1, 0, g.ohw);
        continue;
      }
      float *dcol = scratch + (int64_t)omp_get_thread_num() * slice;
      gemm_backward(&g, wg, dyg, dcol, 0, 0, g.ohw);
      gt_cpu_col2im(&g.patch, dcol, g.ohw, 0, g.cg, dxg);
    }
    return GT_OK;
  }

  /* Small batch: column blocks of dcol, then col2im by channels (each channel owns its plane). */
  int64_t width = col_block(&g), blocks = (g.ohw + width - 1) / width;
#pragma omp parallel num_threads(nt)
  for (int64_t t = 0; t < tasks; t++) {
    int64_t n = t / g.groups, grp = t % g.groups;
    float *dxg = dx + (n * g.c + grp * g.cg) * g.h * g.w;
    const float *wg = wt + grp * g.mg * g.kc, *dyg = dy + (n * g.m + grp * g.mg) * g.ohw;
    float *dcol = g.pointwise ? dxg : scratch;
#pragma omp for schedule(static)
    for (int64_t b = 0; b < blocks; b++) {
      int64_t j0 = b * width, cols = g.ohw - j0 < width ? g.ohw - j0 : width;
      gemm_backward(&g, wg, dyg, dcol, g.pointwise, j0, cols);
    }
    if (!g.pointwise) {
#pragma omp for schedule(static)
      for (int64_t c = 0; c < g.cg; c++) gt_cpu_col2im(&g.patch, dcol, g.ohw, c, c + 1, dxg);
    }
  }
  return GT_OK;
}
