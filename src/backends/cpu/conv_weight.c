/* Conv weight and bias gradients on the cpu backend: im2col + sgemm over blocks of samples.
 *   x [N, C, H, W], dy [N, M, OH, OW]  ->  dW [M, C/groups, kh, kw] +=, db [M] +=
 * Per group g (Kc = Cg*kh*kw rows of the column matrix, Mg output channels) and block of B samples
 * (B fixed by the shapes, GT_CPU_WCONV_COLS columns at most):
 *   col [Kc, B*OH*OW] = im2col of the B samples side by side,  dyb [Mg, B*OH*OW] = their dy rows,
 *   dW_g [Mg, Kc] += dyb . col^T   (one sgemm per block, rows of dW_g cut into fixed chunks).
 * Blocks run in sample order and no sum crosses a chunk, so the bytes do not depend on the number
 * of threads; they do depend on the batch size (the order of the float sums). */
#include "cpu_ops.h"

#include <cblas.h>
#include <limits.h>
#include <string.h>

#include "backends/op_layout.h"
#include "backends/train_common.h"

#define GT_CPU_WCONV_COLS 8192 /* target columns of one block's matrices */
#define GT_CPU_WCONV_ROWS 16   /* rows of dW per sgemm task */

static int64_t block_samples(const gt_op_conv_geom *g) {
  int64_t ohw = g->oh * g->ow > 0 ? g->oh * g->ow : 1;
  int64_t b = GT_CPU_WCONV_COLS / ohw;
  if (b < 1) b = 1;
  return b < g->n ? b : (g->n > 0 ? g->n : 1);
}

size_t gt_cpu_conv_weight_scratch(gt_backend *be, const gt_op_call *call) {
  gt_op_conv_geom g;
  gt_error err;
  if (gt_op_conv_geom_of("cpu", call, 0, &g, &err) != GT_OK) return 0;
  int64_t cols = block_samples(&g) * g.oh * g.ow;
  return (size_t)((g.cg * g.kh * g.kw + g.mg) * cols) * sizeof(float);
}

gt_status gt_cpu_conv_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                      gt_tensor *const *grad_w, gt_error *err) {
  gt_op_conv_geom g;
  gt_status st = gt_op_conv_geom_of("cpu", call, 0, &g, err);
  if (st == GT_OK) st = gt_train_check_weight_call("cpu", call, 2, 3, grad_out, grad_w, err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data, *dy = grad_out->data;
  float *dw = grad_w[1] ? grad_w[1]->data : NULL;
  float *db = call->node->n_inputs == 3 && grad_w[2] ? grad_w[2]->data : NULL;
  int64_t ohw = g.oh * g.ow, kc = g.cg * g.kh * g.kw, bs = block_samples(&g);
  if (db)
    for (int64_t m = 0; m < g.m; m++) {
      double acc = 0.0;
      for (int64_t n = 0; n < g.n; n++)
        for (int64_t p = 0; p < ohw; p++) acc += dy[(n * g.m + m) * ohw + p];
      db[m] += (float)acc;
    }
  if (!dw || ohw == 0 || kc == 0 || g.n == 0) return GT_OK;
  if (kc > INT_MAX || bs * ohw > INT_MAX)
    return gt_cpu_fail(call, err, GT_ERR_LIMIT, "a %lld x %lld column block is beyond the sgemm size limit",
                       (long long)kc, (long long)(bs * ohw));
  st = gt_cpu_check_scratch(call, gt_cpu_conv_weight_scratch(be, call), err);
  if (st != GT_OK) return st;
  float *col = call->scratch, *dyb = col + kc * bs * ohw;
  gt_cpu_patch patch = {.h = g.h, .w = g.w, .oh = g.oh, .ow = g.ow, .kh = g.kh, .kw = g.kw, .sh = g.sh,
                        .sw = g.sw, .dh = g.dh, .dw = g.dw, .pt = g.pt, .pl = g.pl};
  int nt = gt_cpu_threads(be);
  int64_t chunks = (g.mg + GT_CPU_WCONV_ROWS - 1) / GT_CPU_WCONV_ROWS;
  for (int64_t grp = 0; grp < g.groups; grp++)
    for (int64_t n0 = 0; n0 < g.n; n0 += bs) {
      int64_t nb = g.n - n0 < bs ? g.n - n0 : bs, ld = nb * ohw;
#pragma omp parallel for num_threads(nt) schedule(static) if (nb > 1)
      for (int64_t s = 0; s < nb; s++) {
        const float *xs = x + ((n0 + s) * g.c + grp * g.cg) * g.h * g.w;
        gt_cpu_im2col(&patch, xs, 0, g.cg, 0, ohw, col + s * ohw, ld);
        for (int64_t m = 0; m < g.mg; m++)
          memcpy(dyb + m * ld + s * ohw, dy + ((n0 + s) * g.m + grp * g.mg + m) * ohw, (size_t)ohw * sizeof(float));
      }
#pragma omp parallel for num_threads(nt) schedule(static) if (chunks > 1)
      for (int64_t ch = 0; ch < chunks; ch++) {
        int64_t m0 = ch * GT_CPU_WCONV_ROWS, mr = g.mg - m0 < GT_CPU_WCONV_ROWS ? g.mg - m0 : GT_CPU_WCONV_ROWS;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)mr, (int)kc, (int)ld, 1.0f, dyb + m0 * ld, (int)ld,
                    col, (int)ld, 1.0f, dw + (grp * g.mg + m0) * kc, (int)kc);
      }
    }
  return GT_OK;
}
