/* BatchNormalization in inference form, already reduced to a per-channel affine map:
 *   x [N, C, ...], scale [C], shift [C]  ->  y [N, C, ...],  y = x * scale[c] + shift[c]
 * Threads take whole (n, c) rows of the [N*C, inner] view. scale and shift are constants: only
 * dx is produced. */
#include "cpu_ops.h"

/* Sets the counts of the [outer = N, C, inner = product of the trailing dims] view of x. */
static gt_status bn_check(const gt_op_call *call, int64_t *outer, int64_t *channels, int64_t *inner, gt_error *err) {
  gt_status st = gt_cpu_check_call(call, 3, 3, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0], *scale = call->in[1], *shift = call->in[2];
  char a[96], b[96], c[96];
  if (x->ndim < 2 || !gt_cpu_same_shape(x, call->out) || scale->ndim != 1 || shift->ndim != 1 ||
      scale->shape[0] != x->shape[1] || shift->shape[0] != x->shape[1])
    return gt_cpu_fail(call, err, GT_ERR_SHAPE, "x %s, scale %s and shift %s do not fit [N, C, ...], [C], [C]",
                       gt_shape_format(x->ndim, x->shape, a, sizeof a),
                       gt_shape_format(scale->ndim, scale->shape, b, sizeof b),
                       gt_shape_format(shift->ndim, shift->shape, c, sizeof c));
  *outer = x->shape[0];
  *channels = x->shape[1];
  *inner = 1;
  for (int d = 2; d < x->ndim; d++) *inner *= x->shape[d];
  return GT_OK;
}

gt_status gt_cpu_batchnorm_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int64_t outer, channels, inner;
  gt_status st = bn_check(call, &outer, &channels, &inner, err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data, *scale = call->in[1]->data, *shift = call->in[2]->data;
  float *y = call->out->data;
  int64_t rows = outer * channels;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (rows * inner >= GT_CPU_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    float s = scale[r % channels], t = shift[r % channels];
    const float *xr = x + r * inner;
    float *yr = y + r * inner;
    for (int64_t i = 0; i < inner; i++) yr[i] = xr[i] * s + t;
  }
  return GT_OK;
}

/* dx = dy * scale[c]. */
gt_status gt_cpu_batchnorm_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                    gt_tensor *const *grad_in, gt_error *err) {
  int64_t outer, channels, inner;
  gt_status st = bn_check(call, &outer, &channels, &inner, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 3, 3, grad_out, grad_in, err);
  if (st == GT_OK) st = gt_cpu_refuse_weight_grads(call, grad_in, 1, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  const float *scale = call->in[1]->data, *dy = grad_out->data;
  float *dx = grad_in[0]->data;
  int64_t rows = outer * channels;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (rows * inner >= GT_CPU_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    float s = scale[r % channels];
    const float *dyr = dy + r * inner;
    float *dxr = dx + r * inner;
    for (int64_t i = 0; i < inner; i++) dxr[i] += dyr[i] * s;
  }
  return GT_OK;
}
