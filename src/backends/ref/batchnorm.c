/* BatchNormalization in inference form, already reduced to a per-channel affine map:
 *   x [N, C, ...], scale [C], shift [C]  ->  y [N, C, ...],  y = x * scale[c] + shift[c]
 * (scale = gamma / sqrt(var + eps), shift = beta - mean * scale, computed by the importer).
 * scale and shift are constants: only dx is produced. */
#include "ref_ops.h"

/* Sets the counts of the [outer = N, C, inner = product of the trailing dims] view of x. */
static gt_status bn_check(const gt_op_call *call, int64_t *outer, int64_t *channels, int64_t *inner, gt_error *err) {
  gt_status st = gt_ref_check_call(call, 3, 3, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0], *scale = call->in[1], *shift = call->in[2];
  char a[96], b[96], c[96];
  if (x->ndim < 2 || !gt_ref_same_shape(x, call->out) || scale->ndim != 1 || shift->ndim != 1 ||
      scale->shape[0] != x->shape[1] || shift->shape[0] != x->shape[1])
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "x %s, scale %s and shift %s do not fit [N, C, ...], [C], [C]",
                       gt_shape_format(x->ndim, x->shape, a, sizeof a),
                       gt_shape_format(scale->ndim, scale->shape, b, sizeof b),
                       gt_shape_format(shift->ndim, shift->shape, c, sizeof c));
  *outer = x->shape[0];
  *channels = x->shape[1];
  *inner = 1;
  for (int d = 2; d < x->ndim; d++) *inner *= x->shape[d];
  return GT_OK;
}

gt_status gt_ref_batchnorm_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int64_t outer, channels, inner;
  gt_status st = bn_check(call, &outer, &channels, &inner, err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data, *scale = call->in[1]->data, *shift = call->in[2]->data;
  float *y = call->out->data;
  for (int64_t n = 0; n < outer; n++)
    for (int64_t c = 0; c < channels; c++)
      for (int64_t i = 0; i < inner; i++) {
        int64_t at = (n * channels + c) * inner + i;
        y[at] = x[at] * scale[c] + shift[c];
      }
  return GT_OK;
}

/* dx = dy * scale[c]. */
gt_status gt_ref_batchnorm_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                    gt_tensor *const *grad_in, gt_error *err) {
  int64_t outer, channels, inner;
  gt_status st = bn_check(call, &outer, &channels, &inner, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 3, 3, grad_out, grad_in, err);
  if (st == GT_OK) st = gt_ref_refuse_weight_grads(call, grad_in, 1, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  const float *scale = call->in[1]->data, *dy = grad_out->data;
  float *dx = grad_in[0]->data;
  for (int64_t n = 0; n < outer; n++)
    for (int64_t c = 0; c < channels; c++)
      for (int64_t i = 0; i < inner; i++) {
        int64_t at = (n * channels + c) * inner + i;
        dx[at] += dy[at] * scale[c];
      }
  return GT_OK;
}
