/* Conv (2-D, grouped, strided, dilated, zero-padded) as im2col + sgemm, and its input gradient
 * as sgemm + col2im.
 *   x [N, C, H, W], W [M, C/groups, kh, kw], optional b [M]  ->  y [N, M, OH, OW]
 * Per sample n and group g (Cg = C/groups input and Mg = M/groups output channels, Kc = Cg*kh*kw):
 *   col [Kc, OH*OW] = im2col(x[n, g*Cg ..]),   y[n, g*Mg ..] [Mg, OH*OW] = W_g [Mg, Kc] . col (+ b)
 *   dcol [Kc, OH*OW] = W_g^T . dy[n, g*Mg ..],  dx[n, g*Cg ..] += col2im(dcol)
 * A 1x1 kernel with unit strides and no padding skips im2col: col is x itself.
 * Other unit-stride convs run the direct AVX2 kernels of conv_direct.c instead when the CPU has
 * them (no column matrix at all; gt_cpu_avx2).
 * Call flags (gauntlet/backend.h): GT_CALL_RELU (a Relu fused by the executor: forward writes
 * relu(conv(x)); backward reads the Relu's output as call->out and its gradient as grad_out and
 * uses grad_out * relu'(out) as dy) and GT_CALL_WRITE_GRAD (backward writes dx).
 *
 * Work split (see backend.c): a batch of at least GT_CPU_CONV_WIDE_BATCH samples runs one
 * (sample, group) task per thread at a time, each with its own column buffer (a slice of the
 * scratch) and a single-threaded sgemm. Smaller batches are split inside each sample instead:
 * im2col and col2im by channels, the sgemm by fixed blocks of output columns. Both splits
 * depend on the shapes only, so results do not depend on the number of threads. */
/* The fused ReLU's selects (relu_block, mask_block) may be if-converted, so that they vectorise:
 * no FP traps are ever enabled here (see unary.c). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include "cpu_ops.h"
#include "backends/op_layout.h"
#include "conv_direct.h"
#include "gauntlet/hd/activation.h"

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

static int64_t round16(int64_t floats) { return (floats + 15) / 16 * 16; }

/* The direct kernels' geometry for the forward (dir 0) or the input gradient (dir 1), or 0 when
 * the direct path does not apply: strides other than 1, 1x1 kernels (already one sgemm without
 * im2col), or no AVX2 kernels (gt_cpu_avx2). */
static int direct_geom(const gt_backend *be, const conv_geom *cg, int dir, gt_cpu_direct *d) {
  const gt_op_conv_geom *g = &cg->s;
  if (g->sh != 1 || g->sw != 1 || g->pointwise || !gt_cpu_avx2(be)) return 0;
  if (dir == 0) return gt_cpu_direct_geom(g->cg, g->h, g->w, g->mg, g->oh, g->ow, g->kh, g->kw, g->dh, g->dw, g->pt, g->pl, d);
  return gt_cpu_direct_geom(g->mg, g->oh, g->ow, g->cg, g->h, g->w, g->kh, g->kw, g->dh, g->dw,
                            (g->kh - 1) * g->dh - g->pt, (g->kw - 1) * g->dw - g->pl, d);
}

/* Direct path scratch: every group's packed weights, then one slice of column planes per thread. */
static int64_t direct_floats(const gt_backend *be, const conv_geom *g, const gt_cpu_direct *d) {
  return g->s.groups * round16(gt_cpu_direct_weight_floats(d)) +
         (int64_t)gt_cpu_threads(be) * round16(gt_cpu_direct_slice_floats(d));
}

/* Floats of one thread's column buffer, rounded up to whole 64-byte lines. */
static int64_t slice_floats(const conv_geom *g) {
  if (g->s.pointwise) return 0;
  return round16(g->s.kc * g->s.ohw);
}

/* im2col path: per thread a column buffer, then per thread a masked copy of one group's dy
 * (fused ReLU backward). Direct path: the larger of its forward and backward needs. */
