/* Folding of constants that moves or converts elements: Cast, Transpose, Gather, Slice, Concat,
 * and elementwise unary functions on float constants. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "onnx/onnx_internal.h"

/* Integer conversion to a narrower ONNX type: wraps like a C cast to that width. */
static int64_t wrap_int(int64_t v, int32_t to) {
  switch (to) {
    case GT_ONNX_INT8: return (int8_t)(uint8_t)(uint64_t)v;
    case GT_ONNX_UINT8: return (uint8_t)(uint64_t)v;
    case GT_ONNX_INT16: return (int16_t)(uint16_t)(uint64_t)v;
    case GT_ONNX_UINT16: return (uint16_t)(uint64_t)v;
    case GT_ONNX_INT32: return (int32_t)(uint32_t)(uint64_t)v;
    case GT_ONNX_UINT32: return (uint32_t)(uint64_t)v;
    case GT_ONNX_BOOL: return v != 0;
    default: return v;
  }
}

gt_status gt_onnx_host_cast(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *t, int32_t to, gt_onnx_tensor **out,
                            gt_error *err) {
  *out = NULL;
  if (!gt_onnx_elem_is_float(to) && !gt_onnx_elem_is_int(to))
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "cast to %s (%d) is not supported", gt_onnx_elem_name(to),
                             (int)to);
  gt_status st = gt_onnx_fold_output_new(nc, to, t->ndim, t->shape, out, err);
  if (st != GT_OK) return st;
  gt_onnx_tensor *o = *out;
  for (int64_t k = 0; k < t->numel; k++) {
    if (o->f) {
      if (t->i && t->i[k] == GT_ONNX_BATCH_SYM) {
        st = gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "cast of the batch size (unknown at load time) to %s",
                               gt_onnx_elem_name(to));
        break;
      }
      o->f[k] = (float)gt_onnx_tensor_get_f(t, k);
    } else if (t->i) {
      o->i[k] = t->i[k] == GT_ONNX_BATCH_SYM ? (to == GT_ONNX_BOOL ? 1 : GT_ONNX_BATCH_SYM) : wrap_int(t->i[k], to);
    } else {
      float v = t->f[k];
      if (to == GT_ONNX_BOOL) {
        o->i[k] = v != 0.0f;
      } else if (!(v > -9.2e18f && v < 9.2e18f)) {
        st = gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "cast of %g to %s is out of range", (double)v,
                               gt_onnx_elem_name(to));
        break;
      } else {
        o->i[k] = wrap_int((int64_t)v, to);
      }
    }
  }
  if (st != GT_OK) {
    gt_onnx_tensor_free(o);
    *out = NULL;
  }
  return st;
}

static void copy_elem(gt_onnx_tensor *o, int64_t k, const gt_onnx_tensor *t, int64_t j) {
  if (o->i) o->i[k] = t->i[j];
  else o->f[k] = t->f[j];
}

