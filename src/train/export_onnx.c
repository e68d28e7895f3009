/* Writes a trained network as an ONNX ModelProto through protobuf-c (the generated onnx.pb-c code
 * the importer reads with): IR version 7, opset 13, input "input" [N, C, H, W] and output "logits"
 * [N, K] with the symbolic batch "N", weights as float raw_data initializers.
 *
 * Node mapping: Conv -> Conv, Linear -> Gemm (transB = 1), trained BatchNorm -> BatchNormalization
 * (gamma, beta, running mean, running variance, epsilon), Relu -> Relu, MaxPool -> MaxPool, a
 * whole-plane AvgPool -> GlobalAveragePool, Reshape -> Flatten (axis 1), Add -> Add. Every message
 * lives in one arena freed at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "train/train_internal.h"

#ifndef GT_VERSION
#define GT_VERSION "unknown"
#endif

typedef struct arena {
  void **ptrs;
  size_t n, cap;
  int failed;
} arena;

static void *arena_keep(arena *a, void *p) {
  if (!p) {
    a->failed = 1;
    return NULL;
  }
  if (a->n == a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 256;
    void **np = realloc(a->ptrs, cap * sizeof *np);
    if (!np) {
      free(p);
      a->failed = 1;
      return NULL;
    }
    a->ptrs = np;
    a->cap = cap;
  }
  a->ptrs[a->n++] = p;
  return p;
}

static void *arena_alloc(arena *a, size_t bytes) { return arena_keep(a, calloc(1, bytes ? bytes : 1)); }

static char *arena_str(arena *a, const char *s) {
  char *p = arena_alloc(a, strlen(s) + 1);
  if (p) memcpy(p, s, strlen(s) + 1);
  return p;
}

static void arena_free(arena *a) {
  for (size_t i = 0; i < a->n; i++) free(a->ptrs[i]);
  free(a->ptrs);
}

/* A growing array of message pointers. */
#define PUSH(a, count, array, item)                                                          \
  do {                                                                                       \
    void *grown_ = arena_alloc(a, ((count) + 1) * sizeof *(array));                          \
    if (grown_) {                                                                            \
      if (count) memcpy(grown_, (array), (count) * sizeof *(array));                         \
      (array) = grown_;                                                                      \
      (array)[(count)++] = (item);                                                           \
    }                                                                                        \
  } while (0)

typedef struct writer {
  arena a;
  gt_trainer *t;
  Onnx__GraphProto *graph;
  gt_error *err;
  gt_status st;
} writer;

/* An initializer; takes ownership of data (malloc'd, numel floats). */
static void add_initializer(writer *w, const char *name, int ndim, const int64_t *dims, float *data) {
  if (!data || w->a.failed) {
    free(data);
    return;
  }
  arena_keep(&w->a, data);
  Onnx__TensorProto *tp = arena_alloc(&w->a, sizeof *tp);
  int64_t *d = arena_alloc(&w->a, (size_t)ndim * sizeof *d);
  if (!tp || !d) return;
  onnx__tensor_proto__init(tp);
  int64_t numel = 1;
  for (int i = 0; i < ndim; i++) numel *= (d[i] = dims[i]);
  tp->n_dims = (size_t)ndim;
  tp->dims = d;
  tp->has_data_type = 1;
  tp->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  tp->name = arena_str(&w->a, name);
  tp->has_raw_data = 1;
  tp->raw_data.len = (size_t)numel * sizeof(float); /* little-endian floats: the hosts Gauntlet runs on */
  tp->raw_data.data = (uint8_t *)data;
  PUSH(&w->a, w->graph->n_initializer, w->graph->initializer, tp);
}

static void add_value_initializer(writer *w, int value) {
  if (w->st != GT_OK) return;
  const gt_value *v = &w->t->graph->values[value];
  float *data = NULL;
  w->st = gt_trainer_read_value(w->t, value, &data, w->err);
  add_initializer(w, v->name, v->ndim, v->shape, data);
}

static Onnx__AttributeProto *attr_new(writer *w, Onnx__NodeProto *node, const char *name) {
  Onnx__AttributeProto *at = arena_alloc(&w->a, sizeof *at);
  if (!at) return NULL;
  onnx__attribute_proto__init(at);
  at->name = arena_str(&w->a, name);
  PUSH(&w->a, node->n_attribute, node->attribute, at);
  return at;
}

static void attr_ints(writer *w, Onnx__NodeProto *node, const char *name, int n, const int64_t *v) {
  Onnx__AttributeProto *at = attr_new(w, node, name);
  int64_t *copy = arena_alloc(&w->a, (size_t)n * sizeof *copy);
  if (!at || !copy) return;
  memcpy(copy, v, (size_t)n * sizeof *copy);
  at->has_type = 1;
  at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  at->n_ints = (size_t)n;
  at->ints = copy;
}

static void attr_int(writer *w, Onnx__NodeProto *node, const char *name, int64_t v) {
  Onnx__AttributeProto *at = attr_new(w, node, name);
  if (!at) return;
  at->has_type = 1;
  at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  at->has_i = 1;
  at->i = v;
}

