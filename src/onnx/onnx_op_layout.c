/* Ops that change how elements are laid out: Flatten, Reshape, Squeeze, Unsqueeze, Transpose,
 * Concat. On batched values the batch must stay the leading dim; on constants they fold. */
#include <string.h>

#include "onnx/onnx_internal.h"

/* Output 0 = operand 0 with a new shape: folded, aliased (same shape) or a RESHAPE node. */
static gt_status finish_reshape(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, int ndim, const int64_t *shape,
                                gt_error *err) {
  const gt_onnx_operand *x = &nc->in[0];
  if (!x->batched) {
    gt_onnx_tensor *r = gt_onnx_tensor_reshaped(x->c, ndim, shape, err);
    if (!r) return err ? err->code : GT_ERR_MEMORY;
    gt_onnx_lower_as_const(lw, r);
    return GT_OK;
  }
  int same = ndim == x->ndim;
  for (int d = 0; same && d < ndim; d++) same = shape[d] == x->shape[d];
  if (same) {
    gt_onnx_lower_as_alias(lw, 0);
    return GT_OK;
  }
  gt_status st = gt_onnx_lower_as_node(nc, lw, GT_OP_RESHAPE, 1, ndim, shape, err);
  if (st == GT_OK) lw->ir_in[0].operand = 0;
  return st;
}

/* Product of dims, saturating at INT64_MAX (which then fails every size comparison). */
static int64_t prod(int n, const int64_t *s) {
  int64_t p = 1;
  for (int d = 0; d < n; d++)
    if (__builtin_mul_overflow(p, s[d], &p)) return INT64_MAX;
  return p;
}

gt_status gt_onnx_lower_flatten(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = gt_onnx_need_in(nc, 0, "input", err);
  int64_t axis = 1;
  if (st == GT_OK) st = gt_onnx_attr_int(nc, "axis", 1, &axis, err);
  if (st != GT_OK) return st;
  const gt_onnx_operand *x = &nc->in[0];
  int r = x->ndim;
  if (axis < -(int64_t)r || axis > r)
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "axis %lld is out of range for rank %d", (long long)axis, r);
  int a = (int)(axis < 0 ? axis + r : axis);
  int64_t shape[2];
  if (x->batched) {
    if (a != 1)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED,
                               "flatten at axis %d would not keep the batch as the leading dim (only axis 1 does)", a);
    shape[0] = GT_DIM_BATCH;
    shape[1] = prod(r - 1, x->shape + 1);
  } else {
    shape[0] = prod(a, x->shape);
    shape[1] = prod(r - a, x->shape + a);
  }
  return finish_reshape(nc, lw, 2, shape, err);
}