static size_t scratch_need(const gt_backend *be, const conv_geom *g) {
  gt_cpu_direct fwd, bwd;
  if (direct_geom(be, g, 0, &fwd) && direct_geom(be, g, 1, &bwd)) {
    int64_t a = direct_floats(be, g, &fwd), b = direct_floats(be, g, &bwd);
    return (size_t)(a > b ? a : b) * sizeof(float);
  }
  return (size_t)(slice_floats(g) + round16(g->s.mg * g->s.ohw)) * sizeof(float) * (size_t)gt_cpu_threads(be);
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

/* y_g[:, j0 .. j0+cols) = relu(y_g[:, j0 ..]) for a fused ReLU. */
static void relu_block(const conv_geom *g, float *y_g, int64_t j0, int64_t cols) {
  for (int64_t m = 0; m < g->s.mg; m++) {
    float *row = y_g + m * g->s.ohw + j0;
    for (int64_t j = 0; j < cols; j++) row[j] = gt_relu(row[j]);
  }
}

/* dst[:, j0 .. j0+cols) = dy_g * relu'(y_g) on those columns ([Mg, OHW] each): the gradient of a
 * fused ReLU's input. */
static void mask_block(const conv_geom *g, const float *dy_g, const float *y_g, float *dst, int64_t j0, int64_t cols) {
  for (int64_t m = 0; m < g->s.mg; m++) {
    int64_t at = m * g->s.ohw + j0;
    for (int64_t j = 0; j < cols; j++) dst[at + j] = dy_g[at + j] * gt_relu_grad(y_g[at + j]);
  }
}

/* ---- the direct path (conv_direct.c) ---- */

/* Forward (dir 0: in = x, out = y) or input gradient (dir 1: in = dy, out = dx, added when
 * `add`, else written). Large batches (and the combine layout, which needs whole samples): one
 * (sample, group) task per thread at a time; small ones: every thread builds the sample's planes
 * in its own slice and takes its share of the tiles (fixed by the shapes). */
static void direct_pass(gt_backend *be, const conv_geom *g, const gt_cpu_direct *d, int dir, int add, const float *in,
                        const float *mask, const float *wt, const float *bias, int relu, float *out, float *scratch) {
  const gt_op_conv_geom *s = &g->s;
  int64_t wf = round16(gt_cpu_direct_weight_floats(d)), pf = round16(gt_cpu_direct_slice_floats(d));
  int64_t tasks = s->n * s->groups, tiles = gt_cpu_direct_tiles(d);
  int64_t in_plane = dir ? s->mg * s->ohw : s->cg * s->h * s->w, in_sample = dir ? s->m * s->ohw : s->c * s->h * s->w;
  int64_t out_plane = dir ? s->cg * s->h * s->w : s->mg * s->ohw, out_sample = dir ? s->c * s->h * s->w : s->m * s->ohw;
  int nt = gt_cpu_threads(be);
  for (int64_t grp = 0; grp < s->groups; grp++) {
    if (dir) gt_cpu_direct_pack_backward(d, wt + grp * s->mg * s->kc, scratch + grp * wf);
    else gt_cpu_direct_pack_forward(d, wt + grp * s->mg * s->kc, scratch + grp * wf);
  }
  float *slices = scratch + s->groups * wf;
  if (s->n >= GT_CPU_CONV_WIDE_BATCH || d->combine) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
      int64_t n = t / s->groups, grp = t % s->groups, at = n * in_sample + grp * in_plane;
      gt_cpu_direct_sample(d, in + at, mask ? mask + at : NULL, scratch + grp * wf, bias ? bias + grp * s->mg : NULL,
                           relu, add, slices + (int64_t)omp_get_thread_num() * pf, out + n * out_sample + grp * out_plane);
    }
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    float *planes = slices + (int64_t)omp_get_thread_num() * pf;
    int me = omp_get_thread_num(), team = omp_get_num_threads();
    for (int64_t t = 0; t < tasks; t++) {
      int64_t n = t / s->groups, grp = t % s->groups, at = n * in_sample + grp * in_plane;
      /* tile k goes to thread k % team: disjoint output cells, each summed by one thread */
      int64_t share = (tiles - me + team - 1) / team;
      if (share <= 0) continue;
      gt_cpu_direct_planes(d, in + at, mask ? mask + at : NULL, planes);
      for (int64_t k = me; k < tiles; k += team)
        gt_cpu_direct_run(d, planes, scratch + grp * wf, bias ? bias + grp * s->mg : NULL, relu, add, k, k + 1,
                          out + n * out_sample + grp * out_plane);
    }
  }
}

/* ---- forward and input gradient ---- */

gt_status gt_cpu_conv_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int relu = (call->flags & GT_CALL_RELU) != 0;
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
  gt_cpu_direct d;
  if (direct_geom(be, &g, 0, &d)) {
    direct_pass(be, &g, &d, 0, 0, x, NULL, wt, bias, relu, y, scratch);
    return GT_OK;
  }

  if (g.s.n >= GT_CPU_CONV_WIDE_BATCH) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
      int64_t n = t / g.s.groups, grp = t % g.s.groups;
      const float *xg = x + (n * g.s.c + grp * g.s.cg) * g.s.h * g.s.w;
      float *buf = g.s.pointwise ? NULL : scratch + (int64_t)omp_get_thread_num() * slice;
      if (!g.s.pointwise) gt_cpu_im2col(&g.patch, xg, 0, g.s.cg, 0, g.s.ohw, buf, g.s.ohw);
      const float *col = g.s.pointwise ? xg : buf;
      float *yg = y + (n * g.s.m + grp * g.s.mg) * g.s.ohw;
      gemm_forward(&g, wt + grp * g.s.mg * g.s.kc, col, bias ? bias + grp * g.s.mg : NULL, yg, 0, g.s.ohw);
      if (relu) relu_block(&g, yg, 0, g.s.ohw);
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
    float *yg = y + (n * g.s.m + grp * g.s.mg) * g.s.ohw;
