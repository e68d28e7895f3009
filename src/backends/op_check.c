/* Argument checks every backend's ops share: each op validates the tensors it is handed before
 * it touches memory, so a wrong shape from a caller is a clear GT_ERR_SHAPE, never a stray read.
 * One set of rules for all backends, so they accept and refuse the same calls; `backend` names
 * the backend in messages ("cpu Conv 'conv1': ..."). */
#include "backends/op_check.h"

#include <stdarg.h>
#include <stdio.h>

gt_status gt_op_fail(const char *backend, const gt_op_call *call, gt_error *err, gt_status code, const char *fmt, ...) {
  char what[GT_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  const gt_node *node = call ? call->node : NULL;
  const char *op = node && (int)node->op >= 0 && (int)node->op < GT_OP_COUNT ? gt_op_name(node->op) : "?";
  const char *name = node && node->name ? node->name : "?";
  return gt_error_set(err, code, "%s %s '%s': %s", backend, op, name, what);
}

/* One tensor: present, rank in range, dims and element count within the caps, contiguous,
 * data present when it has elements. */
static gt_status check_tensor(const char *backend, const gt_op_call *call, const gt_tensor *t, const char *what, int index,
                              gt_error *err) {
  if (!t) return gt_op_fail(backend, call, err, GT_ERR_USAGE, "%s %d is missing", what, index);
  int64_t numel = 0;
  gt_error inner;
  if (gt_shape_numel_checked(t->ndim, t->shape, &numel, what, &inner) != GT_OK)
    return gt_op_fail(backend, call, err, inner.code, "%s %d: %s", what, index, inner.message);
  if (!gt_tensor_is_contiguous(t))
    return gt_op_fail(backend, call, err, GT_ERR_USAGE, "%s %d is not contiguous", what, index);
  if (numel > 0 && !t->data) return gt_op_fail(backend, call, err, GT_ERR_USAGE, "%s %d has no data", what, index);
  return GT_OK;
}

gt_status gt_op_check_call(const char *backend, const gt_op_call *call, int min_inputs, int max_inputs, gt_error *err) {
  if (!call || !call->node) return gt_op_fail(backend, call, err, GT_ERR_USAGE, "no node in the op call");
  int n = call->node->n_inputs;
  if (n < min_inputs || n > max_inputs)
    return gt_op_fail(backend, call, err, GT_ERR_SHAPE, "has %d inputs, expected %d..%d", n, min_inputs, max_inputs);
  if (!call->in) return gt_op_fail(backend, call, err, GT_ERR_USAGE, "input list is missing");
  for (int i = 0; i < n; i++) {
    gt_status st = check_tensor(backend, call, call->in[i], "input", i, err);
    if (st != GT_OK) return st;
  }
  return check_tensor(backend, call, call->out, "output", 0, err);
}

int gt_op_same_shape(const gt_tensor *a, const gt_tensor *b) {
  if (a->ndim != b->ndim) return 0;
  for (int d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d]) return 0;
  return 1;
}

gt_status gt_op_check_backward(const char *backend, const gt_op_call *call, int min_inputs, int max_inputs, const gt_tensor *grad_out,
                                gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = gt_op_check_call(backend, call, min_inputs, max_inputs, err);
  if (st != GT_OK) return st;
  char a[96], b[96];
  st = check_tensor(backend, call, grad_out, "output gradient", 0, err);
  if (st != GT_OK) return st;
  if (!gt_op_same_shape(grad_out, call->out))
    return gt_op_fail(backend, call, err, GT_ERR_SHAPE, "output gradient %s does not match output %s",
                       gt_shape_format(grad_out->ndim, grad_out->shape, a, sizeof a),
                       gt_shape_format(call->out->ndim, call->out->shape, b, sizeof b));
  if (!grad_in) return gt_op_fail(backend, call, err, GT_ERR_USAGE, "input gradient list is missing");
  for (int i = 0; i < call->node->n_inputs; i++) {
    if (!grad_in[i]) continue;
    st = check_tensor(backend, call, grad_in[i], "input gradient", i, err);
    if (st != GT_OK) return st;
    if (!gt_op_same_shape(grad_in[i], call->in[i]))
      return gt_op_fail(backend, call, err, GT_ERR_SHAPE, "input gradient %d %s does not match input %s", i,
                         gt_shape_format(grad_in[i]->ndim, grad_in[i]->shape, a, sizeof a),
                         gt_shape_format(call->in[i]->ndim, call->in[i]->shape, b, sizeof b));
  }
  return GT_OK;
}

