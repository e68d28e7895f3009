/* The training table's accessor and the argument checks ref, cpu and cuda share (train_common.h). */
#include "backends/train_common.h"

#include <math.h>

#include "backends/op_check.h"

const gt_train_iface *gt_backend_train(const gt_backend *be, gt_error *err) {
  if (!be || !be->iface) {
    gt_error_set(err, GT_ERR_USAGE, "no backend given");
    return NULL;
  }
  if (!be->iface->train) {
    gt_error_set(err, GT_ERR_UNSUPPORTED, "the '%s' backend has no training ops: it cannot train models",
                 be->iface->name);
    return NULL;
  }
  return be->iface->train;
}

gt_status gt_train_check_weight_call(const char *backend, const gt_op_call *call, int lo, int hi,
                                     const gt_tensor *grad_out, gt_tensor *const *grad_w, gt_error *err) {
  if (!grad_w) return gt_op_fail(backend, call, err, GT_ERR_USAGE, "weight gradient list is missing");
  if (grad_w[0]) return gt_op_fail(backend, call, err, GT_ERR_USAGE, "weight gradient 0 (the batched input) must be NULL");
  return gt_op_check_backward(backend, call, lo, hi, grad_out, grad_w, err);
}

gt_status gt_train_check_bn_weight(const char *backend, const gt_op_call *call, const gt_tensor *grad_out,
                                   gt_tensor *const *grad_w, int64_t *outer, int64_t *channels, int64_t *inner,
                                   gt_error *err) {
  gt_status st = gt_train_check_weight_call(backend, call, 3, 3, grad_out, grad_w, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0];
  if (x->ndim < 2 || call->in[1]->ndim != 1 || call->in[1]->shape[0] != x->shape[1] || call->in[2]->ndim != 1 ||
      call->in[2]->shape[0] != x->shape[1])
    return gt_op_fail(backend, call, err, GT_ERR_SHAPE, "x, scale and shift do not fit [N, C, ...], [C], [C]");
  *outer = x->shape[0];
  *channels = x->shape[1];
  *inner = 1;
  for (int d = 2; d < x->ndim; d++) *inner *= x->shape[d];
  return GT_OK;
}

static int contiguous_with_data(const gt_tensor *t) {
  return t && gt_tensor_is_contiguous(t) && (gt_tensor_numel(t) == 0 || t->data);
}

gt_status gt_train_check_bn(const char *backend, const gt_bn_train *bn, const gt_tensor *x, const gt_tensor *y,
                            int backward, int64_t *outer, int64_t *inner, gt_error *err) {
  const char *dir = backward ? "batchnorm_backward" : "batchnorm_forward";
  if (!bn || !x) return gt_error_set(err, GT_ERR_USAGE, "%s train %s: no statistics or no x", backend, dir);
  char a[96], b[96];
  if (x->ndim < 2 || x->shape[1] != bn->channels || !contiguous_with_data(x) ||
      (y && (!gt_op_same_shape(x, y) || !contiguous_with_data(y))))
    return gt_error_set(err, GT_ERR_SHAPE, "%s train %s: x %s and %s %s must be one contiguous [N, %lld, ...] shape",
                        backend, dir, gt_shape_format(x->ndim, x->shape, a, sizeof a), backward ? "dy/dx" : "y",
                        y ? gt_shape_format(y->ndim, y->shape, b, sizeof b) : "(none)", (long long)bn->channels);
  if (!backward && !y) return gt_error_set(err, GT_ERR_USAGE, "%s train %s: no output tensor", backend, dir);
  *outer = x->shape[0];
  *inner = 1;
  for (int d = 2; d < x->ndim; d++) *inner *= x->shape[d];
  if (*outer * *inner < 1)
    return gt_error_set(err, GT_ERR_SHAPE, "%s train %s: batch statistics need at least one value per channel",
                        backend, dir);
  if (!bn->gamma || !bn->mean || !bn->invstd || (!backward && !bn->beta) ||
      (!backward && (!bn->running_mean) != (!bn->running_var)))
    return gt_error_set(err, GT_ERR_USAGE, "%s train %s: a per-channel array is missing", backend, dir);
  if (!backward && (!(bn->eps > 0.0f) || !(bn->momentum >= 0.0f && bn->momentum <= 1.0f)))
    return gt_error_set(err, GT_ERR_USAGE, "%s train %s: eps %g must be > 0 and momentum %g in [0, 1]", backend, dir,
                        (double)bn->eps, (double)bn->momentum);
  return GT_OK;
}

gt_status gt_train_check_sgd(const char *backend, const gt_sgd_step *s, gt_error *err) {
  if (!s) return gt_error_set(err, GT_ERR_USAGE, "%s sgd_step: no step", backend);
  if (s->n < 0 || s->n > GT_MAX_ELEMENTS)
    return gt_error_set(err, GT_ERR_LIMIT, "%s sgd_step: %lld parameters", backend, (long long)s->n);
  if (s->n > 0 && (!s->param || !s->grad || !s->velocity))
    return gt_error_set(err, GT_ERR_USAGE, "%s sgd_step: param, grad or velocity missing", backend);
  if (!isfinite(s->lr) || !isfinite(s->momentum) || !isfinite(s->weight_decay) || s->lr < 0.0f ||
      s->momentum < 0.0f || s->weight_decay < 0.0f)
    return gt_error_set(err, GT_ERR_USAGE, "%s sgd_step: lr %g, momentum %g, weight decay %g must be finite and >= 0",
                        backend, (double)s->lr, (double)s->momentum, (double)s->weight_decay);
  return GT_OK;
}