/* Reshape target of a batched value: the batch must end up (only) at dim 0. */
static gt_status resolve_batched(const gt_onnx_node_ctx *nc, const int64_t *t, int n, int allowzero, int64_t *out,
                                 gt_error *err) {
  const gt_onnx_operand *x = &nc->in[0];
  int64_t per_sample = prod(x->ndim - 1, x->shape + 1);
  int batch_at = -1, n_batch = 0, infer = -1;
  char s[128];
  for (int i = 0; i < n; i++) {
    int64_t v = t[i];
    if (v == 0 && !allowzero) {
      if (i >= x->ndim)
        return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "shape[%d] = 0 copies a dim the input (rank %d) lacks", i,
                                 x->ndim);
      v = i == 0 ? GT_ONNX_BATCH_SYM : x->shape[i];
    }
    if (v == GT_ONNX_BATCH_SYM) {
      n_batch++;
      batch_at = i;
      out[i] = GT_DIM_BATCH;
    } else if (v == -1) {
      if (infer >= 0) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "shape has more than one -1");
      infer = i;
      out[i] = -1;
    } else if (v < 0 || v > GT_MAX_DIM_SIZE) {
      return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "shape[%d] = %lld is not a size", i, (long long)v);
    } else {
      out[i] = v;
    }
  }
  if (n_batch == 0 && n > 0) {
    /* No explicit batch: x.view(-1, K) with K = per-sample size, or a fixed-batch export whose
     * leading dim equals the declared batch size. */
    int64_t rest = prod(n - 1, out + 1);
    if (infer == 0 && rest == per_sample) {
      out[0] = GT_DIM_BATCH;
      batch_at = 0;
      infer = -1;
      n_batch = 1;
    } else if (nc->batch_static > 0 && out[0] == nc->batch_static) {
      out[0] = GT_DIM_BATCH;
      batch_at = 0;
      n_batch = 1;
    }
  }
  if (n_batch != 1 || batch_at != 0)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED,
                             "reshape of %s would not keep the batch as the leading dim (only dim 0 may be the batch)",
                             gt_onnx_shape_str(x->ndim, x->shape, s, sizeof s));
  int64_t known = 1;
  for (int i = 1; i < n; i++)
    if (i != infer && __builtin_mul_overflow(known, out[i], &known)) known = INT64_MAX;
  if (infer > 0) {
    if (known == 0 || per_sample % known != 0)
      return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "cannot infer the -1 in the target shape from %s",
                               gt_onnx_shape_str(x->ndim, x->shape, s, sizeof s));
    out[infer] = per_sample / known;
    known *= out[infer];
  }
  if (known != per_sample)
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "target shape has %lld elements per sample; input %s has %lld",
                             (long long)known, gt_onnx_shape_str(x->ndim, x->shape, s, sizeof s),
                             (long long)per_sample);
  return GT_OK;
}

static gt_status resolve_const(const gt_onnx_node_ctx *nc, const int64_t *t, int n, int allowzero, int64_t *out,
                               gt_error *err) {
  const gt_onnx_tensor *c = nc->in[0].c;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < n; i++) {
    int64_t v = t[i];
    if (v == GT_ONNX_BATCH_SYM)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "constant reshaped with the batch size as a dim");
    if (v == 0 && !allowzero) {
      if (i >= c->ndim) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "shape[%d] = 0 copies a missing dim", i);
      v = c->shape[i];
    }
    if (v == -1) {
      if (infer >= 0) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "shape has more than one -1");
      infer = i;
      continue;
    }
    if (v < 0 || v > GT_MAX_DIM_SIZE)
      return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "shape[%d] = %lld is not a size", i, (long long)v);
    out[i] = v;
    if (__builtin_mul_overflow(known, v, &known)) known = INT64_MAX;
  }
  if (infer >= 0) {
    if (known == 0 || c->numel % known != 0)
      return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "cannot infer the -1 for %lld elements", (long long)c->numel);
    out[infer] = c->numel / known;
    known = c->numel;
  }
  if (known != c->numel)
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "target shape has %lld elements; the constant has %lld",
                             (long long)known, (long long)c->numel);
  return GT_OK;
}

gt_status gt_onnx_lower_reshape(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  int64_t t[GT_MAX_DIMS], out[GT_MAX_DIMS], allowzero = 0;
  int n = 0;
  gt_status st = gt_onnx_need_in(nc, 0, "data", err);
  if (st == GT_OK) st = gt_onnx_const_ints(nc, 1, "shape", t, GT_MAX_DIMS, &n, err);
  if (st == GT_OK && nc->opset >= 14) st = gt_onnx_attr_int(nc, "allowzero", 0, &allowzero, err);
  if (st != GT_OK) return st;
  if (nc->in[0].batched) st = resolve_batched(nc, t, n, allowzero != 0, out, err);
  else st = resolve_const(nc, t, n, allowzero != 0, out, err);
  if (st != GT_OK) return st;
  return finish_reshape(nc, lw, n, out, err);
}

/* Input 0 ("data") into *x, and the axes from the attribute (before opset 13) or from input 1
 * (from 13). *n = -1 when absent. */