#pragma omp for schedule(static) nowait
    for (int64_t b = 0; b < blocks; b++) {
      int64_t j0 = b * width, cols = g.s.ohw - j0 < width ? g.s.ohw - j0 : width;
      if (!g.s.pointwise) gt_cpu_im2col(&g.patch, xg, 0, g.s.cg, j0, j0 + cols, scratch, g.s.ohw);
      gemm_forward(&g, wt + grp * g.s.mg * g.s.kc, col, bias ? bias + grp * g.s.mg : NULL, yg, j0, cols);
      if (relu) relu_block(&g, yg, j0, cols);
    }
  }
  return GT_OK;
}

/* GT_CALL_RELU: call->out is the fused ReLU's output; dy = grad_out * relu'(out). */
gt_status gt_cpu_conv_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                               gt_tensor *const *grad_in, gt_error *err) {
  int relu = (call->flags & GT_CALL_RELU) != 0, write = (call->flags & GT_CALL_WRITE_GRAD) != 0;
  conv_geom g;
  gt_status st = conv_check(call, &g, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 2, 3, grad_out, grad_in, err);
  if (st == GT_OK) st = gt_cpu_refuse_weight_grads(call, grad_in, 1, err);
  if (st == GT_OK && grad_in[0]) st = gt_cpu_check_scratch(call, scratch_need(be, &g), err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  const float *wt = call->in[1]->data, *dy = grad_out->data, *y = relu ? call->out->data : NULL;
  float *dx = grad_in[0]->data, *scratch = call->scratch;
  int64_t slice = slice_floats(&g), tasks = g.s.n * g.s.groups, dy_slice = round16(g.s.mg * g.s.ohw);
  int nt = gt_cpu_threads(be);
  if (g.s.ohw == 0 || g.s.mg == 0 || g.s.kc == 0 || tasks == 0) return GT_OK; /* nothing flows back */
  gt_cpu_direct d;
  if (direct_geom(be, &g, 1, &d)) {
    direct_pass(be, &g, &d, 1, !write, dy, y, wt, NULL, 0, dx, scratch);
    return GT_OK;
  }
  float *masked = scratch + nt * slice; /* per thread dy_slice floats: dy * relu'(y) of one group */

  if (g.s.n >= GT_CPU_CONV_WIDE_BATCH) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
      int64_t n = t / g.s.groups, grp = t % g.s.groups, at = (n * g.s.m + grp * g.s.mg) * g.s.ohw;
      float *dxg = dx + (n * g.s.c + grp * g.s.cg) * g.s.h * g.s.w;
      const float *wg = wt + grp * g.s.mg * g.s.kc, *dyg = dy + at;
      if (write) memset(dxg, 0, (size_t)(g.s.cg * g.s.h * g.s.w) * sizeof(float));
      if (y) {
        float *own = masked + (int64_t)omp_get_thread_num() * dy_slice;
        mask_block(&g, dyg, y + at, own, 0, g.s.ohw);
        dyg = own;
      }
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

  /* Small batch: column blocks of dcol, then col2im by channels (each channel owns its plane).
   * A fused ReLU's masked dy goes to one shared buffer, each thread masking the columns it reads. */
  int64_t width = col_block(&g), blocks = (g.s.ohw + width - 1) / width;
#pragma omp parallel num_threads(nt)
  for (int64_t t = 0; t < tasks; t++) {
    int64_t n = t / g.s.groups, grp = t % g.s.groups, at = (n * g.s.m + grp * g.s.mg) * g.s.ohw;
    float *dxg = dx + (n * g.s.c + grp * g.s.cg) * g.s.h * g.s.w;
    const float *wg = wt + grp * g.s.mg * g.s.kc, *dyg = y ? masked : dy + at;
    float *dcol = g.s.pointwise ? dxg : scratch;
#pragma omp for schedule(static)
    for (int64_t b = 0; b < blocks; b++) {
      int64_t j0 = b * width, cols = g.s.ohw - j0 < width ? g.s.ohw - j0 : width;
      if (y) mask_block(&g, dy + at, y + at, masked, j0, cols);
      if (write && g.s.pointwise) zero_block(dxg, g.s.kc, g.s.ohw, j0, cols);
      gemm_backward(&g, wg, dyg, dcol, g.s.pointwise, j0, cols);
    }
    if (!g.s.pointwise) {
#pragma omp for schedule(static)
      for (int64_t c = 0; c < g.s.cg; c++) {
        if (write) memset(dxg + c * g.s.h * g.s.w, 0, (size_t)(g.s.h * g.s.w) * sizeof(float));
        gt_cpu_col2im(&g.patch, dcol, g.s.ohw, c, c + 1, dxg);
      }
    }
  }
  return GT_OK;
}
