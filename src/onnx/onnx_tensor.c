/* Host constants of the importer (gt_onnx_tensor) and decoding of TensorProto messages:
 * raw_data (little-endian, length checked exactly), typed fields (count checked), external data. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_internal.h"

int gt_onnx_elem_is_float(int32_t elem) {
  return elem == GT_ONNX_FLOAT || elem == GT_ONNX_DOUBLE || elem == GT_ONNX_FLOAT16 || elem == GT_ONNX_BFLOAT16;
}

int gt_onnx_elem_is_int(int32_t elem) {
  switch (elem) {
    case GT_ONNX_UINT8: case GT_ONNX_INT8: case GT_ONNX_UINT16: case GT_ONNX_INT16: case GT_ONNX_INT32:
    case GT_ONNX_INT64: case GT_ONNX_BOOL: case GT_ONNX_UINT32: case GT_ONNX_UINT64:
      return 1;
    default:
      return 0;
  }
}

const char *gt_onnx_elem_name(int32_t elem) {
  switch (elem) {
    case GT_ONNX_FLOAT: return "float";
    case GT_ONNX_UINT8: return "uint8";
    case GT_ONNX_INT8: return "int8";
    case GT_ONNX_UINT16: return "uint16";
    case GT_ONNX_INT16: return "int16";
    case GT_ONNX_INT32: return "int32";
    case GT_ONNX_INT64: return "int64";
    case GT_ONNX_STRING: return "string";
    case GT_ONNX_BOOL: return "bool";
    case GT_ONNX_FLOAT16: return "float16";
    case GT_ONNX_DOUBLE: return "double";
    case GT_ONNX_UINT32: return "uint32";
    case GT_ONNX_UINT64: return "uint64";
    case GT_ONNX_BFLOAT16: return "bfloat16";
    default: return "unknown type";
  }
}

size_t gt_onnx_elem_size(int32_t elem) {
  switch (elem) {
    case GT_ONNX_UINT8: case GT_ONNX_INT8: case GT_ONNX_BOOL: return 1;
    case GT_ONNX_UINT16: case GT_ONNX_INT16: case GT_ONNX_FLOAT16: case GT_ONNX_BFLOAT16: return 2;
    case GT_ONNX_FLOAT: case GT_ONNX_INT32: case GT_ONNX_UINT32: return 4;
    case GT_ONNX_INT64: case GT_ONNX_DOUBLE: case GT_ONNX_UINT64: return 8;
    default: return 0;
  }
}

gt_onnx_tensor *gt_onnx_tensor_new(int32_t elem, int ndim, const int64_t *shape, const char *what, gt_error *err) {
  int64_t numel = 0;
  if (gt_shape_numel_checked(ndim, shape, &numel, what, err) != GT_OK) return NULL;
  gt_onnx_tensor *t = calloc(1, sizeof *t);
  if (!t) {
    gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", what);
    return NULL;
  }
  t->elem = elem;
  t->ndim = ndim;
  for (int d = 0; d < ndim; d++) t->shape[d] = shape[d];
  t->numel = numel;
  size_t n = (size_t)(numel ? numel : 1);
  if (gt_onnx_elem_is_int(elem)) t->i = calloc(n, sizeof *t->i);
  else t->f = calloc(n, sizeof *t->f);
  if (!t->i && !t->f) {
    free(t);
    gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory for %lld elements", what, (long long)numel);
    return NULL;
  }
  return t;
}

gt_onnx_tensor *gt_onnx_tensor_reshaped(const gt_onnx_tensor *t, int ndim, const int64_t *shape, gt_error *err) {
  gt_onnx_tensor *c = gt_onnx_tensor_new(t->elem, ndim, shape, "constant", err);
  if (!c) return NULL;
  if (c->numel != t->numel) {
    gt_error_set(err, GT_ERR_INTERNAL, "reshaping a constant of %lld elements to %lld", (long long)t->numel,
                 (long long)c->numel);
    gt_onnx_tensor_free(c);
    return NULL;
  }
  if (t->numel) {
    if (c->i) memcpy(c->i, t->i, (size_t)t->numel * sizeof *c->i);
    else memcpy(c->f, t->f, (size_t)t->numel * sizeof *c->f);
  }
  return c;
}

gt_onnx_tensor *gt_onnx_tensor_clone(const gt_onnx_tensor *t, gt_error *err) {
  return gt_onnx_tensor_reshaped(t, t->ndim, t->shape, err);
}

void gt_onnx_tensor_free(gt_onnx_tensor *t) {
  if (!t) return;
  free(t->f);
  free(t->i);
  free(t);
}

double gt_onnx_tensor_get_f(const gt_onnx_tensor *t, int64_t k) {
  return t->f ? (double)t->f[k] : (double)t->i[k];
}

int64_t gt_onnx_tensor_get_i(const gt_onnx_tensor *t, int64_t k) {
  if (t->i) return t->i[k];
  double v = t->f[k];
  if (!(v > -9.2e18 && v < 9.2e18)) return 0; /* callers check integer types first; never UB */
  return (int64_t)v;
}