static gt_status read_data_axes(const gt_onnx_node_ctx *nc, const gt_onnx_operand **x, int64_t *axes, int *n,
                                gt_error *err) {
  gt_status st = gt_onnx_need_in(nc, 0, "data", err);
  if (st != GT_OK) return st;
  *x = &nc->in[0];
  if (nc->opset < 13) return gt_onnx_attr_ints(nc, "axes", axes, GT_MAX_DIMS, n, err);
  *n = -1;
  if (!gt_onnx_in(nc, 1)) return GT_OK;
  return gt_onnx_const_ints(nc, 1, "axes", axes, GT_MAX_DIMS, n, err);
}

gt_status gt_onnx_lower_squeeze(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  int64_t axes[GT_MAX_DIMS], out[GT_MAX_DIMS];
  int n = 0, drop[GT_MAX_DIMS] = {0};
  const gt_onnx_operand *x = NULL;
  gt_status st = read_data_axes(nc, &x, axes, &n, err);
  if (st != GT_OK) return st;
  for (int k = 0; k < n; k++) {
    int a = 0;
    st = gt_onnx_axis(nc, axes[k], x->ndim, "axis", &a, err);
    if (st != GT_OK) return st;
    if (x->batched && a == 0)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "squeezing the batch dim (axis 0) is not supported");
    if (x->shape[a] != 1)
      return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "axis %d has size %lld, not 1", a, (long long)x->shape[a]);
    drop[a] = 1;
  }
  if (n < 0)
    for (int d = x->batched ? 1 : 0; d < x->ndim; d++) drop[d] = x->shape[d] == 1;
  int r = 0;
  for (int d = 0; d < x->ndim; d++)
    if (!drop[d]) out[r++] = x->shape[d];
  return finish_reshape(nc, lw, r, out, err);
}

gt_status gt_onnx_lower_unsqueeze(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  int64_t axes[GT_MAX_DIMS], out[GT_MAX_DIMS];
  int n = 0, add[GT_MAX_DIMS] = {0};
  const gt_onnx_operand *x = NULL;
  gt_status st = read_data_axes(nc, &x, axes, &n, err);
  if (st != GT_OK) return st;
  if (n < 0) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "axes are missing");
  int r = x->ndim + n;
  if (r > GT_MAX_DIMS)
    return gt_onnx_node_fail(nc, err, GT_ERR_LIMIT, "output rank %d is above %d", r, GT_MAX_DIMS);
  for (int k = 0; k < n; k++) {
    int a = 0;
    st = gt_onnx_axis(nc, axes[k], r, "axis", &a, err);
    if (st != GT_OK) return st;
    if (add[a]) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "axis %d is listed twice", a);
    if (x->batched && a == 0)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "a new leading dim would displace the batch dim");
    add[a] = 1;
  }
  for (int d = 0, j = 0; d < r; d++) out[d] = add[d] ? 1 : x->shape[j++];
  return finish_reshape(nc, lw, r, out, err);
}

