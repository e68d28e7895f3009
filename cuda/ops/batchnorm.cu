/* BatchNormalization in inference form on the device, already a per-channel affine map:
 *   x [N, C, ...], scale [C], shift [C]  ->  y = x * scale[c] + shift[c];  dx += dy * scale[c]
 * Grid-stride over the elements; the channel of element i is (i / inner) % C. */
#include "cuda_ops.h"

__global__ void gt_batchnorm_forward_kernel(const float *x, const float *scale, const float *shift, float *y,
                                            int64_t n, int64_t channels, int64_t inner) {
  GT_KERNEL_LOOP(i, n) {
    int64_t c = (i / inner) % channels;
    y[i] = x[i] * scale[c] + shift[c];
  }
}

__global__ void gt_batchnorm_backward_kernel(const float *scale, const float *dy, float *dx, int64_t n,
                                             int64_t channels, int64_t inner) {
  GT_KERNEL_LOOP(i, n) { dx[i] += dy[i] * scale[(i / inner) % channels]; }
}

/* Sets the counts of the [N, C, inner = product of the trailing dims] view of x. */
static gt_status bn_check(const gt_op_call *call, int64_t *channels, int64_t *inner, gt_error *err) {
  gt_status st = gt_cuda_check_call(call, 3, 3, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0], *scale = call->in[1], *shift = call->in[2];
  char a[96], b[96], c[96];
  if (x->ndim < 2 || !gt_op_same_shape(x, call->out) || scale->ndim != 1 || shift->ndim != 1 ||
      scale->shape[0] != x->shape[1] || shift->shape[0] != x->shape[1])
    return gt_cuda_op_fail(call, err, GT_ERR_SHAPE, "x %s, scale %s and shift %s do not fit [N, C, ...], [C], [C]",
                           gt_shape_format(x->ndim, x->shape, a, sizeof a),
                           gt_shape_format(scale->ndim, scale->shape, b, sizeof b),
                           gt_shape_format(shift->ndim, shift->shape, c, sizeof c));
  *channels = x->shape[1];
  *inner = 1;
  for (int d = 2; d < x->ndim; d++) *inner *= x->shape[d];
  return GT_OK;
}

gt_status gt_cuda_batchnorm_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int64_t channels, inner;
  gt_status st = bn_check(call, &channels, &inner, err);
  if (st != GT_OK) return st;
  int64_t n = gt_tensor_numel(call->out);
  if (n == 0) return GT_OK;
  GT_LAUNCH(gt_batchnorm_forward_kernel, gt_cuda_blocks(n, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            call->in[0]->data, call->in[1]->data, call->in[2]->data, call->out->data, n, channels, inner);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_batchnorm_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                     gt_tensor *const *grad_in, gt_error *err) {
  int64_t channels, inner;
  gt_status st = bn_check(call, &channels, &inner, err);
  if (st == GT_OK) st = gt_cuda_check_backward(call, 3, 3, grad_out, grad_in, err);
  if (st == GT_OK) st = gt_cuda_refuse_weight_grads(call, grad_in, 1, err);
  if (st != GT_OK) return st;
  int64_t n = gt_tensor_numel(call->out);
  if (!grad_in[0] || n == 0) return GT_OK;
  GT_LAUNCH(gt_batchnorm_backward_kernel, gt_cuda_blocks(n, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            call->in[1]->data, grad_out->data, grad_in[0]->data, n, channels, inner);
  GT_LAUNCH_CHECK();
  return GT_OK;
}
