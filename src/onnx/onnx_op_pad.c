/* Pad (constant / reflect / edge) -> PAD, and Slice: folded on constants; on batched values a
 * step-1 slice of non-batch dims is a PAD with negative amounts (a crop). */
#include <string.h>

#include "onnx/onnx_internal.h"

/* Output 0 = PAD of operand 0 by begin/end (per dim), or an alias when nothing changes. */
static gt_status finish_pad(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_pad_mode mode, float value,
                            const int64_t *begin, const int64_t *end, gt_error *err) {
  const gt_onnx_operand *x = &nc->in[0];
  int64_t out[GT_MAX_DIMS];
  int nothing = 1;
  char s[128];
  for (int d = 0; d < x->ndim; d++) {
    if (d == 0 && (begin[0] || end[0]))
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "padding or cropping the batch dim (axis 0)");
    if (d == 0) {
      out[0] = GT_DIM_BATCH;
      continue;
    }
    int64_t b = begin[d], e = end[d], dim = x->shape[d];
    if (b < -GT_MAX_DIM_SIZE || b > GT_MAX_DIM_SIZE || e < -GT_MAX_DIM_SIZE || e > GT_MAX_DIM_SIZE)
      return gt_onnx_node_fail(nc, err, GT_ERR_LIMIT, "pad amount on axis %d is absurd", d);
    out[d] = dim + b + e;
    if (out[d] < 1 || out[d] > GT_MAX_DIM_SIZE)
      return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "axis %d of %s would have size %lld", d,
                               gt_onnx_shape_str(x->ndim, x->shape, s, sizeof s), (long long)out[d]);
    if (mode == GT_PAD_REFLECT && (b >= dim || e >= dim))
      return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "reflect padding of %lld/%lld on axis %d of size %lld",
                               (long long)b, (long long)e, d, (long long)dim);
    nothing &= b == 0 && e == 0;
  }
  if (nothing) {
    gt_onnx_lower_as_alias(lw, 0);
    return GT_OK;
  }
  gt_status st = gt_onnx_lower_as_node(nc, lw, GT_OP_PAD, 1, x->ndim, out, err);
  if (st != GT_OK) return st;
  lw->ir_in[0].operand = 0;
  gt_pad_params *p = &lw->node.p.pad;
  p->mode = mode;
  p->value = value;
  for (int d = 0; d < x->ndim; d++) {
    p->begin[d] = begin[d];
    p->end[d] = end[d];
  }
  return GT_OK;
}

gt_status gt_onnx_lower_pad(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  char mode_s[32];
  int64_t pads[2 * GT_MAX_DIMS], axes[GT_MAX_DIMS];
  int n_pads = 0, n_axes = -1;
  float value = 0.0f;
  gt_status st = gt_onnx_need_batched(nc, 0, "data", err);
  if (st == GT_OK) st = gt_onnx_attr_string(nc, "mode", "constant", mode_s, sizeof mode_s, err);
  if (st != GT_OK) return st;
  const gt_onnx_operand *x = &nc->in[0];
  if (nc->opset < 11) {
    st = gt_onnx_attr_ints(nc, "pads", pads, 2 * GT_MAX_DIMS, &n_pads, err);
    if (st == GT_OK) st = gt_onnx_attr_float(nc, "value", 0.0f, &value, err);
    if (st == GT_OK && n_pads < 0) st = gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "attribute 'pads' is missing");
  } else {
    st = gt_onnx_const_ints(nc, 1, "pads", pads, 2 * GT_MAX_DIMS, &n_pads, err);
    if (st == GT_OK && gt_onnx_in(nc, 2)) {
      double v = 0.0;
      st = gt_onnx_const_scalar(nc, 2, "constant_value", &v, err);
      value = (float)v;
    }
    if (st == GT_OK && gt_onnx_in(nc, 3)) st = gt_onnx_const_ints(nc, 3, "axes", axes, GT_MAX_DIMS, &n_axes, err);
  }
  if (st != GT_OK) return st;
  gt_pad_mode mode;
  if (!strcmp(mode_s, "constant")) mode = GT_PAD_CONSTANT;
  else if (!strcmp(mode_s, "reflect")) mode = GT_PAD_REFLECT;
  else if (!strcmp(mode_s, "edge")) mode = GT_PAD_EDGE;
  else return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "mode '%s' is not supported", mode_s);
  int n = n_axes >= 0 ? n_axes : x->ndim;
  if (n_pads != 2 * n)
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "pads has %d values; %d axes need %d", n_pads, n, 2 * n);
  int64_t begin[GT_MAX_DIMS] = {0}, end[GT_MAX_DIMS] = {0};
  for (int k = 0; k < n; k++) {
    int a = k;
    if (n_axes >= 0) {
      st = gt_onnx_axis(nc, axes[k], x->ndim, "axis", &a, err);
      if (st != GT_OK) return st;
    }
    begin[a] = pads[k];
    end[a] = pads[k + n];
  }
  return finish_pad(nc, lw, mode, value, begin, end, err);
}

