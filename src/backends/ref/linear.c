/* Linear (Gemm / MatMul with a constant weight), forward and input gradient.
 *   x [N, ..., K], W [M, K], optional b [M]  ->  y [N, ..., M]
 *   y[r, m] = b[m] + sum_k x[r, k] * W[m, k]   for every row r of the R = numel(x) / K rows. */
#include "ref_ops.h"

#include "backends/op_layout.h"

/* The shape rules are the ones every backend shares (op_layout.c). */
static gt_status linear_check(const gt_op_call *call, int64_t *rows, int64_t *k, int64_t *m, gt_error *err) {
  return gt_op_linear_geom_of("ref", call, rows, k, m, err);
}

gt_status gt_ref_linear_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int64_t rows, k, m;
  gt_status st = linear_check(call, &rows, &k, &m, err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data, *wt = call->in[1]->data;
  const float *bias = call->node->n_inputs == 3 ? call->in[2]->data : NULL;
  float *y = call->out->data;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < m; j++) {
      double acc = bias ? bias[j] : 0.0;
      for (int64_t i = 0; i < k; i++) acc += (double)x[r * k + i] * (double)wt[j * k + i];
      y[r * m + j] = (float)acc;
    }
  return GT_OK;
}

/* dx[r, k] += sum_m dy[r, m] * W[m, k]. */
gt_status gt_ref_linear_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                 gt_tensor *const *grad_in, gt_error *err) {
  int64_t rows, k, m;
  gt_status st = linear_check(call, &rows, &k, &m, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 2, 3, grad_out, grad_in, err);
  if (st == GT_OK) st = gt_ref_refuse_weight_grads(call, grad_in, 1, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  const float *wt = call->in[1]->data, *dy = grad_out->data;
  float *dx = grad_in[0]->data;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t i = 0; i < k; i++) {
      double acc = 0.0;
      for (int64_t j = 0; j < m; j++) acc += (double)dy[r * m + j] * (double)wt[j * k + i];
      dx[r * k + i] += (float)acc;
    }
  return GT_OK;
}
