/* Hand-written protobuf encoder for ONNX test models (see onnx_builder.h). Field numbers are
 * those of onnx.proto: ModelProto{ir_version 1, producer_name 2, graph 7, opset_import 8},
 * GraphProto{node 1, name 2, initializer 5, input 11, output 12}, NodeProto{input 1, output 2,
 * name 3, op_type 4, attribute 5, domain 7}, AttributeProto{name 1, f 2, i 3, s 4, t 5,
 * floats 7, ints 8, type 20}, TensorProto{dims 1, data_type 2, float_data 4, int64_data 7,
 * name 8, raw_data 9, external_data 13, data_location 14}, ValueInfoProto{name 1, type 2}. */
#include "onnx_builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
  uint8_t *p;
  size_t n, cap;
} buf;

struct gt_ob_node {
  buf fields;
};

struct gt_ob_model {
  int64_t opset;
  buf opsets;       /* extra ModelProto.opset_import fields */
  buf graph_fields; /* initializers, inputs, outputs */
  gt_ob_node **nodes;
  int n_nodes;
};

static void put(buf *b, const void *data, size_t n) {
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + n) cap *= 2;
    b->p = realloc(b->p, cap);
    if (!b->p) abort();
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, data, n);
  b->n += n;
}

static void put_varint(buf *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    tmp[n] = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v) tmp[n] |= 0x80;
    n++;
  } while (v);
  put(b, tmp, n);
}

static void put_tag(buf *b, unsigned field, unsigned wire) { put_varint(b, ((uint64_t)field << 3) | wire); }

static void put_int(buf *b, unsigned field, int64_t v) {
  put_tag(b, field, 0);
  put_varint(b, (uint64_t)v);
}

static void put_bytes(buf *b, unsigned field, const void *data, size_t n) {
  put_tag(b, field, 2);
  put_varint(b, n);
  put(b, data, n);
}

static void put_string(buf *b, unsigned field, const char *s) { put_bytes(b, field, s, strlen(s)); }

static void put_msg(buf *b, unsigned field, const buf *msg) { put_bytes(b, field, msg->p, msg->n); }

