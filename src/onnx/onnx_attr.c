/* Typed access to node attributes; a wrong type or an oversized list names node and attribute. */
#include <stdio.h>
#include <string.h>

#include "onnx/onnx_internal.h"

typedef Onnx__AttributeProto__AttributeType attr_type;

static const char *type_name(attr_type t) {
  switch (t) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return "FLOAT";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return "INT";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return "STRING";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return "TENSOR";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return "GRAPH";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return "FLOATS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return "INTS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return "STRINGS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS: return "TENSORS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS: return "GRAPHS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR: return "SPARSE_TENSOR";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS: return "SPARSE_TENSORS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: return "TYPE_PROTO";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS: return "TYPE_PROTOS";
    default: return "UNDEFINED";
  }
}

/* The declared type, or (for old files without it) the field that is set. */
static attr_type type_of(const Onnx__AttributeProto *a) {
  if (a->has_type) return a->type;
  if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
  if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
  if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  if (a->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
  return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

const Onnx__AttributeProto *gt_onnx_attr_find(const gt_onnx_node_ctx *nc, const char *name) {
  for (size_t k = 0; k < nc->proto->n_attribute; k++) {
    const Onnx__AttributeProto *a = nc->proto->attribute[k];
    if (a && a->name && !strcmp(a->name, name)) return a;
  }
  return NULL;
}

static gt_status wrong_type(const gt_onnx_node_ctx *nc, const char *name, const char *want, attr_type got,
                            gt_error *err) {
  return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "attribute '%s' should be %s but is %s", name, want,
                           type_name(got));
}

gt_status gt_onnx_attr_int(const gt_onnx_node_ctx *nc, const char *name, int64_t def, int64_t *out, gt_error *err) {
  const Onnx__AttributeProto *a = gt_onnx_attr_find(nc, name);
  *out = def;
  if (!a) return GT_OK;
  if (type_of(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) return wrong_type(nc, name, "INT", type_of(a), err);
  *out = a->i;
  return GT_OK;
}

gt_status gt_onnx_attr_float(const gt_onnx_node_ctx *nc, const char *name, float def, float *out, gt_error *err) {
  const Onnx__AttributeProto *a = gt_onnx_attr_find(nc, name);
  *out = def;
  if (!a) return GT_OK;
  if (type_of(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)
    return wrong_type(nc, name, "FLOAT", type_of(a), err);
  *out = a->f;
  return GT_OK;
}

gt_status gt_onnx_attr_ints(const gt_onnx_node_ctx *nc, const char *name, int64_t *out, int cap, int *n,
                            gt_error *err) {
  const Onnx__AttributeProto *a = gt_onnx_attr_find(nc, name);
  *n = -1;
  if (!a) return GT_OK;
  if (type_of(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS) {
    /* An empty INTS list may be written without a type by old exporters: it reads as UNDEFINED. */
    if (!a->has_type && type_of(a) == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED) {
      *n = 0;
      return GT_OK;
    }
    return wrong_type(nc, name, "INTS", type_of(a), err);
  }
  if (a->n_ints > (size_t)cap)
    return gt_onnx_node_fail(nc, err, GT_ERR_LIMIT, "attribute '%s' has %zu values; at most %d make sense here", name,
                             a->n_ints, cap);
  for (size_t k = 0; k < a->n_ints; k++) out[k] = a->ints[k];
  *n = (int)a->n_ints;
  return GT_OK;
}

gt_status gt_onnx_attr_string(const gt_onnx_node_ctx *nc, const char *name, const char *def, char *buf,
                              size_t size, gt_error *err) {
  const Onnx__AttributeProto *a = gt_onnx_attr_find(nc, name);
  snprintf(buf, size, "%s", def);
  if (!a) return GT_OK;
  if (type_of(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)
    return wrong_type(nc, name, "STRING", type_of(a), err);
  size_t n = a->has_s ? a->s.len : 0;
  if (n >= size || (n && memchr(a->s.data, '\0', n)))
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "attribute '%s' is not a short text value", name);
  if (n) memcpy(buf, a->s.data, n);
  buf[n] = '\0';
  return GT_OK;
}

gt_status gt_onnx_attr_constant(const gt_onnx_node_ctx *nc, const char *name, gt_onnx_tensor **out,
                                gt_error *err) {
  *out = NULL;
  const Onnx__AttributeProto *a = gt_onnx_attr_find(nc, name);
  if (!a) return GT_OK;
  char what[512];
  snprintf(what, sizeof what, "node '%s' (%s) attribute '%s'", nc->name, nc->op_type, name);
  attr_type t = type_of(a);
  gt_onnx_tensor *c = NULL;
  int64_t len = 0;
  switch (t) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
      if (!a->t) return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "attribute '%s' has no tensor", name);
      return gt_onnx_tensor_decode(a->t, nc->src, what, out, err);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
      c = gt_onnx_tensor_new(GT_ONNX_FLOAT, 0, NULL, what, err);
      if (c) c->f[0] = a->f;
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
      c = gt_onnx_tensor_new(GT_ONNX_INT64, 0, NULL, what, err);
      if (c) c->i[0] = a->i;
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
      len = (int64_t)a->n_floats;
      c = gt_onnx_tensor_new(GT_ONNX_FLOAT, 1, &len, what, err);
      if (c && len) memcpy(c->f, a->floats, (size_t)len * sizeof *c->f);
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
      len = (int64_t)a->n_ints;
      c = gt_onnx_tensor_new(GT_ONNX_INT64, 1, &len, what, err);
      if (c && len) memcpy(c->i, a->ints, (size_t)len * sizeof *c->i);
      break;
    default:
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "attribute '%s' of type %s is not supported", name,
                               type_name(t));
  }
  if (!c) return err ? err->code : GT_ERR_MEMORY;
  *out = c;
  return GT_OK;
}