gt_status gt_op_refuse_weight_grads(const char *backend, const gt_op_call *call, gt_tensor *const *grad_in, int first, gt_error *err) {
  for (int i = first; i < call->node->n_inputs; i++)
    if (grad_in[i])
      return gt_op_fail(backend, call, err, GT_ERR_UNSUPPORTED,
                         "input %d is a weight; gradients with respect to weights are not computed", i);
  return GT_OK;
}

void gt_op_unravel(int64_t flat, int ndim, const int64_t *shape, int64_t *idx) {
  for (int d = ndim - 1; d >= 0; d--) {
    idx[d] = shape[d] > 0 ? flat % shape[d] : 0;
    flat = shape[d] > 0 ? flat / shape[d] : 0;
  }
}

/* The ref backend's broadcast rule, then the collapse. */
gt_status gt_op_broadcast_plan(const char *backend, const gt_op_call *call, gt_op_bplan *bp, gt_error *err) {
  gt_status st = gt_op_check_call(backend, call, 2, 2, err);
  if (st != GT_OK) return st;
  gt_op_kind op = call->node->op;
  if (op != GT_OP_ADD && op != GT_OP_SUB && op != GT_OP_MUL && op != GT_OP_DIV)
    return gt_op_fail(backend, call, err, GT_ERR_INTERNAL, "not a binary op");
  const gt_tensor *t[3] = {call->in[0], call->in[1], call->out};
  const gt_tensor *y = call->out;
  int64_t stride[3][GT_MAX_DIMS];
  char a[96], b[96], c[96];
  int ok = t[0]->ndim <= y->ndim && t[1]->ndim <= y->ndim;
  for (int i = 0; ok && i < 3; i++) {
    int off = y->ndim - t[i]->ndim;
    int64_t s = 1;
    for (int d = y->ndim - 1; d >= 0; d--) {
      int64_t dim = d >= off ? t[i]->shape[d - off] : 1;
      if (dim != 1 && dim != y->shape[d]) ok = 0;
      stride[i][d] = dim == 1 ? 0 : s;
      s *= dim;
    }
  }
  for (int d = 0; ok && d < y->ndim; d++) {
    /* y's dim must be the larger of the two (both 1 -> 1). */
    int oa = y->ndim - t[0]->ndim, ob = y->ndim - t[1]->ndim;
    int64_t da = d >= oa ? t[0]->shape[d - oa] : 1, db = d >= ob ? t[1]->shape[d - ob] : 1;
    ok = y->shape[d] == (da > db ? da : db);
  }
  if (!ok)
    return gt_op_fail(backend, call, err, GT_ERR_SHAPE, "inputs %s and %s do not broadcast to output %s",
                       gt_shape_format(t[0]->ndim, t[0]->shape, a, sizeof a),
                       gt_shape_format(t[1]->ndim, t[1]->shape, b, sizeof b),
                       gt_shape_format(y->ndim, y->shape, c, sizeof c));
  bp->ndim = 0;
  for (int d = 0; d < y->ndim; d++) {
    if (y->shape[d] == 1) continue;
    int k = bp->ndim;
    int merge = k > 0 && (bp->st[0][k - 1] == 0) == (stride[0][d] == 0) &&
                (bp->st[1][k - 1] == 0) == (stride[1][d] == 0);
    if (merge) k--; /* contiguous in every input that is not broadcast here: one longer dim */
    else bp->shape[k] = 1;
    bp->shape[k] *= y->shape[d];
    for (int i = 0; i < 3; i++) bp->st[i][k] = stride[i][d];
    bp->ndim = k + 1;
  }
  return GT_OK;
}