int gt_onnx_tensor_has_batch_sym(const gt_onnx_tensor *t) {
  if (!t->i) return 0;
  for (int64_t k = 0; k < t->numel; k++)
    if (t->i[k] == GT_ONNX_BATCH_SYM) return 1;
  return 0;
}

gt_status gt_onnx_dims_check(size_t n_dims, const int64_t *dims, const char *display, const char *what,
                             int64_t *numel, gt_error *err) {
  if (n_dims > GT_MAX_DIMS)
    return gt_error_set(err, GT_ERR_LIMIT, "%s: %s has rank %zu; Gauntlet handles ranks up to %d", display, what,
                        n_dims, GT_MAX_DIMS);
  for (size_t d = 0; d < n_dims; d++) {
    if (dims[d] < 0)
      return gt_error_set(err, GT_ERR_FORMAT, "%s: %s has a negative dimension (dims[%zu] = %lld)", display, what, d,
                          (long long)dims[d]);
    if (dims[d] > GT_MAX_DIM_SIZE)
      return gt_error_set(err, GT_ERR_LIMIT, "%s: %s: dims[%zu] = %lld is above the cap %lld", display, what, d,
                          (long long)dims[d], (long long)GT_MAX_DIM_SIZE);
  }
  char label[512];
  snprintf(label, sizeof label, "%s: %s", display, what);
  return gt_shape_numel_checked((int)n_dims, dims, numel, label, err);
}

/* IEEE half and bfloat16 bit patterns to float. */
static float half_to_float(uint16_t h) {
  int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) v = ldexpf((float)mant, -24);
  else if (exp == 31) v = mant ? NAN : INFINITY;
  else v = ldexpf((float)(mant | 0x400), exp - 25);
  return sign ? -v : v;
}

static float bfloat16_to_float(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

static float double_to_float(double d) {
  if (d > FLT_MAX) return INFINITY; /* out-of-range conversion would be undefined */
  if (d < -FLT_MAX) return -INFINITY;
  return (float)d;
}

static uint64_t load_le(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t k = 0; k < n; k++) v |= (uint64_t)p[k] << (8 * k);
  return v;
}

/* Fills t from little-endian fixed-width bytes (exactly numel * elem size of them). */
static gt_status decode_raw(gt_onnx_tensor *t, const uint8_t *b, const char *display, const char *what,
                            gt_error *err) {
  size_t es = gt_onnx_elem_size(t->elem);
  for (int64_t k = 0; k < t->numel; k++) {
    uint64_t u = load_le(b + (size_t)k * es, es);
    switch (t->elem) {
      case GT_ONNX_FLOAT: {
        uint32_t bits = (uint32_t)u;
        memcpy(&t->f[k], &bits, sizeof bits);
        break;
      }
      case GT_ONNX_DOUBLE: {
        double d;
        memcpy(&d, &u, sizeof d);
        t->f[k] = double_to_float(d);
        break;
      }
      case GT_ONNX_FLOAT16: t->f[k] = half_to_float((uint16_t)u); break;
      case GT_ONNX_BFLOAT16: t->f[k] = bfloat16_to_float((uint16_t)u); break;
      case GT_ONNX_INT8: t->i[k] = (int8_t)(uint8_t)u; break;
      case GT_ONNX_INT16: t->i[k] = (int16_t)(uint16_t)u; break;
      case GT_ONNX_INT32: t->i[k] = (int32_t)(uint32_t)u; break;
      case GT_ONNX_INT64: t->i[k] = (int64_t)u; break;
      case GT_ONNX_BOOL: t->i[k] = u != 0; break;
      case GT_ONNX_UINT64:
        if (u > (uint64_t)INT64_MAX)
          return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: %s: uint64 element %lld is above the int64 range", display,
                              what, (long long)k);
        t->i[k] = (int64_t)u;
        break;
      default: t->i[k] = (int64_t)u; break; /* uint8, uint16, uint32 */
    }
  }
  return GT_OK;
}

static gt_status count_mismatch(const char *display, const char *what, const char *field, size_t got, int64_t want,
                                gt_error *err) {
  return gt_error_set(err, GT_ERR_FORMAT, "%s: %s has %zu values in %s, but its dims say %lld elements", display, what,
                      got, field, (long long)want);
}

