/* Linear (Gemm / MatMul with a constant weight), forward and input gradient.
 *   x [N, ..., K], W [M, K], optional b [M]  ->  y [N, ..., M]
 *   y[r, m] = b[m] + sum_k x[r, k] * W[m, k]   for every row r of the R = numel(x) / K rows. */
#include "ref_ops.h"

static gt_status linear_check(const gt_op_call *call, int64_t *rows, int64_t *k, int64_t *m, gt_error *err) {
  gt_status st = gt_ref_check_call(call, 2, 3, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0], *wt = call->in[1], *y = call->out;
  char a[96], b[96], c[96];
  int ok = x->ndim >= 1 && wt->ndim == 2 && y->ndim == x->ndim && x->shape[x->ndim - 1] == wt->shape[1] &&
           y->shape[y->ndim - 1] == wt->shape[0];
  for (int d = 0; ok && d < x->ndim - 1; d++) ok = x->shape[d] == y->shape[d];
  if (!ok)
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "x %s, W %s and y %s do not fit x [.., K], W [M, K], y [.., M]",
                       gt_shape_format(x->ndim, x->shape, a, sizeof a), gt_shape_format(wt->ndim, wt->shape, b, sizeof b),
                       gt_shape_format(y->ndim, y->shape, c, sizeof c));
  if (call->node->n_inputs == 3 && (call->in[2]->ndim != 1 || call->in[2]->shape[0] != wt->shape[0]))
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "bias %s must be [%lld]",
                       gt_shape_format(call->in[2]->ndim, call->in[2]->shape, a, sizeof a), (long long)wt->shape[0]);
  *k = wt->shape[1];
  *m = wt->shape[0];
  *rows = *k > 0 ? gt_tensor_numel(x) / *k : gt_tensor_numel(y) / (*m > 0 ? *m : 1);
  return GT_OK;
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
