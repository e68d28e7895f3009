/* Helpers for the per-op lowerings: operand checks, error messages naming the node, and the
 * lowering result (IR node / alias / folded constant). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_internal.h"

gt_status gt_onnx_node_fail(const gt_onnx_node_ctx *nc, gt_error *err, gt_status code, const char *fmt, ...) {
  char msg[GT_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return gt_error_set(err, code, "%s: node '%s' (%s): %s", nc->src->display, nc->name, nc->op_type, msg);
}

gt_status gt_onnx_fold_output_new(const gt_onnx_node_ctx *nc, int32_t elem, int n, const int64_t *shape,
                                  gt_onnx_tensor **out, gt_error *err) {
  char what[256];
  snprintf(what, sizeof what, "%s: node '%s' (%s) folded output", nc->src->display, nc->name, nc->op_type);
  int64_t numel = 0;
  gt_status st = gt_shape_numel_checked(n, shape, &numel, what, err);
  if (st != GT_OK) return st;
  if (numel > GT_ONNX_MAX_FOLD_ELEMENTS)
    return gt_onnx_node_fail(nc, err, GT_ERR_LIMIT, "folding would create %lld elements (cap %lld)", (long long)numel,
                             (long long)GT_ONNX_MAX_FOLD_ELEMENTS);
  *out = gt_onnx_tensor_new(elem, n, shape, what, err);
  return *out ? GT_OK : (err ? err->code : GT_ERR_MEMORY);
}

const char *gt_onnx_shape_str(int ndim, const int64_t *shape, char *buf, size_t size) {
  size_t used = 0;
  if (!size) return buf;
  buf[0] = '\0';
  used += (size_t)snprintf(buf, size, "[");
  for (int d = 0; d < ndim && used < size; d++) {
    const char *sep = d ? ", " : "";
    if (shape[d] == GT_DIM_BATCH) used += (size_t)snprintf(buf + used, size - used, "%sN", sep);
    else used += (size_t)snprintf(buf + used, size - used, "%s%lld", sep, (long long)shape[d]);
  }
  if (used < size) snprintf(buf + used, size - used, "]");
  return buf;
}

const gt_onnx_operand *gt_onnx_in(const gt_onnx_node_ctx *nc, int k) {
  if (k < 0 || k >= nc->n_in || !nc->in[k].present) return NULL;
  return &nc->in[k];
}

int gt_onnx_all_const(const gt_onnx_node_ctx *nc) {
  for (int k = 0; k < nc->n_in; k++)
    if (nc->in[k].present && nc->in[k].batched) return 0;
  return 1;
}

gt_status gt_onnx_need_in(const gt_onnx_node_ctx *nc, int k, const char *role, gt_error *err) {
  if (gt_onnx_in(nc, k)) return GT_OK;
  return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "required input %d (%s) is missing", k, role);
}

gt_status gt_onnx_need_batched(const gt_onnx_node_ctx *nc, int k, const char *role, gt_error *err) {
  gt_status st = gt_onnx_need_in(nc, k, role, err);
  if (st != GT_OK) return st;
  if (!nc->in[k].batched)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "input %d (%s, '%s') must depend on the model input", k,
                             role, nc->in[k].name);
  return GT_OK;
}

gt_status gt_onnx_need_const(const gt_onnx_node_ctx *nc, int k, const char *role, gt_error *err) {
  gt_status st = gt_onnx_need_in(nc, k, role, err);
  if (st != GT_OK) return st;
  if (nc->in[k].batched)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED,
                             "input %d (%s, '%s') depends on the model input; Gauntlet needs it constant", k, role,
                             nc->in[k].name);
  return GT_OK;
}

gt_status gt_onnx_const_ints(const gt_onnx_node_ctx *nc, int k, const char *role, int64_t *out, int cap, int *n,
                             gt_error *err) {
  gt_status st = gt_onnx_need_const(nc, k, role, err);
  if (st != GT_OK) return st;
  const gt_onnx_tensor *t = nc->in[k].c;
  if (!gt_onnx_elem_is_int(t->elem))
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "input %d (%s) must be an integer tensor, not %s", k, role,
                             gt_onnx_elem_name(t->elem));
  if (t->ndim > 1)
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "input %d (%s) must have rank 0 or 1, not %d", k, role, t->ndim);
  if (t->numel > cap)
    return gt_onnx_node_fail(nc, err, GT_ERR_LIMIT, "input %d (%s) has %lld values; at most %d make sense here", k,
                             role, (long long)t->numel, cap);
  for (int64_t j = 0; j < t->numel; j++) out[j] = t->i[j];
  *n = (int)t->numel;
  return GT_OK;
}

gt_status gt_onnx_const_scalar(const gt_onnx_node_ctx *nc, int k, const char *role, double *out, gt_error *err) {
  gt_status st = gt_onnx_need_const(nc, k, role, err);
  if (st != GT_OK) return st;
  const gt_onnx_tensor *t = nc->in[k].c;
  if (t->numel != 1)
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "input %d (%s) must hold one value, not %lld", k, role,
                             (long long)t->numel);
  if (t->i && t->i[0] == GT_ONNX_BATCH_SYM)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "input %d (%s) is the batch size, unknown at load time", k,
                             role);
  *out = gt_onnx_tensor_get_f(t, 0);
  return GT_OK;
}

gt_status gt_onnx_refuse_extra_outputs(const gt_onnx_node_ctx *nc, int first, const char *why, gt_error *err) {
  for (int k = first; k < nc->n_out; k++)
    if (nc->out_used[k])
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "output %d ('%s') is used, but %s", k,
                               nc->proto->output[k], why);
  return GT_OK;
}

gt_status gt_onnx_axis(const gt_onnx_node_ctx *nc, int64_t axis, int rank, const char *what, int *out,
                       gt_error *err) {
  if (axis < -(int64_t)rank || axis >= rank)
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "%s %lld is out of range for rank %d", what, (long long)axis,
                             rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return GT_OK;
}

gt_status gt_onnx_lower_as_node(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_op_kind op, int n_ir_in,
                                int out_ndim, const int64_t *out_shape, gt_error *err) {
  gt_onnx_lowering_clear(lw);
  lw->ir_in = calloc((size_t)(n_ir_in > 0 ? n_ir_in : 1), sizeof *lw->ir_in);
  if (!lw->ir_in) return gt_onnx_node_fail(nc, err, GT_ERR_MEMORY, "out of memory");
  for (int k = 0; k < n_ir_in; k++) lw->ir_in[k].operand = -1;
  lw->kind = GT_ONNX_LOWER_NODE;
  lw->op = op;
  lw->n_ir_in = n_ir_in;
  lw->out_ndim = out_ndim;
  for (int d = 0; d < out_ndim; d++) lw->out_shape[d] = out_shape[d];
  return GT_OK;
}

void gt_onnx_lower_as_alias(gt_onnx_lowering *lw, int operand) {
  gt_onnx_lowering_clear(lw);
  lw->kind = GT_ONNX_LOWER_ALIAS;
  lw->alias_of = operand;
}

void gt_onnx_lower_as_const(gt_onnx_lowering *lw, gt_onnx_tensor *result) {
  gt_onnx_lowering_clear(lw);
  lw->kind = GT_ONNX_LOWER_CONST;
  lw->result = result;
}

void gt_onnx_lowering_clear(gt_onnx_lowering *lw) {
  for (int k = 0; k < lw->n_ir_in; k++) gt_onnx_tensor_free(lw->ir_in[k].owned);
  free(lw->ir_in);
  gt_onnx_tensor_free(lw->result);
  memset(lw, 0, sizeof *lw);
}
