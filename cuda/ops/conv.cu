/* Conv (2-D, grouped, strided, dilated, zero-padded) on the device as im2col + batched cuBLAS
 * sgemm, and its input gradient as batched sgemm + col2im.
 *   x [N, C, H, W], W [M, Cg, kh, kw], optional b [M]  ->  y [N, M, OH, OW]
 * Samples go in chunks of S (as many as fit GT_CUDA_CONV_COL_BYTES of column matrix, the scratch):
 *   col [S, C*kh*kw, OHW] = im2col(x[chunk]),  then per group g, one strided-batched sgemm over S:
 *   y[s, g*Mg ..] [Mg, OHW] = W_g [Mg, Kc] . col[s, g*Kc ..] [Kc, OHW]                  (+ b)
 *   dcol[s, g*Kc ..] [Kc, OHW] = W_g^T . dy[s, g*Mg ..],   dx[chunk] += col2im(dcol)
 * Row-major on column-major cuBLAS: a row-major [r, c] matrix with row stride ld is the
 * column-major [c, r] matrix with the same ld, so y = W.col is called as y^T = col^T . W^T.
 * A 1x1 kernel with unit strides and no padding skips im2col: col is x itself. */
#include "im2col.h"

/* Column-matrix bytes one chunk of samples may take (the conv's scratch). */
#define GT_CUDA_CONV_COL_BYTES ((int64_t)64 << 20)

static gt_status conv_geom(const gt_op_call *call, int shapes_only, gt_op_conv_geom *g, gt_error *err) {
  return gt_op_conv_geom_of(GT_CUDA_BACKEND_NAME, call, shapes_only, g, err);
}

/* Floats of one sample's column matrix (all groups), 0 when pointwise. */
static int64_t sample_floats(const gt_op_conv_geom *g) { return g->pointwise ? 0 : g->c * g->kh * g->kw * g->ohw; }

/* Samples per chunk: as many as fit the column budget, at least 1, at most N. */
static int64_t chunk_samples(const gt_op_conv_geom *g) {
  int64_t per = sample_floats(g) * (int64_t)sizeof(float);
  int64_t s = per > 0 ? GT_CUDA_CONV_COL_BYTES / per : g->n;
  if (s < 1) s = 1;
  if (s > g->n) s = g->n;
  return s;
}

static size_t scratch_need(const gt_op_conv_geom *g) {
  return (size_t)(chunk_samples(g) * sample_floats(g)) * sizeof(float);
}

size_t gt_cuda_conv_scratch(gt_backend *be, const gt_op_call *call) {
  gt_op_conv_geom g;
  gt_error ignored;
  if (conv_geom(call, 1, &g, &ignored) != GT_OK) return 0; /* the op itself will report the problem */
  return scratch_need(&g);
}

static gt_status check_scratch(const gt_op_call *call, size_t need, gt_error *err) {
  if (need == 0) return GT_OK;
  if (!call->scratch || call->scratch_bytes < need)
    return gt_cuda_op_fail(call, err, GT_ERR_USAGE, "needs %zu bytes of scratch, was given %zu", need,
                           call->scratch ? call->scratch_bytes : (size_t)0);
  return GT_OK;
}

/* y[n, m, :] = b[m] before a beta = 1 sgemm adds W.col (the cpu backend's order: bias first). */
static __global__ void bias_fill_kernel(const float *__restrict__ b, int64_t m, int64_t ohw, int64_t total,
                                        float *__restrict__ y) {
  GT_KERNEL_LOOP(e, total) y[e] = b[(e / ohw) % m];
}

