/* BatchNormalization (inference form, folded to per-channel scale and shift) and Softmax. */
#include <math.h>

#include "onnx/onnx_internal.h"

gt_status gt_onnx_lower_batchnorm(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  static const char *const roles[5] = {"X", "scale", "B", "mean", "var"};
  float eps = 1e-5f;
  int64_t spatial = 1, training = 0;
  gt_status st = gt_onnx_attr_float(nc, "epsilon", 1e-5f, &eps, err);
  if (st == GT_OK && nc->opset < 9) st = gt_onnx_attr_int(nc, "spatial", 1, &spatial, err);
  if (st == GT_OK && nc->opset >= 14) st = gt_onnx_attr_int(nc, "training_mode", 0, &training, err);
  if (st == GT_OK && (spatial != 1 || training != 0))
    st = gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "%s is not supported (inference form only)",
                           training ? "training_mode=1" : "spatial=0");
  if (st == GT_OK)
    st = gt_onnx_refuse_extra_outputs(nc, 1, "training outputs (running mean/var) are not supported", err);
  if (st == GT_OK) st = gt_onnx_need_in(nc, 0, roles[0], err);
  for (int k = 1; k < 5 && st == GT_OK; k++) st = gt_onnx_need_const(nc, k, roles[k], err);
  if (st != GT_OK) return st;
  const gt_onnx_operand *x = &nc->in[0];
  char s[128];
  if (x->ndim < 2)
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "X %s has no channel dim",
                             gt_onnx_shape_str(x->ndim, x->shape, s, sizeof s));
  int64_t c = x->shape[1];
  for (int k = 1; k < 5; k++) {
    const gt_onnx_tensor *t = nc->in[k].c;
    if (!t->f || t->numel != c)
      return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "%s is %s %s; X %s has %lld channels", roles[k],
                               gt_onnx_elem_name(t->elem), gt_onnx_shape_str(t->ndim, t->shape, s, sizeof s),
                               gt_onnx_shape_str(x->ndim, x->shape, s, sizeof s), (long long)c);
  }
  gt_onnx_tensor *scale = gt_onnx_tensor_new(GT_ONNX_FLOAT, 1, &c, "batchnorm scale", err);
  gt_onnx_tensor *shift = gt_onnx_tensor_new(GT_ONNX_FLOAT, 1, &c, "batchnorm shift", err);
  if (!scale || !shift) {
    gt_onnx_tensor_free(scale);
    gt_onnx_tensor_free(shift);
    return err ? err->code : GT_ERR_MEMORY;
  }
  const float *gamma = nc->in[1].c->f, *beta = nc->in[2].c->f, *mean = nc->in[3].c->f, *var = nc->in[4].c->f;
  for (int64_t j = 0; j < c; j++) {
    double sc = (double)gamma[j] / sqrt((double)var[j] + (double)eps);
    scale->f[j] = (float)sc;
    shift->f[j] = (float)((double)beta[j] - (double)mean[j] * sc);
  }
  if (!x->batched) { /* y[n,c,...] = x * scale[c] + shift[c] */
    gt_onnx_tensor *y = gt_onnx_tensor_clone(x->c, err);
    if (y && y->f) {
      int64_t inner = y->numel / (x->shape[0] * c > 0 ? x->shape[0] * c : 1);
      for (int64_t k = 0; k < y->numel; k++) {
        int64_t ch = (k / (inner ? inner : 1)) % c;
        y->f[k] = y->f[k] * scale->f[ch] + shift->f[ch];
      }
    }
    gt_onnx_tensor_free(scale);
    gt_onnx_tensor_free(shift);
    if (!y) return err ? err->code : GT_ERR_MEMORY;
    if (!y->f) {
      gt_onnx_tensor_free(y);
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "X must be floating point");
    }
    gt_onnx_lower_as_const(lw, y);
    return GT_OK;
  }
  st = gt_onnx_lower_as_node(nc, lw, GT_OP_BATCHNORM, 3, x->ndim, x->shape, err);
  if (st != GT_OK) {
    gt_onnx_tensor_free(scale);
    gt_onnx_tensor_free(shift);
    return st;
  }
  lw->ir_in[0].operand = 0;
  lw->ir_in[1].owned = scale;
  lw->ir_in[2].owned = shift;
  return GT_OK;
}

gt_status gt_onnx_lower_softmax(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = gt_onnx_need_batched(nc, 0, "input", err);
  if (st != GT_OK) return st;
  const gt_onnx_operand *x = &nc->in[0];
  int64_t axis = 0;
  int coerce = nc->opset < 13;
  st = gt_onnx_attr_int(nc, "axis", coerce ? 1 : -1, &axis, err);
  int a = 0;
  if (st == GT_OK) st = gt_onnx_axis(nc, axis, x->ndim, "axis", &a, err);
  if (st != GT_OK) return st;
  if (a == 0)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "softmax over the batch dim (axis 0) is not supported");
  st = gt_onnx_lower_as_node(nc, lw, GT_OP_SOFTMAX, 1, x->ndim, x->shape, err);
  if (st != GT_OK) return st;
  lw->ir_in[0].operand = 0;
  lw->node.p.softmax.axis = a;
  lw->node.p.softmax.coerce_2d = coerce;
  return GT_OK;
}
