/* Softmax along one axis, or (coerce_2d, ONNX opset < 13) over all dims from axis on, one row
 * per thread task.
 *   x [d_0, .., d_{r-1}]  ->  y [same]
 * Seen as x [outer, len, inner]: plain mode len = d_axis, inner = prod of the later dims;
 * coerce_2d mode len = prod of d_axis.., inner = 1. A row is the len elements of one (o, k),
 * element i at offset (o*len + i)*inner + k.
 *   y_i = exp(x_i - max x) / sum_j exp(x_j - max x)   (exp in float, the sum in double)
 * Backward: dx_i += y_i * (dy_i - sum_j dy_j y_j), from the saved y. */
#include "cpu_ops.h"

#include "gauntlet/hd/softmax.h"

static gt_status softmax_check(const gt_op_call *call, int64_t *outer, int64_t *len, int64_t *inner, gt_error *err) {
  gt_status st = gt_cpu_check_call(call, 1, 1, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0];
  int axis = call->node->p.softmax.axis;
  if (!gt_cpu_same_shape(x, call->out))
    return gt_cpu_fail(call, err, GT_ERR_SHAPE, "output shape differs from the input shape");
  if (axis < 0 || axis >= x->ndim)
    return gt_cpu_fail(call, err, GT_ERR_USAGE, "axis %d is outside 0..%d", axis, x->ndim - 1);
  *outer = *len = *inner = 1;
  for (int d = 0; d < x->ndim; d++) {
    if (d < axis) *outer *= x->shape[d];
    else if (d == axis || call->node->p.softmax.coerce_2d) *len *= x->shape[d];
    else *inner *= x->shape[d];
  }
  return GT_OK;
}

gt_status gt_cpu_softmax_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int64_t outer, len, inner;
  gt_status st = softmax_check(call, &outer, &len, &inner, err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data;
  float *y = call->out->data;
  int64_t rows = outer * inner;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (rows * len >= GT_CPU_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    int64_t base = (r / inner) * len * inner + r % inner;
    gt_softmax_row(x + base, len, inner, y + base); /* element i of the row is at base + i * inner */
  }
  return GT_OK;
}

gt_status gt_cpu_softmax_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                  gt_tensor *const *grad_in, gt_error *err) {
  int64_t outer, len, inner;
  gt_status st = softmax_check(call, &outer, &len, &inner, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 1, 1, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  const float *y = call->out->data, *dy = grad_out->data;
  float *dx = grad_in[0]->data;
  int64_t rows = outer * inner;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (rows * len >= GT_CPU_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    int64_t base = (r / inner) * len * inner + r % inner;
    gt_softmax_grad_row(y + base, dy + base, len, inner, dx + base);
  }
  return GT_OK;
}
