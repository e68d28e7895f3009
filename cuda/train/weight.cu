/* Weight gradients on the device (gt_train_iface.weight_backward), ADDED and summed over the batch.
 * Conv: x [N, C, H, W], dy [N, M, OH, OW]  ->  dW [M, Cg, kh, kw] +=, db [M] +=.
 *   Samples go in chunks of S (the scratch: GT_CUDA_WCONV_BYTES at most), L = S*OH*OW columns:
 *   col [C*kh*kw, L] = im2col of the S samples side by side,  dyb [M, L] = their dy rows,
 *   then per group g (Kc = Cg*kh*kw rows, Mg output channels):  dW_g [Mg, Kc] += dyb_g . col_g^T.
 *   Column-major cuBLAS sees the row-major [r, c] matrix with row stride ld as the column-major
 *   [c, r] one, so dW_g^T [Kc, Mg] += col_g [Kc, L] . dyb_g^T is sgemm(T, N, Kc, Mg, L, col_g (ld L),
 *   dyb_g (ld L), beta 1, dW_g (ld Kc)).
 * Linear: x [R, K], dy [R, M]:  dW [M, K] += dy^T . x, i.e. dW^T [K, M] += x^T [K, R] . dy [R, M]:
 *   sgemm(N, T, K, M, R, x (ld K), dy (ld M), beta 1, dW (ld K)).
 * Biases and inference BatchNorm's scale and shift: per-channel sums (channel_sums.h). Chunks run in
 * sample order, each sgemm adds into dW, so the result depends on the shapes only. */
#include "channel_sums.h"
#include "../ops/im2col.h"

#include <limits.h>

/* Scratch of one chunk of samples: the column matrix and the gathered dy. */
#define GT_CUDA_WCONV_BYTES ((int64_t)64 << 20)

/* dyb[m, s*OHW + p] = dy[s, m, p] for the S samples of a chunk. */
static __global__ void gather_dy_kernel(const float *__restrict__ dy, int64_t samples, int64_t m, int64_t ohw,
                                        float *__restrict__ dyb) {
  GT_KERNEL_LOOP(e, m * samples * ohw) {
    int64_t p = e % ohw, t = e / ohw;
    int64_t s = t % samples, ch = t / samples;
    dyb[e] = dy[(s * m + ch) * ohw + p];
  }
}

/* Samples per chunk: as many as fit the budget (and an int of columns), at least 1, at most N. */
static int64_t chunk_samples(const gt_op_conv_geom *g) {
  int64_t per = (g->c * g->kh * g->kw + g->m) * g->ohw * (int64_t)sizeof(float);
  int64_t s = per > 0 ? GT_CUDA_WCONV_BYTES / per : g->n;
  if (g->ohw > 0 && s > INT_MAX / g->ohw) s = INT_MAX / g->ohw;
  if (s < 1) s = 1;
  return s < g->n ? s : g->n;
}

static size_t scratch_need(const gt_op_conv_geom *g) {
  return (size_t)(chunk_samples(g) * (g->c * g->kh * g->kw + g->m) * g->ohw) * sizeof(float);
}

size_t gt_cuda_conv_weight_scratch(gt_backend *be, const gt_op_call *call) {
  gt_op_conv_geom g;
  gt_error ignored;
  if (gt_op_conv_geom_of(GT_CUDA_BACKEND_NAME, call, 1, &g, &ignored) != GT_OK) return 0; /* the op reports it */
  return scratch_need(&g);
}