static void attr_float(writer *w, Onnx__NodeProto *node, const char *name, float v) {
  Onnx__AttributeProto *at = attr_new(w, node, name);
  if (!at) return;
  at->has_type = 1;
  at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  at->has_f = 1;
  at->f = v;
}

/* The ONNX name of a value: the graph's own names, except its input and output. */
static const char *value_name(const writer *w, int value) {
  const gt_graph *g = w->t->graph;
  if (value == g->input) return "input";
  if (value == g->output) return "logits";
  return g->values[value].name;
}

static Onnx__NodeProto *node_new(writer *w, const gt_node *n, const char *op_type) {
  Onnx__NodeProto *node = arena_alloc(&w->a, sizeof *node);
  if (!node) return NULL;
  onnx__node_proto__init(node);
  node->name = arena_str(&w->a, n->name);
  node->op_type = arena_str(&w->a, op_type);
  char *out = arena_str(&w->a, value_name(w, n->output));
  PUSH(&w->a, node->n_output, node->output, out);
  PUSH(&w->a, w->graph->n_node, w->graph->node, node);
  return node;
}

static void node_input(writer *w, Onnx__NodeProto *node, const char *name) {
  char *s = arena_str(&w->a, name);
  if (node) PUSH(&w->a, node->n_input, node->input, s);
}

static void node_inputs_and_weights(writer *w, const gt_node *n, Onnx__NodeProto *node) {
  for (int i = 0; i < n->n_inputs; i++) {
    node_input(w, node, value_name(w, n->inputs[i]));
    if (!w->t->graph->values[n->inputs[i]].batched) add_value_initializer(w, n->inputs[i]);
  }
}

static const gt_train_bn *bn_of_node(const gt_trainer *t, int k) {
  for (int i = 0; i < t->n_bns; i++)
    if (t->bns[i].node == k) return &t->bns[i];
  return NULL;
}

static void emit_batchnorm(writer *w, const gt_node *n, int k) {
  const gt_train_bn *bn = bn_of_node(w->t, k);
  if (!bn) {
    w->st = gt_error_set(w->err, GT_ERR_UNSUPPORTED, "node '%s': only trained batch norms can be exported", n->name);
    return;
  }
  Onnx__NodeProto *node = node_new(w, n, "BatchNormalization");
  node_input(w, node, value_name(w, n->inputs[0]));
  static const char *const suffix[4] = {"gamma", "beta", "running_mean", "running_var"};
  for (int j = 0; j < 4 && w->st == GT_OK; j++) {
    char name[160];
    snprintf(name, sizeof name, "%s.%s", n->name, suffix[j]);
    float *data = NULL;
    w->st = gt_trainer_read_bn(w->t, bn, j, &data, w->err);
    add_initializer(w, name, 1, &bn->state.channels, data);
    node_input(w, node, name);
  }
  if (node) attr_float(w, node, "epsilon", bn->state.eps);
}

static void emit_node(writer *w, int k) {
  const gt_node *n = &w->t->graph->nodes[k];
  Onnx__NodeProto *node = NULL;
  switch (n->op) {
    case GT_OP_CONV: {
      const gt_conv_params *p = &n->p.conv;
      node = node_new(w, n, "Conv");
      node_inputs_and_weights(w, n, node);
      if (!node) break;
      int64_t ks[2] = {p->kernel_h, p->kernel_w}, st[2] = {p->stride_h, p->stride_w};
      int64_t pads[4] = {p->pad_top, p->pad_left, p->pad_bottom, p->pad_right}, dil[2] = {p->dilation_h, p->dilation_w};
      attr_ints(w, node, "kernel_shape", 2, ks);
      attr_ints(w, node, "strides", 2, st);
      attr_ints(w, node, "pads", 4, pads);
      attr_ints(w, node, "dilations", 2, dil);
      attr_int(w, node, "group", p->groups);
      break;
    }
    case GT_OP_LINEAR:
      node = node_new(w, n, "Gemm");
      node_inputs_and_weights(w, n, node);
      if (node) attr_int(w, node, "transB", 1);
      break;
    case GT_OP_BATCHNORM:
      emit_batchnorm(w, n, k);
      break;
    case GT_OP_RELU:
    case GT_OP_ADD:
      node = node_new(w, n, n->op == GT_OP_RELU ? "Relu" : "Add");
      node_inputs_and_weights(w, n, node);
      break;
    case GT_OP_MAXPOOL: {
      const gt_pool_params *p = &n->p.pool;
      node = node_new(w, n, "MaxPool");
      node_inputs_and_weights(w, n, node);
      if (!node) break;
      int64_t ks[2] = {p->kernel_h, p->kernel_w}, st[2] = {p->stride_h, p->stride_w};
      int64_t pads[4] = {p->pad_top, p->pad_left, p->pad_bottom, p->pad_right};
      attr_ints(w, node, "kernel_shape", 2, ks);
      attr_ints(w, node, "strides", 2, st);
      attr_ints(w, node, "pads", 4, pads);
      break;
    }
    case GT_OP_AVGPOOL: {
      const gt_value *in = &w->t->graph->values[n->inputs[0]];
      const gt_pool_params *p = &n->p.pool;
      if (in->ndim != 4 || p->kernel_h != in->shape[2] || p->kernel_w != in->shape[3] || p->pad_top || p->pad_left) {
        w->st = gt_error_set(w->err, GT_ERR_UNSUPPORTED, "node '%s': only global average pools are exported", n->name);
        break;
      }
      node = node_new(w, n, "GlobalAveragePool");
      node_inputs_and_weights(w, n, node);
      break;
    }
    case GT_OP_RESHAPE:
      node = node_new(w, n, "Flatten");
      node_inputs_and_weights(w, n, node);
      if (node) attr_int(w, node, "axis", 1);
      break;
    default:
      w->st = gt_error_set(w->err, GT_ERR_UNSUPPORTED, "node '%s': op %s is not exported", n->name, gt_op_name(n->op));
  }
}