gt_status gt_cuda_conv_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_op_conv_geom g;
  gt_status st = conv_geom(call, 0, &g, err);
  if (st == GT_OK) st = check_scratch(call, scratch_need(&g), err);
  if (st != GT_OK) return st;
  int64_t total = gt_tensor_numel(call->out);
  if (total == 0) return GT_OK;
  const float *x = call->in[0]->data, *wt = call->in[1]->data;
  const float *bias = call->node->n_inputs == 3 ? call->in[2]->data : NULL;
  float *y = call->out->data, *col = (float *)call->scratch;
  gt_cuda_ctx *ctx = gt_cuda_ctx_of(be);
  if (bias) {
    GT_LAUNCH(bias_fill_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, ctx->stream, bias, g.m,
              g.ohw, total, y);
    GT_LAUNCH_CHECK();
  }
  if (g.kc == 0) { /* an empty sum: y is the bias, or 0 */
    if (!bias) GT_CUDA_TRY(cudaMemsetAsync(y, 0, (size_t)total * sizeof(float), ctx->stream));
    return GT_OK;
  }
  const float one = 1.0f, zero = 0.0f;
  int64_t chunk = chunk_samples(&g), xs = g.c * g.h * g.w;
  for (int64_t s0 = 0; s0 < g.n; s0 += chunk) {
    int64_t s = g.n - s0 < chunk ? g.n - s0 : chunk;
    const float *src = x + s0 * xs; /* the column matrices: x itself when pointwise */
    long long src_stride = (long long)xs;
    if (!g.pointwise) {
      st = gt_cuda_im2col(be, &g, src, s, col, err);
      if (st != GT_OK) return st;
      src = col;
      src_stride = (long long)sample_floats(&g);
    }
    for (int64_t grp = 0; grp < g.groups; grp++)
      GT_CUBLAS_TRY(cublasSgemmStridedBatched(
          ctx->blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)g.ohw, (int)g.mg, (int)g.kc, &one, src + grp * g.kc * g.ohw,
          (int)g.ohw, src_stride, wt + grp * g.mg * g.kc, (int)g.kc, 0, bias ? &one : &zero,
          y + (s0 * g.m + grp * g.mg) * g.ohw, (int)g.ohw, (long long)(g.m * g.ohw), (int)s));
  }
  return GT_OK;
}

gt_status gt_cuda_conv_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                gt_tensor *const *grad_in, gt_error *err) {
  gt_op_conv_geom g;
  gt_status st = conv_geom(call, 0, &g, err);
  if (st == GT_OK) st = gt_cuda_check_backward(call, 2, 3, grad_out, grad_in, err);
  if (st == GT_OK) st = gt_cuda_refuse_weight_grads(call, grad_in, 1, err);
  if (st == GT_OK && grad_in[0]) st = check_scratch(call, scratch_need(&g), err);
  if (st != GT_OK) return st;
  if (!grad_in[0] || g.n == 0 || g.ohw == 0 || g.mg == 0 || g.kc == 0) return GT_OK; /* nothing flows back */
  const float *wt = call->in[1]->data, *dy = grad_out->data;
  float *dx = grad_in[0]->data, *dcol = (float *)call->scratch;
  gt_cuda_ctx *ctx = gt_cuda_ctx_of(be);
  const float one = 1.0f, zero = 0.0f;
  int64_t chunk = chunk_samples(&g), xs = g.c * g.h * g.w;
  for (int64_t s0 = 0; s0 < g.n; s0 += chunk) {
    int64_t s = g.n - s0 < chunk ? g.n - s0 : chunk;
    /* Pointwise: dx itself is the column matrix, and the sgemm adds into it (beta = 1). */
    float *dst = g.pointwise ? dx + s0 * xs : dcol;
    long long dst_stride = g.pointwise ? (long long)xs : (long long)sample_floats(&g);
    for (int64_t grp = 0; grp < g.groups; grp++)
      GT_CUBLAS_TRY(cublasSgemmStridedBatched(
          ctx->blas, CUBLAS_OP_N, CUBLAS_OP_T, (int)g.ohw, (int)g.kc, (int)g.mg, &one,
          dy + (s0 * g.m + grp * g.mg) * g.ohw, (int)g.ohw, (long long)(g.m * g.ohw), wt + grp * g.mg * g.kc,
          (int)g.kc, 0, g.pointwise ? &one : &zero, dst + grp * g.kc * g.ohw, (int)g.ohw, dst_stride, (int)s));
    if (!g.pointwise) {
      st = gt_cuda_col2im(be, &g, dcol, s, dx + s0 * xs, err);
      if (st != GT_OK) return st;
    }
  }
  return GT_OK;
}