/* Fills t from the typed repeated field that its data type uses. */
static gt_status decode_typed(gt_onnx_tensor *t, const Onnx__TensorProto *tp, const char *display, const char *what,
                              gt_error *err) {
  size_t n = (size_t)t->numel;
  switch (t->elem) {
    case GT_ONNX_FLOAT:
      if (tp->n_float_data != n) return count_mismatch(display, what, "float_data", tp->n_float_data, t->numel, err);
      if (n) memcpy(t->f, tp->float_data, n * sizeof *t->f);
      return GT_OK;
    case GT_ONNX_DOUBLE:
      if (tp->n_double_data != n) return count_mismatch(display, what, "double_data", tp->n_double_data, t->numel, err);
      for (size_t k = 0; k < n; k++) t->f[k] = double_to_float(tp->double_data[k]);
      return GT_OK;
    case GT_ONNX_INT64:
      if (tp->n_int64_data != n) return count_mismatch(display, what, "int64_data", tp->n_int64_data, t->numel, err);
      if (n) memcpy(t->i, tp->int64_data, n * sizeof *t->i);
      return GT_OK;
    case GT_ONNX_UINT32:
    case GT_ONNX_UINT64:
      if (tp->n_uint64_data != n) return count_mismatch(display, what, "uint64_data", tp->n_uint64_data, t->numel, err);
      for (size_t k = 0; k < n; k++) {
        if (tp->uint64_data[k] > (uint64_t)INT64_MAX)
          return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: %s: element %zu is above the int64 range", display,
                              what, k);
        t->i[k] = (int64_t)tp->uint64_data[k];
      }
      return GT_OK;
    default: /* int32_data carries int32, int16, int8, uint16, uint8, bool, float16, bfloat16 */
      if (tp->n_int32_data != n) return count_mismatch(display, what, "int32_data", tp->n_int32_data, t->numel, err);
      for (size_t k = 0; k < n; k++) {
        int32_t v = tp->int32_data[k];
        if (t->elem == GT_ONNX_FLOAT16) t->f[k] = half_to_float((uint16_t)v);
        else if (t->elem == GT_ONNX_BFLOAT16) t->f[k] = bfloat16_to_float((uint16_t)v);
        else if (t->elem == GT_ONNX_BOOL) t->i[k] = v != 0;
        else t->i[k] = v;
      }
      return GT_OK;
  }
}

gt_status gt_onnx_tensor_decode(const Onnx__TensorProto *tp, const gt_onnx_source *src, const char *what,
                                gt_onnx_tensor **out, gt_error *err) {
  *out = NULL;
  const char *display = src->display;
  int32_t elem = tp->has_data_type ? tp->data_type : GT_ONNX_UNDEFINED;
  if (elem == GT_ONNX_UNDEFINED)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: %s has no data type", display, what);
  if (!gt_onnx_elem_is_float(elem) && !gt_onnx_elem_is_int(elem))
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: %s has data type %s (%d), which Gauntlet does not read",
                        display, what, gt_onnx_elem_name(elem), (int)elem);
  if (tp->segment)
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: %s is stored in segments, which Gauntlet does not read", display,
                        what);
  int64_t numel = 0;
  gt_status st = gt_onnx_dims_check(tp->n_dims, tp->dims, display, what, &numel, err);
  if (st != GT_OK) return st;
  gt_onnx_tensor *t = gt_onnx_tensor_new(elem, (int)tp->n_dims, tp->dims, what, err);
  if (!t) return err ? err->code : GT_ERR_MEMORY;
  size_t es = gt_onnx_elem_size(elem);
  size_t want = (size_t)numel * es;
  if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    uint8_t *bytes = NULL;
    st = gt_onnx_external_read(tp, src, what, want, &bytes, err);
    if (st == GT_OK) st = decode_raw(t, bytes, display, what, err);
    free(bytes);
  } else if (tp->has_raw_data) {
    if (tp->raw_data.len != want)
      st = gt_error_set(err, GT_ERR_FORMAT,
                        "%s: %s: raw_data has %zu bytes, but %lld elements of %s need exactly %zu", display, what,
                        tp->raw_data.len, (long long)numel, gt_onnx_elem_name(elem), want);
    else st = decode_raw(t, tp->raw_data.data, display, what, err);
  } else {
    st = decode_typed(t, tp, display, what, err);
  }
  if (st != GT_OK) {
    gt_onnx_tensor_free(t);
    return st;
  }
  *out = t;
  return GT_OK;
}