/* A graph input or output: float tensor [N, dims...] with N symbolic. */
static Onnx__ValueInfoProto *value_info(writer *w, const char *name, int ndim, const int64_t *shape) {
  Onnx__ValueInfoProto *vi = arena_alloc(&w->a, sizeof *vi);
  Onnx__TypeProto *tp = arena_alloc(&w->a, sizeof *tp);
  Onnx__TypeProto__Tensor *tt = arena_alloc(&w->a, sizeof *tt);
  Onnx__TensorShapeProto *sp = arena_alloc(&w->a, sizeof *sp);
  if (!vi || !tp || !tt || !sp) return NULL;
  onnx__value_info_proto__init(vi);
  onnx__type_proto__init(tp);
  onnx__type_proto__tensor__init(tt);
  onnx__tensor_shape_proto__init(sp);
  for (int d = 0; d < ndim; d++) {
    Onnx__TensorShapeProto__Dimension *dim = arena_alloc(&w->a, sizeof *dim);
    if (!dim) return NULL;
    onnx__tensor_shape_proto__dimension__init(dim);
    if (d == 0) {
      dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
      dim->dim_param = arena_str(&w->a, "N");
    } else {
      dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      dim->dim_value = shape[d];
    }
    PUSH(&w->a, sp->n_dim, sp->dim, dim);
  }
  tt->has_elem_type = 1;
  tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  tt->shape = sp;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  vi->name = arena_str(&w->a, name);
  vi->type = tp;
  return vi;
}

static gt_status write_bytes(const char *path, const uint8_t *bytes, size_t n, gt_error *err) {
  FILE *f = fopen(path, "wb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot create the file", path);
  size_t done = fwrite(bytes, 1, n, f);
  int bad = done != n;
  if (fclose(f) != 0) bad = 1;
  if (bad) return gt_error_set(err, GT_ERR_IO, "%s: write failed after %zu of %zu bytes", path, done, n);
  return GT_OK;
}

gt_status gt_trainer_export_onnx(gt_trainer *t, const char *path, gt_error *err) {
  writer w = {.t = t, .err = err, .st = GT_OK};
  Onnx__ModelProto model;
  Onnx__GraphProto graph;
  Onnx__OperatorSetIdProto opset;
  onnx__model_proto__init(&model);
  onnx__graph_proto__init(&graph);
  onnx__operator_set_id_proto__init(&opset);
  w.graph = &graph;
  char graph_name[64];
  snprintf(graph_name, sizeof graph_name, "gauntlet-%s", gt_arch_name(t->cfg.arch));
  graph.name = graph_name;
  const gt_graph *g = t->graph;
  Onnx__ValueInfoProto *in = value_info(&w, "input", g->values[g->input].ndim, g->values[g->input].shape);
  Onnx__ValueInfoProto *out = value_info(&w, "logits", g->values[g->output].ndim, g->values[g->output].shape);
  if (in) PUSH(&w.a, graph.n_input, graph.input, in);
  if (out) PUSH(&w.a, graph.n_output, graph.output, out);
  for (int k = 0; k < g->n_nodes && w.st == GT_OK && !w.a.failed; k++) emit_node(&w, k);
  opset.domain = "";
  opset.has_version = 1;
  opset.version = 13;
  Onnx__OperatorSetIdProto *opsets[1] = {&opset};
  model.has_ir_version = 1;
  model.ir_version = 7;
  model.n_opset_import = 1;
  model.opset_import = opsets;
  model.producer_name = "gauntlet";
  model.producer_version = GT_VERSION;
  model.graph = &graph;
  gt_status st = w.st;
  if (st == GT_OK && w.a.failed) st = gt_error_set(err, GT_ERR_MEMORY, "out of memory building the ONNX model");
  if (st == GT_OK) {
    size_t n = onnx__model_proto__get_packed_size(&model);
    uint8_t *bytes = malloc(n ? n : 1);
    if (!bytes) st = gt_error_set(err, GT_ERR_MEMORY, "out of memory packing the ONNX model (%zu bytes)", n);
    else {
      onnx__model_proto__pack(&model, bytes);
      st = write_bytes(path, bytes, n, err);
      free(bytes);
    }
  }
  arena_free(&w.a);
  return st;
}
