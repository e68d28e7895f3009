/* Linear (Gemm / MatMul with a constant weight), and its input gradient.
 *   x [N, ..., K], W [M, K], optional b [M]  ->  y [N, ..., M]
 *   y [R, M] = x [R, K] . W^T (+ b),   dx [R, K] += dy [R, M] . W,   R = numel(x) / K rows
 *   (dx written with GT_CALL_WRITE_GRAD).
 * The rows are cut into fixed blocks of GT_CPU_LINEAR_ROWS (a function of the shape only, so
 * results do not depend on the thread count), one single-threaded sgemm per block, or, forward,
 * linear_direct.c's kernels (gt_cpu_avx2) when W has at most GT_CPU_LINEAR_DIRECT floats (it is
 * read again for every 4 rows, so it must stay in L2). The choice depends on the shape of W only:
 * a sample's logits must not depend on how many rows share its call (attacks re-evaluate single
 * points and compare). */
#include "cpu_ops.h"
#include "backends/op_layout.h"

#include <cblas.h>
#include <string.h>

#define GT_CPU_LINEAR_ROWS 64
#define GT_CPU_LINEAR_DIRECT (64 * 1024)

static gt_status linear_check(const gt_op_call *call, int64_t *rows, int64_t *k, int64_t *m, gt_error *err) {
  return gt_op_linear_geom_of("cpu", call, rows, k, m, err);
}

gt_status gt_cpu_linear_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int64_t rows, k, m;
  gt_status st = linear_check(call, &rows, &k, &m, err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data, *wt = call->in[1]->data;
  const float *bias = call->node->n_inputs == 3 ? call->in[2]->data : NULL;
  float *y = call->out->data;
  if (m == 0) return GT_OK;
  int direct = m * k <= GT_CPU_LINEAR_DIRECT && gt_cpu_avx2(be);
  int64_t blocks = (rows + GT_CPU_LINEAR_ROWS - 1) / GT_CPU_LINEAR_ROWS;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (blocks > 1)
  for (int64_t blk = 0; blk < blocks; blk++) {
    int64_t r0 = blk * GT_CPU_LINEAR_ROWS, nr = rows - r0 < GT_CPU_LINEAR_ROWS ? rows - r0 : GT_CPU_LINEAR_ROWS;
    float *yb = y + r0 * m;
    if (direct) {
      gt_cpu_linear_direct_forward(x + r0 * k, wt, bias, nr, k, m, yb);
      continue;
    }
    for (int64_t r = 0; r < nr; r++)
      for (int64_t j = 0; j < m; j++) yb[r * m + j] = bias ? bias[j] : 0.0f;
    if (k > 0)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nr, (int)m, (int)k, 1.0f, x + r0 * k, (int)k, wt,
                  (int)k, 1.0f, yb, (int)m);
  }
  return GT_OK;
}

gt_status gt_cpu_linear_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                 gt_tensor *const *grad_in, gt_error *err) {
  int64_t rows, k, m;
  gt_status st = linear_check(call, &rows, &k, &m, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 2, 3, grad_out, grad_in, err);
  if (st == GT_OK) st = gt_cpu_refuse_weight_grads(call, grad_in, 1, err);
  if (st != GT_OK) return st;
  if (!grad_in[0] || k == 0 || m == 0) return GT_OK;
  const float *wt = call->in[1]->data, *dy = grad_out->data;
  float *dx = grad_in[0]->data;
  int write = (call->flags & GT_CALL_WRITE_GRAD) != 0;
  int64_t blocks = (rows + GT_CPU_LINEAR_ROWS - 1) / GT_CPU_LINEAR_ROWS;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (blocks > 1)
  for (int64_t blk = 0; blk < blocks; blk++) {
    int64_t r0 = blk * GT_CPU_LINEAR_ROWS, nr = rows - r0 < GT_CPU_LINEAR_ROWS ? rows - r0 : GT_CPU_LINEAR_ROWS;
    /* zeroing first and beta = 1: OpenBLAS's own beta = 0 pass is slower (see conv.c) */
    if (write) memset(dx + r0 * k, 0, (size_t)(nr * k) * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nr, (int)k, (int)m, 1.0f, dy + r0 * m, (int)m, wt,
                (int)k, 1.0f, dx + r0 * k, (int)k);
  }
  return GT_OK;
}
