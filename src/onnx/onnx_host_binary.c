/* Elementwise folding of constants with numpy broadcasting: Add/Sub/Mul/Div/Equal and Where.
 *
 * Integer tensors may hold GT_ONNX_BATCH_SYM (the batch size, unknown at load time); the few
 * identities that keep it exact (N+0, N*1, N/1, N-N, N==N, N==-1) are applied, anything else
 * is refused as unsupported because its value would depend on the batch size. */
#include <stdio.h>
#include <stdlib.h>

#include "onnx/onnx_internal.h"

int gt_onnx_broadcast(int na, const int64_t *a, int nb, const int64_t *b, int *n_out, int64_t *out) {
  int n = na > nb ? na : nb;
  for (int d = 0; d < n; d++) {
    int da = d - (n - na), db = d - (n - nb);
    int64_t x = da >= 0 ? a[da] : 1, y = db >= 0 ? b[db] : 1;
    if (x == y || y == 1) out[d] = x;
    else if (x == 1) out[d] = y;
    else return 0;
  }
  *n_out = n;
  return 1;
}

/* Element strides of t aligned to an output of rank n (0 along broadcast dims). */
static void bcast_strides(const gt_onnx_tensor *t, int n, int64_t *strides) {
  int64_t s = 1;
  for (int d = n - 1; d >= 0; d--) {
    int dt = d - (n - t->ndim);
    if (dt < 0 || t->shape[dt] == 1) strides[d] = 0;
    else strides[d] = s;
    if (dt >= 0) s *= t->shape[dt];
  }
}

/* Steps a multi-index over shape (rank n), updating up to three source offsets. */
static void advance(int n, const int64_t *shape, int64_t *idx, int64_t strides[][GT_MAX_DIMS], int64_t *off, int m) {
  for (int d = n - 1; d >= 0; d--) {
    idx[d]++;
    for (int j = 0; j < m; j++) off[j] += strides[j][d];
    if (idx[d] < shape[d]) return;
    for (int j = 0; j < m; j++) off[j] -= strides[j][d] * idx[d];
    idx[d] = 0;
  }
}

static gt_status batch_arith(const gt_onnx_node_ctx *nc, gt_error *err) {
  return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED,
                           "arithmetic on the batch size (from Shape) whose result depends on it at run time");
}

/* One integer op; fails on overflow, division by zero or a batch-dependent result. */
static gt_status int_op(const gt_onnx_node_ctx *nc, gt_onnx_binop op, int64_t x, int64_t y, int64_t *r,
                        gt_error *err) {
  const int64_t S = GT_ONNX_BATCH_SYM;
  if (x == S || y == S) {
    switch (op) {
      case GT_ONNX_ADD:
        if (y == 0 || x == 0) { *r = x == 0 ? y : x; return GT_OK; }
        break;
      case GT_ONNX_SUB:
        if (y == 0) { *r = x; return GT_OK; }
        if (x == y) { *r = 0; return GT_OK; }
        break;
      case GT_ONNX_MUL:
        if (x == 1 || y == 1) { *r = x == 1 ? y : x; return GT_OK; }
        if (x == 0 || y == 0) { *r = 0; return GT_OK; }
        break;
      case GT_ONNX_DIV:
        if (y == 1) { *r = x; return GT_OK; }
        if (x == y) { *r = 1; return GT_OK; }
        break;
      case GT_ONNX_EQUAL:
        if (x == y) { *r = 1; return GT_OK; }
        if ((x == S ? y : x) <= 0) { *r = 0; return GT_OK; } /* the batch size is at least 1 */
        break;
    }
    return batch_arith(nc, err);
  }
  int bad = 0;
  switch (op) {
    case GT_ONNX_ADD: bad = __builtin_add_overflow(x, y, r); break;
    case GT_ONNX_SUB: bad = __builtin_sub_overflow(x, y, r); break;
    case GT_ONNX_MUL: bad = __builtin_mul_overflow(x, y, r); break;
    case GT_ONNX_EQUAL: *r = x == y; break;
    case GT_ONNX_DIV:
      if (y == 0) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "integer division by zero while folding");
      if (x == INT64_MIN && y == -1) bad = 1;
      else *r = x / y;
      break;
  }
  if (bad) return gt_onnx_node_fail(nc, err, GT_ERR_LIMIT, "integer overflow while folding");
  return GT_OK;
}