/* Clamps one axis of a slice as ONNX does; gives start, step and length. */
static void clamp_axis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t *s0, int64_t *len) {
  if (start < 0) start = start < -dim ? (step > 0 ? 0 : -1) : start + dim;
  if (end < 0) end = end < -dim ? -1 : end + dim;
  if (step > 0) {
    start = start < 0 ? 0 : start > dim ? dim : start;
    end = end < 0 ? 0 : end > dim ? dim : end;
    *len = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
    end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
    *len = start > end ? (start - end + (-step) - 1) / (-step) : 0;
  }
  *s0 = start;
}

gt_status gt_onnx_lower_slice(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  int64_t starts[GT_MAX_DIMS], ends[GT_MAX_DIMS], axes[GT_MAX_DIMS], steps[GT_MAX_DIMS];
  int ns = 0, ne = 0, na = -1, nt = -1;
  gt_status st = gt_onnx_need_in(nc, 0, "data", err);
  if (st != GT_OK) return st;
  if (nc->opset < 10) {
    st = gt_onnx_attr_ints(nc, "starts", starts, GT_MAX_DIMS, &ns, err);
    if (st == GT_OK) st = gt_onnx_attr_ints(nc, "ends", ends, GT_MAX_DIMS, &ne, err);
    if (st == GT_OK) st = gt_onnx_attr_ints(nc, "axes", axes, GT_MAX_DIMS, &na, err);
  } else {
    st = gt_onnx_const_ints(nc, 1, "starts", starts, GT_MAX_DIMS, &ns, err);
    if (st == GT_OK) st = gt_onnx_const_ints(nc, 2, "ends", ends, GT_MAX_DIMS, &ne, err);
    if (st == GT_OK && gt_onnx_in(nc, 3)) st = gt_onnx_const_ints(nc, 3, "axes", axes, GT_MAX_DIMS, &na, err);
    if (st == GT_OK && gt_onnx_in(nc, 4)) st = gt_onnx_const_ints(nc, 4, "steps", steps, GT_MAX_DIMS, &nt, err);
  }
  if (st != GT_OK) return st;
  const gt_onnx_operand *x = &nc->in[0];
  if (ns < 0 || ns != ne || (na >= 0 && na != ns) || (nt >= 0 && nt != ns))
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "starts, ends, axes and steps have different lengths");
  int64_t s0[GT_MAX_DIMS], step[GT_MAX_DIMS], len[GT_MAX_DIMS];
  int touched[GT_MAX_DIMS] = {0};
  for (int d = 0; d < x->ndim; d++) {
    s0[d] = 0;
    step[d] = 1;
    len[d] = x->shape[d];
  }
  for (int k = 0; k < ns; k++) {
    int a = k;
    if (na >= 0) {
      st = gt_onnx_axis(nc, axes[k], x->ndim, "axis", &a, err);
      if (st != GT_OK) return st;
    }
    int64_t sp = nt >= 0 ? steps[k] : 1;
    if (sp == 0) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "step 0");
    if (touched[a]) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "axis %d is sliced twice", a);
    touched[a] = 1;
    if (starts[k] == GT_ONNX_BATCH_SYM || ends[k] == GT_ONNX_BATCH_SYM)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "slice bounds that depend on the batch size");
    if (x->batched && a == 0) {
      if (starts[k] != 0 || sp != 1 || ends[k] < GT_MAX_DIM_SIZE)
        return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "slicing the batch dim (axis 0)");
      continue;
    }
    step[a] = sp;
    clamp_axis(x->shape[a], starts[k], ends[k], sp, &s0[a], &len[a]);
  }
  if (!x->batched) {
    gt_onnx_tensor *t = NULL;
    st = gt_onnx_host_slice(nc, x->c, s0, step, len, &t, err);
    if (st == GT_OK) gt_onnx_lower_as_const(lw, t);
    return st;
  }
  int64_t begin[GT_MAX_DIMS] = {0}, end[GT_MAX_DIMS] = {0};
  for (int d = 1; d < x->ndim; d++) {
    if (step[d] != 1)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "slice with step %lld on a batched value",
                               (long long)step[d]);
    if (len[d] < 1) return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "empty slice on axis %d", d);
    begin[d] = -s0[d];
    end[d] = -(x->shape[d] - s0[d] - len[d]);
  }
  return finish_pad(nc, lw, GT_PAD_CONSTANT, 0.0f, begin, end, err);
}