static void strides_of(int n, const int64_t *shape, int64_t *strides) {
  int64_t s = 1;
  for (int d = n - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
}

gt_status gt_onnx_host_transpose(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *t, const int *perm,
                                 gt_onnx_tensor **out, gt_error *err) {
  int n = t->ndim;
  int64_t shape[GT_MAX_DIMS], in_strides[GT_MAX_DIMS], src_strides[GT_MAX_DIMS], idx[GT_MAX_DIMS] = {0};
  strides_of(n, t->shape, in_strides);
  for (int d = 0; d < n; d++) {
    shape[d] = t->shape[perm[d]];
    src_strides[d] = in_strides[perm[d]];
  }
  gt_status st = gt_onnx_fold_output_new(nc, t->elem, n, shape, out, err);
  if (st != GT_OK) return st;
  int64_t src = 0;
  for (int64_t k = 0; k < (*out)->numel; k++) {
    copy_elem(*out, k, t, src);
    for (int d = n - 1; d >= 0; d--) {
      idx[d]++;
      src += src_strides[d];
      if (idx[d] < shape[d]) break;
      src -= src_strides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return GT_OK;
}

gt_status gt_onnx_host_gather(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *data, const gt_onnx_tensor *idx,
                              int axis, gt_onnx_tensor **out, gt_error *err) {
  *out = NULL;
  int n = data->ndim - 1 + idx->ndim;
  if (n > GT_MAX_DIMS)
    return gt_onnx_node_fail(nc, err, GT_ERR_LIMIT, "output rank %d is above %d", n, GT_MAX_DIMS);
  int64_t shape[GT_MAX_DIMS];
  int r = 0;
  for (int d = 0; d < axis; d++) shape[r++] = data->shape[d];
  for (int d = 0; d < idx->ndim; d++) shape[r++] = idx->shape[d];
  for (int d = axis + 1; d < data->ndim; d++) shape[r++] = data->shape[d];
  int64_t outer = 1, inner = 1, dim = data->shape[axis];
  for (int d = 0; d < axis; d++) outer *= data->shape[d];
  for (int d = axis + 1; d < data->ndim; d++) inner *= data->shape[d];
  for (int64_t j = 0; j < idx->numel; j++) {
    int64_t v = idx->i[j];
    if (v < -dim || v >= dim)
      return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "index %lld is out of range for a dimension of %lld",
                               (long long)v, (long long)dim);
  }
  gt_status st = gt_onnx_fold_output_new(nc, data->elem, n, shape, out, err);
  if (st != GT_OK) return st;
  int64_t k = 0;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < idx->numel; j++) {
      int64_t v = idx->i[j] < 0 ? idx->i[j] + dim : idx->i[j];
      int64_t base = (o * dim + v) * inner;
      for (int64_t e = 0; e < inner; e++) copy_elem(*out, k++, data, base + e);
    }
  return GT_OK;
}

gt_status gt_onnx_host_slice(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *t, const int64_t *start,
                             const int64_t *step, const int64_t *len, gt_onnx_tensor **out, gt_error *err) {
  int n = t->ndim;
  int64_t strides[GT_MAX_DIMS], idx[GT_MAX_DIMS] = {0};
  strides_of(n, t->shape, strides);
  gt_status st = gt_onnx_fold_output_new(nc, t->elem, n, len, out, err);
  if (st != GT_OK) return st;
  int64_t src = 0;
  for (int d = 0; d < n; d++) src += start[d] * strides[d];
  for (int64_t k = 0; k < (*out)->numel; k++) {
    copy_elem(*out, k, t, src);
    for (int d = n - 1; d >= 0; d--) {
      idx[d]++;
      src += step[d] * strides[d];
      if (idx[d] < len[d]) break;
      src -= step[d] * strides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return GT_OK;
}

gt_status gt_onnx_host_concat(const gt_onnx_node_ctx *nc, int n, const gt_onnx_tensor *const *parts, int axis,
                              gt_onnx_tensor **out, gt_error *err) {
  *out = NULL;
  const gt_onnx_tensor *first = parts[0];
  int64_t shape[GT_MAX_DIMS];
  for (int d = 0; d < first->ndim; d++) shape[d] = first->shape[d];
  shape[axis] = 0;
  char s0[128], s1[128];
  for (int k = 0; k < n; k++) {
    const gt_onnx_tensor *p = parts[k];
    int same = p->ndim == first->ndim && !!p->i == !!first->i;
    for (int d = 0; same && d < p->ndim; d++) same = d == axis || p->shape[d] == first->shape[d];
    if (!same)
      return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "input %d %s %s does not match input 0 %s %s outside axis %d", k,
                               gt_onnx_elem_name(p->elem), gt_onnx_shape_str(p->ndim, p->shape, s1, sizeof s1),
                               gt_onnx_elem_name(first->elem),
                               gt_onnx_shape_str(first->ndim, first->shape, s0, sizeof s0), axis);
    shape[axis] += p->shape[axis];
  }
  gt_status st = gt_onnx_fold_output_new(nc, first->elem, first->ndim, shape, out, err);
  if (st != GT_OK) return st;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= shape[d];
  for (int d = axis + 1; d < first->ndim; d++) inner *= shape[d];
  int64_t k = 0;
  for (int64_t o = 0; o < outer; o++)
    for (int j = 0; j < n; j++) {
      int64_t chunk = parts[j]->shape[axis] * inner;
      for (int64_t e = 0; e < chunk; e++) copy_elem(*out, k++, parts[j], o * chunk + e);
    }
  return GT_OK;
}

gt_status gt_onnx_host_unary(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *t, gt_onnx_unary_fn fn,
                             const float *params, gt_onnx_tensor **out, gt_error *err) {
  *out = NULL;
  if (!t->f)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "folding on a %s constant is not supported",
                             gt_onnx_elem_name(t->elem));
  gt_status st = gt_onnx_fold_output_new(nc, t->elem, t->ndim, t->shape, out, err);
  if (st != GT_OK) return st;
  for (int64_t k = 0; k < t->numel; k++) (*out)->f[k] = fn(t->f[k], params);
  return GT_OK;
}