static void put_float_le(buf *b, float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  uint8_t le[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
  put(b, le, 4);
}

static void buf_free(buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

gt_ob_model *gt_ob_model_create(int64_t opset) {
  gt_ob_model *m = calloc(1, sizeof *m);
  if (!m) abort();
  m->opset = opset;
  return m;
}

void gt_ob_model_free(gt_ob_model *m) {
  if (!m) return;
  for (int k = 0; k < m->n_nodes; k++) {
    buf_free(&m->nodes[k]->fields);
    free(m->nodes[k]);
  }
  free(m->nodes);
  buf_free(&m->opsets);
  buf_free(&m->graph_fields);
  free(m);
}

static void opset_msg(buf *out, const char *domain, int64_t version) {
  buf o = {0};
  put_string(&o, 1, domain);
  put_int(&o, 2, version);
  put_msg(out, 8, &o);
  buf_free(&o);
}

void gt_ob_opset(gt_ob_model *m, const char *domain, int64_t version) { opset_msg(&m->opsets, domain, version); }

void gt_ob_input(gt_ob_model *m, const char *name, int32_t elem, int ndim, const int64_t *dims) {
  buf shape = {0}, tensor = {0}, type = {0}, vi = {0};
  for (int d = 0; d < ndim; d++) {
    buf dim = {0};
    if (dims[d] == -1) put_string(&dim, 2, "N");
    else put_int(&dim, 1, dims[d]);
    put_msg(&shape, 1, &dim);
    buf_free(&dim);
  }
  put_int(&tensor, 1, elem);
  put_msg(&tensor, 2, &shape);
  put_msg(&type, 1, &tensor);
  put_string(&vi, 1, name);
  put_msg(&vi, 2, &type);
  put_msg(&m->graph_fields, 11, &vi);
  buf_free(&shape);
  buf_free(&tensor);
  buf_free(&type);
  buf_free(&vi);
}

void gt_ob_output(gt_ob_model *m, const char *name) {
  buf vi = {0};
  put_string(&vi, 1, name);
  put_msg(&m->graph_fields, 12, &vi);
  buf_free(&vi);
}

/* TensorProto header: dims, data type, name. */
static void tensor_head(buf *t, const char *name, int32_t elem, int ndim, const int64_t *dims) {
  for (int d = 0; d < ndim; d++) put_int(t, 1, dims[d]);
  put_int(t, 2, elem);
  if (name) put_string(t, 8, name);
}

static size_t numel_of(int ndim, const int64_t *dims) {
  size_t n = 1;
  for (int d = 0; d < ndim; d++) n *= (size_t)dims[d];
  return n;
}

static void float_tensor(buf *t, const char *name, int ndim, const int64_t *dims, const float *data) {
  tensor_head(t, name, GT_OB_FLOAT, ndim, dims);
  buf raw = {0};
  size_t n = numel_of(ndim, dims);
  for (size_t k = 0; k < n; k++) put_float_le(&raw, data[k]);
  put_bytes(t, 9, raw.p, raw.n);
  buf_free(&raw);
}

static void int64_tensor(buf *t, const char *name, int ndim, const int64_t *dims, const int64_t *data) {
  tensor_head(t, name, GT_OB_INT64, ndim, dims);
  buf packed = {0};
  size_t n = numel_of(ndim, dims);
  for (size_t k = 0; k < n; k++) put_varint(&packed, (uint64_t)data[k]);
  put_bytes(t, 7, packed.p, packed.n);
  buf_free(&packed);
}

static void add_initializer(gt_ob_model *m, buf *t) {
  put_msg(&m->graph_fields, 5, t);
  buf_free(t);
}

void gt_ob_init_float(gt_ob_model *m, const char *name, int ndim, const int64_t *dims, const float *data) {
  buf t = {0};
  float_tensor(&t, name, ndim, dims, data);
  add_initializer(m, &t);
}

void gt_ob_init_float_typed(gt_ob_model *m, const char *name, int ndim, const int64_t *dims, size_t n,
                            const float *data) {
  buf t = {0}, packed = {0};
  tensor_head(&t, name, GT_OB_FLOAT, ndim, dims);
  for (size_t k = 0; k < n; k++) put_float_le(&packed, data[k]);
  put_bytes(&t, 4, packed.p, packed.n);
  buf_free(&packed);
  add_initializer(m, &t);
}

void gt_ob_init_int64(gt_ob_model *m, const char *name, int ndim, const int64_t *dims, const int64_t *data) {
  buf t = {0};
  int64_tensor(&t, name, ndim, dims, data);
  add_initializer(m, &t);
}

void gt_ob_init_raw(gt_ob_model *m, const char *name, int32_t elem, int ndim, const int64_t *dims, const void *bytes,
                    size_t n) {
  buf t = {0};
  tensor_head(&t, name, elem, ndim, dims);
  put_bytes(&t, 9, bytes, n);
  add_initializer(m, &t);
}

static void string_entry(buf *t, const char *key, const char *value) {
  buf e = {0};
  put_string(&e, 1, key);
  put_string(&e, 2, value);
  put_msg(t, 13, &e);
  buf_free(&e);
}

void gt_ob_init_external(gt_ob_model *m, const char *name, int32_t elem, int ndim, const int64_t *dims,
                         const char *location, int64_t offset, int64_t length) {
  buf t = {0};
  char num[32];
  tensor_head(&t, name, elem, ndim, dims);
  string_entry(&t, "location", location);
  if (offset >= 0) {
    snprintf(num, sizeof num, "%lld", (long long)offset);
    string_entry(&t, "offset", num);
  }
  if (length >= 0) {
    snprintf(num, sizeof num, "%lld", (long long)length);
    string_entry(&t, "length", num);
  }
  put_int(&t, 14, 1); /* data_location = EXTERNAL */
  add_initializer(m, &t);
}

/* Writes each comma-separated name of list as a string field. */
static void put_names(buf *b, unsigned field, const char *list) {
  if (!list) return;
  const char *p = list;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    put_bytes(b, field, p, n);
    if (!comma) break;
    p = comma + 1;
  }
}

gt_ob_node *gt_ob_node_add(gt_ob_model *m, const char *op_type, const char *name, const char *inputs,
                           const char *outputs) {
  gt_ob_node *n = calloc(1, sizeof *n);
  gt_ob_node **grown = realloc(m->nodes, (size_t)(m->n_nodes + 1) * sizeof *grown);
  if (!n || !grown) abort();
  m->nodes = grown;
  m->nodes[m->n_nodes++] = n;
  if (inputs && inputs[0]) put_names(&n->fields, 1, inputs);
  put_names(&n->fields, 2, outputs);
  if (name) put_string(&n->fields, 3, name);
  put_string(&n->fields, 4, op_type);
  return n;
}

void gt_ob_node_domain(gt_ob_node *n, const char *domain) { put_string(&n->fields, 7, domain); }

static void add_attr(gt_ob_node *n, buf *a) {
  put_msg(&n->fields, 5, a);
  buf_free(a);
}

void gt_ob_attr_int(gt_ob_node *n, const char *name, int64_t v) {
  buf a = {0};
  put_string(&a, 1, name);
  put_int(&a, 3, v);
  put_int(&a, 20, 2); /* INT */
  add_attr(n, &a);
}

void gt_ob_attr_ints(gt_ob_node *n, const char *name, int count, const int64_t *v) {
  buf a = {0};
  put_string(&a, 1, name);
  for (int k = 0; k < count; k++) put_int(&a, 8, v[k]);
  put_int(&a, 20, 7); /* INTS */
  add_attr(n, &a);
}

void gt_ob_attr_float(gt_ob_node *n, const char *name, float v) {
  buf a = {0};
  put_string(&a, 1, name);
  put_tag(&a, 2, 5);
  put_float_le(&a, v);
  put_int(&a, 20, 1); /* FLOAT */
  add_attr(n, &a);
}

void gt_ob_attr_floats(gt_ob_node *n, const char *name, int count, const float *v) {
  buf a = {0};
  put_string(&a, 1, name);
  for (int k = 0; k < count; k++) {
    put_tag(&a, 7, 5);
    put_float_le(&a, v[k]);
  }
  put_int(&a, 20, 6); /* FLOATS */
  add_attr(n, &a);
}

void gt_ob_attr_string(gt_ob_node *n, const char *name, const char *s) {
  buf a = {0};
  put_string(&a, 1, name);
  put_string(&a, 4, s);
  put_int(&a, 20, 3); /* STRING */
  add_attr(n, &a);
}

static void attr_tensor(gt_ob_node *n, const char *name, buf *t) {
  buf a = {0};
  put_string(&a, 1, name);
  put_msg(&a, 5, t);
  put_int(&a, 20, 4); /* TENSOR */
  add_attr(n, &a);
  buf_free(t);
}

void gt_ob_attr_tensor_float(gt_ob_node *n, const char *name, int ndim, const int64_t *dims, const float *data) {
  buf t = {0};
  float_tensor(&t, NULL, ndim, dims, data);
  attr_tensor(n, name, &t);
}

void gt_ob_attr_tensor_int64(gt_ob_node *n, const char *name, int ndim, const int64_t *dims, const int64_t *data) {
  buf t = {0};
  int64_tensor(&t, NULL, ndim, dims, data);
  attr_tensor(n, name, &t);
}

uint8_t *gt_ob_pack(const gt_ob_model *m, size_t *size) {
  buf model = {0}, graph = {0};
  for (int k = 0; k < m->n_nodes; k++) put_msg(&graph, 1, &m->nodes[k]->fields);
  put_string(&graph, 2, "test-graph");
  put(&graph, m->graph_fields.p, m->graph_fields.n);
  put_int(&model, 1, 8);
  put_string(&model, 2, "gauntlet-tests");
  put_string(&model, 3, "1.0");
  if (m->opset) opset_msg(&model, "", m->opset);
  put(&model, m->opsets.p, m->opsets.n);
  put_msg(&model, 7, &graph);
  buf_free(&graph);
  *size = model.n;
  if (!model.p) put(&model, "", 1);
  return model.p;
}

int gt_ob_write_bytes(const char *path, const void *bytes, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = n ? fwrite(bytes, 1, n, f) : 0;
  int bad = fclose(f) != 0 || w != n;
  return bad ? -1 : 0;
}

int gt_ob_write(const gt_ob_model *m, const char *path) {
  size_t n = 0;
  uint8_t *bytes = gt_ob_pack(m, &n);
  int rc = gt_ob_write_bytes(path, bytes, n);
  free(bytes);
  return rc;
}
