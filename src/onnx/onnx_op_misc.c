/* Identity, Dropout (inference: identity), Cast and Constant. */
#include <string.h>

#include "onnx/onnx_internal.h"

/* Output 0 = input 0 unchanged: an alias for batched values, a copy for constants. */
static gt_status pass_through(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = gt_onnx_need_in(nc, 0, "input", err);
  if (st != GT_OK) return st;
  if (nc->in[0].batched) {
    gt_onnx_lower_as_alias(lw, 0);
    return GT_OK;
  }
  gt_onnx_tensor *t = gt_onnx_tensor_clone(nc->in[0].c, err);
  if (!t) return err ? err->code : GT_ERR_MEMORY;
  gt_onnx_lower_as_const(lw, t);
  return GT_OK;
}

gt_status gt_onnx_lower_identity(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  return pass_through(nc, lw, err);
}

gt_status gt_onnx_lower_dropout(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = gt_onnx_refuse_extra_outputs(nc, 1, "the dropout mask is not supported", err);
  if (st != GT_OK) return st;
  if (nc->opset >= 12 && gt_onnx_in(nc, 2)) {
    double training = 0.0;
    st = gt_onnx_const_scalar(nc, 2, "training_mode", &training, err);
    if (st != GT_OK) return st;
    if (training != 0.0)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "training_mode=true (random dropout) is not supported");
  }
  return pass_through(nc, lw, err);
}

gt_status gt_onnx_lower_cast(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  int64_t to = 0;
  if (!gt_onnx_attr_find(nc, "to")) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "attribute 'to' is missing");
  gt_status st = gt_onnx_attr_int(nc, "to", 0, &to, err);
  if (st == GT_OK) st = gt_onnx_need_in(nc, 0, "input", err);
  if (st != GT_OK) return st;
  if (to < 0 || to > 64)
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "'to' = %lld is not a data type", (long long)to);
  if (nc->in[0].batched) {
    if (to != GT_ONNX_FLOAT)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED,
                               "cast of a batched value to %s (Gauntlet computes in float32 only)",
                               gt_onnx_elem_name((int32_t)to));
    gt_onnx_lower_as_alias(lw, 0);
    return GT_OK;
  }
  gt_onnx_tensor *t = NULL;
  st = gt_onnx_host_cast(nc, nc->in[0].c, (int32_t)to, &t, err);
  if (st == GT_OK) gt_onnx_lower_as_const(lw, t);
  return st;
}

gt_status gt_onnx_lower_constant(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  static const char *const kinds[] = {"value", "value_float", "value_floats", "value_int", "value_ints"};
  static const char *const refused[] = {"sparse_value", "value_string", "value_strings"};
  for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++)
    if (gt_onnx_attr_find(nc, refused[k]))
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "attribute '%s' is not supported", refused[k]);
  gt_onnx_tensor *t = NULL;
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    if (!gt_onnx_attr_find(nc, kinds[k])) continue;
    if (t) {
      gt_onnx_tensor_free(t);
      return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "more than one value attribute");
    }
    gt_status st = gt_onnx_attr_constant(nc, kinds[k], &t, err);
    if (st != GT_OK) return st;
  }
  if (!t) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "no value attribute");
  gt_onnx_lower_as_const(lw, t);
  return GT_OK;
}