gt_status gt_onnx_lower_transpose(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  int64_t perm[GT_MAX_DIMS];
  int n = 0, p[GT_MAX_DIMS], seen[GT_MAX_DIMS] = {0};
  gt_status st = gt_onnx_need_in(nc, 0, "data", err);
  if (st == GT_OK) st = gt_onnx_attr_ints(nc, "perm", perm, GT_MAX_DIMS, &n, err);
  if (st != GT_OK) return st;
  const gt_onnx_operand *x = &nc->in[0];
  int r = x->ndim;
  if (n < 0)
    for (int d = 0; d < r; d++) perm[d] = r - 1 - d;
  else if (n != r)
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "perm has %d entries for rank %d", n, r);
  int identity = 1;
  for (int d = 0; d < r; d++) {
    if (perm[d] < 0 || perm[d] >= r || seen[perm[d]])
      return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "perm is not a permutation of 0..%d", r - 1);
    seen[perm[d]] = 1;
    p[d] = (int)perm[d];
    identity &= p[d] == d;
  }
  if (!x->batched) {
    gt_onnx_tensor *t = NULL;
    st = gt_onnx_host_transpose(nc, x->c, p, &t, err);
    if (st == GT_OK) gt_onnx_lower_as_const(lw, t);
    return st;
  }
  if (p[0] != 0)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "perm[0] = %d would move the batch dim", p[0]);
  if (identity) {
    gt_onnx_lower_as_alias(lw, 0);
    return GT_OK;
  }
  int64_t out[GT_MAX_DIMS];
  for (int d = 0; d < r; d++) out[d] = x->shape[p[d]];
  st = gt_onnx_lower_as_node(nc, lw, GT_OP_TRANSPOSE, 1, r, out, err);
  if (st != GT_OK) return st;
  lw->ir_in[0].operand = 0;
  for (int d = 0; d < GT_MAX_DIMS; d++) lw->node.p.transpose.perm[d] = d < r ? p[d] : d;
  return GT_OK;
}

gt_status gt_onnx_lower_concat(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  int64_t axis = 0;
  if (!gt_onnx_attr_find(nc, "axis")) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "attribute 'axis' is missing");
  gt_status st = gt_onnx_attr_int(nc, "axis", 0, &axis, err);
  if (st != GT_OK) return st;
  int n = 0, n_batched = 0;
  for (int k = 0; k < nc->n_in; k++) {
    if (!nc->in[k].present) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "input %d is empty", k);
    n++;
    n_batched += nc->in[k].batched;
  }
  if (n == 0) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "no inputs");
  const gt_onnx_operand *first = &nc->in[0];
  int a = 0;
  st = gt_onnx_axis(nc, axis, first->ndim, "axis", &a, err);
  if (st != GT_OK) return st;
  if (n_batched == 0) {
    const gt_onnx_tensor *parts[64];
    if (n > 64) return gt_onnx_node_fail(nc, err, GT_ERR_LIMIT, "%d constant inputs (at most 64 fold)", n);
    for (int k = 0; k < n; k++) parts[k] = nc->in[k].c;
    gt_onnx_tensor *t = NULL;
    st = gt_onnx_host_concat(nc, n, parts, a, &t, err);
    if (st == GT_OK) gt_onnx_lower_as_const(lw, t);
    return st;
  }
  if (n_batched != n)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "concatenating batched and constant inputs");
  if (a == 0) return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "concatenation along the batch dim (axis 0)");
  if (n == 1) {
    gt_onnx_lower_as_alias(lw, 0);
    return GT_OK;
  }
  int64_t out[GT_MAX_DIMS];
  for (int d = 0; d < first->ndim; d++) out[d] = first->shape[d];
  out[a] = 0;
  char s0[128], s1[128];
  for (int k = 0; k < n; k++) {
    const gt_onnx_operand *o = &nc->in[k];
    int same = o->ndim == first->ndim;
    for (int d = 0; same && d < o->ndim; d++) same = d == a || o->shape[d] == first->shape[d];
    if (!same)
      return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "input %d %s does not match input 0 %s outside axis %d", k,
                               gt_onnx_shape_str(o->ndim, o->shape, s1, sizeof s1),
                               gt_onnx_shape_str(first->ndim, first->shape, s0, sizeof s0), a);
    out[a] += o->shape[a];
  }
  if (out[a] > GT_MAX_DIM_SIZE) return gt_onnx_node_fail(nc, err, GT_ERR_LIMIT, "concatenated dim is too large");
  st = gt_onnx_lower_as_node(nc, lw, GT_OP_CONCAT, n, first->ndim, out, err);
  if (st != GT_OK) return st;
  for (int k = 0; k < n; k++) lw->ir_in[k].operand = k;
  lw->node.p.concat.axis = a;
  return GT_OK;
}
