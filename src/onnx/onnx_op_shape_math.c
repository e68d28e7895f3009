/* Ops that only ever fold at load time (the shape sub-graphs torch writes for dynamic batch):
 * Shape, ConstantOfShape, Gather, Equal, Where. Shape of a batched value puts
 * GT_ONNX_BATCH_SYM in place of the batch size. */
#include <string.h>

#include "onnx/onnx_internal.h"

static gt_status need_all_const(const gt_onnx_node_ctx *nc, gt_error *err) {
  for (int k = 0; k < nc->n_in; k++)
    if (nc->in[k].present && nc->in[k].batched)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED,
                               "input %d ('%s') depends on the model input; %s is only supported on constants", k,
                               nc->in[k].name, nc->op_type);
  return GT_OK;
}

gt_status gt_onnx_lower_shape(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = gt_onnx_need_in(nc, 0, "data", err);
  int64_t start = 0, end = GT_MAX_DIMS;
  if (st == GT_OK && nc->opset >= 15) st = gt_onnx_attr_int(nc, "start", 0, &start, err);
  if (st == GT_OK && nc->opset >= 15) st = gt_onnx_attr_int(nc, "end", GT_MAX_DIMS, &end, err);
  if (st != GT_OK) return st;
  const gt_onnx_operand *x = &nc->in[0];
  int64_t r = x->ndim;
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = start < 0 ? 0 : start > r ? r : start;
  end = end < 0 ? 0 : end > r ? r : end;
  int64_t len = end > start ? end - start : 0;
  gt_onnx_tensor *t = gt_onnx_tensor_new(GT_ONNX_INT64, 1, &len, "shape", err);
  if (!t) return err ? err->code : GT_ERR_MEMORY;
  for (int64_t k = 0; k < len; k++) {
    int64_t d = x->shape[start + k];
    t->i[k] = d == GT_DIM_BATCH && x->batched && start + k == 0 ? GT_ONNX_BATCH_SYM : d;
  }
  gt_onnx_lower_as_const(lw, t);
  return GT_OK;
}

gt_status gt_onnx_lower_constant_of_shape(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  int64_t shape[GT_MAX_DIMS];
  int n = 0;
  gt_status st = gt_onnx_const_ints(nc, 0, "input", shape, GT_MAX_DIMS, &n, err);
  if (st != GT_OK) return st;
  int64_t numel = 1;
  for (int d = 0; d < n; d++) {
    if (shape[d] == GT_ONNX_BATCH_SYM)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "a constant whose shape depends on the batch size");
    if (shape[d] < 0 || shape[d] > GT_MAX_DIM_SIZE)
      return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "shape[%d] = %lld is not a size", d, (long long)shape[d]);
    if (__builtin_mul_overflow(numel, shape[d], &numel) || numel > GT_ONNX_MAX_FOLD_ELEMENTS)
      return gt_onnx_node_fail(nc, err, GT_ERR_LIMIT, "the constant would have more than %lld elements",
                               (long long)GT_ONNX_MAX_FOLD_ELEMENTS);
  }
  gt_onnx_tensor *value = NULL;
  st = gt_onnx_attr_constant(nc, "value", &value, err);
  if (st != GT_OK) return st;
  if (value && value->numel != 1) {
    gt_onnx_tensor_free(value);
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "attribute 'value' must hold one element");
  }
  gt_onnx_tensor *t = gt_onnx_tensor_new(value ? value->elem : GT_ONNX_FLOAT, n, shape, "ConstantOfShape", err);
  if (t) {
    for (int64_t k = 0; k < t->numel && value; k++) {
      if (t->i) t->i[k] = value->i[0];
      else t->f[k] = value->f[0];
    }
    gt_onnx_lower_as_const(lw, t);
  }
  gt_onnx_tensor_free(value);
  return t ? GT_OK : (err ? err->code : GT_ERR_MEMORY);
}

gt_status gt_onnx_lower_gather(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  int64_t axis = 0;
  int a = 0;
  gt_status st = gt_onnx_need_in(nc, 0, "data", err);
  if (st == GT_OK) st = gt_onnx_need_in(nc, 1, "indices", err);
  if (st == GT_OK) st = need_all_const(nc, err);
  if (st == GT_OK) st = gt_onnx_attr_int(nc, "axis", 0, &axis, err);
  if (st != GT_OK) return st;
  const gt_onnx_tensor *data = nc->in[0].c, *idx = nc->in[1].c;
  if (data->ndim == 0) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "data must have rank >= 1");
  if (!idx->i) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "indices must be integers");
  if (gt_onnx_tensor_has_batch_sym(idx))
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "indices that depend on the batch size");
  st = gt_onnx_axis(nc, axis, data->ndim, "axis", &a, err);
  gt_onnx_tensor *t = NULL;
  if (st == GT_OK) st = gt_onnx_host_gather(nc, data, idx, a, &t, err);
  if (st == GT_OK) gt_onnx_lower_as_const(lw, t);
  return st;
}

gt_status gt_onnx_lower_equal(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = gt_onnx_need_in(nc, 0, "A", err);
  if (st == GT_OK) st = gt_onnx_need_in(nc, 1, "B", err);
  if (st == GT_OK) st = need_all_const(nc, err);
  gt_onnx_tensor *t = NULL;
  if (st == GT_OK) st = gt_onnx_host_binary(nc, GT_ONNX_EQUAL, nc->in[0].c, nc->in[1].c, &t, err);
  if (st == GT_OK) gt_onnx_lower_as_const(lw, t);
  return st;
}

gt_status gt_onnx_lower_where(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = gt_onnx_need_in(nc, 0, "condition", err);
  if (st == GT_OK) st = gt_onnx_need_in(nc, 1, "X", err);
  if (st == GT_OK) st = gt_onnx_need_in(nc, 2, "Y", err);
  if (st == GT_OK) st = need_all_const(nc, err);
  gt_onnx_tensor *t = NULL;
  if (st == GT_OK) st = gt_onnx_host_where(nc, nc->in[0].c, nc->in[1].c, nc->in[2].c, &t, err);
  if (st == GT_OK) gt_onnx_lower_as_const(lw, t);
  return st;
}
