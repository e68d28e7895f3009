/* Softmax along one axis (or, coerce_2d, over all dims from axis on) on the device.
 *   x [d_0, .., d_{r-1}]  ->  y [same], seen as [outer, len, inner]: one row per (o, k), element i
 *   at (o*len + i)*inner + k.
 * One thread per row, running the row formulas of gauntlet/hd/softmax.h in their fixed order (so
 * each row equals the cpu backend's), with no barriers or atomics. */
#include "cuda_ops.h"

#include "gauntlet/hd/softmax.h"

__global__ void gt_softmax_forward_kernel(const float *x, float *y, int64_t rows, int64_t len, int64_t inner) {
  GT_KERNEL_LOOP(r, rows) {
    int64_t base = (r / inner) * len * inner + r % inner;
    gt_softmax_row(x + base, len, inner, y + base);
  }
}

__global__ void gt_softmax_backward_kernel(const float *y, const float *dy, float *dx, int64_t rows, int64_t len,
                                           int64_t inner) {
  GT_KERNEL_LOOP(r, rows) {
    int64_t base = (r / inner) * len * inner + r % inner;
    gt_softmax_grad_row(y + base, dy + base, len, inner, dx + base);
  }
}

static gt_status softmax_check(const gt_op_call *call, int64_t *rows, int64_t *len, int64_t *inner, gt_error *err) {
  gt_status st = gt_cuda_check_call(call, 1, 1, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0];
  int axis = call->node->p.softmax.axis;
  if (!gt_op_same_shape(x, call->out))
    return gt_cuda_op_fail(call, err, GT_ERR_SHAPE, "output shape differs from the input shape");
  if (axis < 0 || axis >= x->ndim)
    return gt_cuda_op_fail(call, err, GT_ERR_USAGE, "axis %d is outside 0..%d", axis, x->ndim - 1);
  int64_t outer = 1;
  *len = *inner = 1;
  for (int d = 0; d < x->ndim; d++) {
    if (d < axis) outer *= x->shape[d];
    else if (d == axis || call->node->p.softmax.coerce_2d) *len *= x->shape[d];
    else *inner *= x->shape[d];
  }
  *rows = outer * *inner;
  return GT_OK;
}

gt_status gt_cuda_softmax_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int64_t rows, len, inner;
  gt_status st = softmax_check(call, &rows, &len, &inner, err);
  if (st != GT_OK) return st;
  if (rows * len == 0) return GT_OK;
  GT_LAUNCH(gt_softmax_forward_kernel, gt_cuda_blocks(rows, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            call->in[0]->data, call->out->data, rows, len, inner);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_softmax_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                   gt_tensor *const *grad_in, gt_error *err) {
  int64_t rows, len, inner;
  gt_status st = softmax_check(call, &rows, &len, &inner, err);
  if (st == GT_OK) st = gt_cuda_check_backward(call, 1, 1, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0] || rows * len == 0) return GT_OK;
  GT_LAUNCH(gt_softmax_backward_kernel, gt_cuda_blocks(rows, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            call->out->data, grad_out->data, grad_in[0]->data, rows, len, inner);
  GT_LAUNCH_CHECK();
  return GT_OK;
}
