/* Shape arithmetic for gt_tensor: strides, element counts with overflow checks. */
#include "gauntlet/tensor.h"

#include <stdio.h>

void gt_tensor_init(gt_tensor *t, float *data, int ndim, const int64_t *shape) {
  t->ndim = ndim;
  t->data = data;
  int64_t stride = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    t->shape[d] = shape[d];
    t->strides[d] = stride;
    stride *= shape[d];
  }
  for (int d = ndim; d < GT_MAX_DIMS; d++) {
    t->shape[d] = 1;
    t->strides[d] = 0;
  }
}

int64_t gt_tensor_numel(const gt_tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
  return n;
}

int gt_tensor_is_contiguous(const gt_tensor *t) {
  int64_t stride = 1;
  for (int d = t->ndim - 1; d >= 0; d--) {
    if (t->shape[d] != 1 && t->strides[d] != stride) return 0;
    stride *= t->shape[d];
  }
  return 1;
}

gt_status gt_shape_numel_checked(int ndim, const int64_t *shape, int64_t *numel, const char *what,
                                 gt_error *err) {
  char buf[128];
  if (ndim < 0 || ndim > GT_MAX_DIMS)
    return gt_error_set(err, GT_ERR_LIMIT, "%s: rank %d is outside 0..%d", what, ndim, GT_MAX_DIMS);
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 0 || shape[d] > GT_MAX_DIM_SIZE)
      return gt_error_set(err, GT_ERR_LIMIT, "%s: dimension %d of shape %s is outside 0..%lld", what, d,
                          gt_shape_format(ndim, shape, buf, sizeof buf), (long long)GT_MAX_DIM_SIZE);
    if (shape[d] != 0 && n > GT_MAX_ELEMENTS / shape[d])
      return gt_error_set(err, GT_ERR_LIMIT, "%s: shape %s has more than %lld elements", what,
                          gt_shape_format(ndim, shape, buf, sizeof buf), (long long)GT_MAX_ELEMENTS);
    n *= shape[d];
  }
  *numel = n;
  return GT_OK;
}

const char *gt_shape_format(int ndim, const int64_t *shape, char *buf, size_t size) {
  size_t used = 0;
  if (size == 0) return buf;
  buf[0] = '\0';
  used += (size_t)snprintf(buf + used, size - used, "[");
  for (int d = 0; d < ndim && used < size; d++)
    used += (size_t)snprintf(buf + used, size - used, d ? ", %lld" : "%lld", (long long)shape[d]);
  if (used < size) snprintf(buf + used, size - used, "]");
  return buf;
}