static float float_op(gt_onnx_binop op, float x, float y) {
  switch (op) {
    case GT_ONNX_ADD: return x + y;
    case GT_ONNX_SUB: return x - y;
    case GT_ONNX_MUL: return x * y;
    case GT_ONNX_DIV: return x / y;
    case GT_ONNX_EQUAL: return x == y;
  }
  return 0.0f;
}

gt_status gt_onnx_host_binary(const gt_onnx_node_ctx *nc, gt_onnx_binop op, const gt_onnx_tensor *a,
                              const gt_onnx_tensor *b, gt_onnx_tensor **out, gt_error *err) {
  *out = NULL;
  int n = 0;
  int64_t shape[GT_MAX_DIMS];
  char sa[128], sb[128];
  if (!gt_onnx_broadcast(a->ndim, a->shape, b->ndim, b->shape, &n, shape))
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "shapes %s and %s do not broadcast",
                             gt_onnx_shape_str(a->ndim, a->shape, sa, sizeof sa),
                             gt_onnx_shape_str(b->ndim, b->shape, sb, sizeof sb));
  int ints = a->i && b->i;
  int32_t elem = op == GT_ONNX_EQUAL ? GT_ONNX_BOOL : ints ? a->elem : GT_ONNX_FLOAT;
  if (!ints && ((a->i && gt_onnx_tensor_has_batch_sym(a)) || (b->i && gt_onnx_tensor_has_batch_sym(b))))
    return batch_arith(nc, err);
  gt_status st = gt_onnx_fold_output_new(nc, elem, n, shape, out, err);
  if (st != GT_OK) return st;
  int64_t strides[3][GT_MAX_DIMS], idx[GT_MAX_DIMS] = {0}, off[2] = {0, 0};
  bcast_strides(a, n, strides[0]);
  bcast_strides(b, n, strides[1]);
  gt_onnx_tensor *o = *out;
  for (int64_t k = 0; k < o->numel; k++) {
    if (ints) {
      int64_t r = 0;
      st = int_op(nc, op, a->i[off[0]], b->i[off[1]], &r, err);
      if (st != GT_OK) {
        gt_onnx_tensor_free(o);
        *out = NULL;
        return st;
      }
      o->i[k] = r;
    } else {
      float r = float_op(op, (float)gt_onnx_tensor_get_f(a, off[0]), (float)gt_onnx_tensor_get_f(b, off[1]));
      if (o->i) o->i[k] = r != 0.0f;
      else o->f[k] = r;
    }
    advance(n, shape, idx, strides, off, 2);
  }
  return GT_OK;
}

gt_status gt_onnx_host_where(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *cond, const gt_onnx_tensor *x,
                             const gt_onnx_tensor *y, gt_onnx_tensor **out, gt_error *err) {
  *out = NULL;
  int n1 = 0, n = 0;
  int64_t s1[GT_MAX_DIMS], shape[GT_MAX_DIMS];
  if (!gt_onnx_broadcast(x->ndim, x->shape, y->ndim, y->shape, &n1, s1) ||
      !gt_onnx_broadcast(cond->ndim, cond->shape, n1, s1, &n, shape))
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "condition, X and Y do not broadcast");
  if (!cond->i) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "condition must be bool");
  if (!!x->i != !!y->i) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "X and Y must have the same type");
  gt_status st = gt_onnx_fold_output_new(nc, x->elem, n, shape, out, err);
  if (st != GT_OK) return st;
  int64_t strides[3][GT_MAX_DIMS], idx[GT_MAX_DIMS] = {0}, off[3] = {0, 0, 0};
  bcast_strides(cond, n, strides[0]);
  bcast_strides(x, n, strides[1]);
  bcast_strides(y, n, strides[2]);
  gt_onnx_tensor *o = *out;
  for (int64_t k = 0; k < o->numel; k++) {
    int c = cond->i[off[0]] != 0;
    if (o->i) o->i[k] = c ? x->i[off[1]] : y->i[off[2]];
    else o->f[k] = c ? x->f[off[1]] : y->f[off[2]];
    advance(n, shape, idx, strides, off, 3);
  }
  return GT_OK;
}