gt_status gt_cuda_conv_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                       gt_tensor *const *grad_w, gt_error *err) {
  gt_op_conv_geom g;
  gt_status st = gt_op_conv_geom_of(GT_CUDA_BACKEND_NAME, call, 0, &g, err);
  if (st == GT_OK) st = gt_train_check_weight_call(GT_CUDA_BACKEND_NAME, call, 2, 3, grad_out, grad_w, err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data, *dy = grad_out->data;
  float *dw = grad_w[1] ? grad_w[1]->data : NULL;
  float *db = call->node->n_inputs == 3 && grad_w[2] ? grad_w[2]->data : NULL;
  if (db) {
    gt_cuda_chan ch;
    st = gt_cuda_chan_begin(be, g.n, g.m, g.ohw, 0, &ch, err);
    if (st == GT_OK) st = gt_cuda_chan_sums(be, &ch, gt_chan_sum{dy}, gt_chan_add{db, NULL}, err);
    if (st != GT_OK) return st;
  }
  if (!dw || g.n == 0 || g.ohw == 0 || g.kc == 0 || g.mg == 0) return GT_OK;
  size_t need = scratch_need(&g);
  if (!call->scratch || call->scratch_bytes < need)
    return gt_cuda_op_fail(call, err, GT_ERR_USAGE, "weight gradient needs %zu bytes of scratch, was given %zu", need,
                           call->scratch ? call->scratch_bytes : (size_t)0);
  int64_t chunk = chunk_samples(&g), rows = g.c * g.kh * g.kw, xs = g.c * g.h * g.w;
  float *col = (float *)call->scratch, *dyb = col + rows * chunk * g.ohw;
  gt_cuda_ctx *ctx = gt_cuda_ctx_of(be);
  const float one = 1.0f;
  for (int64_t s0 = 0; s0 < g.n; s0 += chunk) {
    int64_t s = g.n - s0 < chunk ? g.n - s0 : chunk, cols = s * g.ohw;
    st = gt_cuda_im2col_wide(be, &g, x + s0 * xs, s, col, err);
    if (st != GT_OK) return st;
    GT_LAUNCH(gather_dy_kernel, gt_cuda_blocks(g.m * cols, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, ctx->stream,
              dy + s0 * g.m * g.ohw, s, g.m, g.ohw, dyb);
    GT_LAUNCH_CHECK();
    for (int64_t grp = 0; grp < g.groups; grp++)
      GT_CUBLAS_TRY(cublasSgemm(ctx->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)g.kc, (int)g.mg, (int)cols, &one,
                                col + grp * g.kc * cols, (int)cols, dyb + grp * g.mg * cols, (int)cols, &one,
                                dw + grp * g.mg * g.kc, (int)g.kc));
  }
  return GT_OK;
}

gt_status gt_cuda_linear_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                         gt_tensor *const *grad_w, gt_error *err) {
  int64_t rows, k, m;
  gt_status st = gt_op_linear_geom_of(GT_CUDA_BACKEND_NAME, call, &rows, &k, &m, err);
  if (st == GT_OK) st = gt_train_check_weight_call(GT_CUDA_BACKEND_NAME, call, 2, 3, grad_out, grad_w, err);
  if (st != GT_OK) return st;
  float *dw = grad_w[1] ? grad_w[1]->data : NULL;
  float *db = call->node->n_inputs == 3 && grad_w[2] ? grad_w[2]->data : NULL;
  if (db) {
    gt_cuda_chan ch;
    st = gt_cuda_chan_begin(be, rows, m, 1, 0, &ch, err);
    if (st == GT_OK) st = gt_cuda_chan_sums(be, &ch, gt_chan_sum{grad_out->data}, gt_chan_add{db, NULL}, err);
    if (st != GT_OK) return st;
  }
  if (!dw || rows == 0 || k == 0 || m == 0) return GT_OK;
  const float one = 1.0f;
  GT_CUBLAS_TRY(cublasSgemm(gt_cuda_ctx_of(be)->blas, CUBLAS_OP_N, CUBLAS_OP_T, (int)k, (int)m, (int)rows, &one,
                            call->in[0]->data, (int)k, grad_out->data, (int)m, &one, dw, (int)k));
  return GT_OK;
}

/* Inference form y = x * scale[c] + shift[c]:  dscale[c] += sum dy * x,  dshift[c] += sum dy. */
gt_status gt_cuda_batchnorm_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                            gt_tensor *const *grad_w, gt_error *err) {
  int64_t outer, channels, inner;
  gt_status st =
      gt_train_check_bn_weight(GT_CUDA_BACKEND_NAME, call, grad_out, grad_w, &outer, &channels, &inner, err);
  if (st != GT_OK) return st;
  float *ds = grad_w[1] ? grad_w[1]->data : NULL, *dt = grad_w[2] ? grad_w[2]->data : NULL;
  if (!ds && !dt) return GT_OK;
  gt_cuda_chan ch;
  st = gt_cuda_chan_begin(be, outer, channels, inner, 0, &ch, err);
  if (st == GT_OK)
    st = gt_cuda_chan_sums(be, &ch, gt_chan_xdy{call->in[0]->data, grad_out->data}, gt_chan_add{ds, dt}, err);
  return st;
}
