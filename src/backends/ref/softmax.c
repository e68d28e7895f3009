/* Softmax along one axis, or (coerce_2d, ONNX opset < 13) over all dims from axis on.
 *   x [d_0, .., d_{r-1}]  ->  y [same]
 * Seen as x [outer, len, inner]: plain mode len = d_axis, inner = prod of the later dims;
 * coerce_2d mode len = prod of d_axis.., inner = 1.
 *   y[o, i, k] = exp(x[o,i,k] - max_j x[o,j,k]) / sum_j exp(x[o,j,k] - max_j x[o,j,k])
 * computed in double. Backward: dx_i += y_i * (dy_i - sum_j dy_j y_j), from the saved y. */
#include "ref_ops.h"

#include <math.h>

static gt_status softmax_check(const gt_op_call *call, int64_t *outer, int64_t *len, int64_t *inner, gt_error *err) {
  gt_status st = gt_ref_check_call(call, 1, 1, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0];
  int axis = call->node->p.softmax.axis;
  if (!gt_ref_same_shape(x, call->out))
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "output shape differs from the input shape");
  if (axis < 0 || axis >= x->ndim)
    return gt_ref_fail(call, err, GT_ERR_USAGE, "axis %d is outside 0..%d", axis, x->ndim - 1);
  *outer = *len = *inner = 1;
  for (int d = 0; d < x->ndim; d++) {
    if (d < axis) *outer *= x->shape[d];
    else if (d == axis || call->node->p.softmax.coerce_2d) *len *= x->shape[d];
    else *inner *= x->shape[d];
  }
  return GT_OK;
}

gt_status gt_ref_softmax_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int64_t outer, len, inner;
  gt_status st = softmax_check(call, &outer, &len, &inner, err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data;
  float *y = call->out->data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t k = 0; k < inner; k++) {
      const float *xr = x + o * len * inner + k; /* element i of this row is xr[i * inner] */
      float *yr = y + o * len * inner + k;
      double m = -INFINITY, sum = 0.0;
      for (int64_t i = 0; i < len; i++)
        if (xr[i * inner] > m) m = xr[i * inner];
      for (int64_t i = 0; i < len; i++) sum += exp((double)xr[i * inner] - m);
      for (int64_t i = 0; i < len; i++) yr[i * inner] = (float)(exp((double)xr[i * inner] - m) / sum);
    }
  return GT_OK;
}

gt_status gt_ref_softmax_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                  gt_tensor *const *grad_in, gt_error *err) {
  int64_t outer, len, inner;
  gt_status st = softmax_check(call, &outer, &len, &inner, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 1, 1, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  const float *y = call->out->data, *dy = grad_out->data;
  float *dx = grad_in[0]->data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t k = 0; k < inner; k++) {
      int64_t base = o * len * inner + k;
      double dot = 0.0;
      for (int64_t i = 0; i < len; i++) dot += (double)dy[base + i * inner] * (double)y[base + i * inner];
      for (int64_t i = 0; i < len; i++)
        dx[base + i * inner] += (float)((double)y[base + i * inner] * ((double)dy[base + i * inner] - dot));
    }
  return GT_OK;
}
