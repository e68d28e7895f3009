/* gt_onnx_inspect: what a model file holds (opset, producer, inputs/outputs, op histogram,
 * parameter count, unsupported ops), for `gauntlet info`. Reads only the protobuf structure
 * (no tensor data), so it works on models Gauntlet cannot import. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_import.h"

static void io_free(gt_onnx_io_info *io) {
  free(io->name);
  for (int d = 0; d < io->ndim; d++) free(io->dim_params ? io->dim_params[d] : NULL);
  free(io->dims);
  free(io->dim_params);
}

void gt_onnx_summary_free(gt_onnx_summary *s) {
  if (!s) return;
  for (int k = 0; k < s->n_inputs; k++) io_free(&s->inputs[k]);
  for (int k = 0; k < s->n_outputs; k++) io_free(&s->outputs[k]);
  for (int k = 0; k < s->n_op_types; k++) free(s->op_types[k].op_type);
  for (int k = 0; k < s->n_unsupported; k++) free(s->unsupported_ops[k]);
  free(s->inputs);
  free(s->outputs);
  free(s->op_types);
  free(s->unsupported_ops);
  free(s->producer);
  free(s);
}

static int fill_io(gt_onnx_io_info *io, const Onnx__ValueInfoProto *v) {
  io->name = strdup(v->name ? v->name : "");
  io->ndim = -1;
  if (!io->name) return 0;
  const Onnx__TypeProto *tp = v->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) return 1;
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  io->elem_type = tt->has_elem_type ? tt->elem_type : 0;
  if (!tt->shape) return 1;
  size_t n = tt->shape->n_dim;
  if (n > 1024) n = 1024; /* a display summary; absurd ranks are cut */
  io->dims = calloc(n ? n : 1, sizeof *io->dims);
  io->dim_params = calloc(n ? n : 1, sizeof *io->dim_params);
  if (!io->dims || !io->dim_params) return 0;
  io->ndim = (int)n;
  for (size_t d = 0; d < n; d++) {
    const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
    io->dims[d] = -1;
    if (dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      io->dims[d] = dim->dim_value;
    } else if (dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM) {
      io->dim_params[d] = strdup(dim->dim_param ? dim->dim_param : "");
      if (!io->dim_params[d]) return 0;
    }
  }
  return 1;
}

/* "Op" in the default domain, "domain:Op" elsewhere. */
static void op_key(const Onnx__NodeProto *np, char *buf, size_t size) {
  const char *domain = np->domain ? np->domain : "";
  const char *op = np->op_type ? np->op_type : "";
  if (domain[0] && strcmp(domain, "ai.onnx")) snprintf(buf, size, "%s:%s", domain, op);
  else snprintf(buf, size, "%s", op);
}

/* Histogram of op keys; the table maps a key to its index (in graph_id) to stay linear. */
static gt_status count_ops(gt_onnx_summary *s, const Onnx__GraphProto *g, gt_error *err) {
  gt_onnx_values seen;
  memset(&seen, 0, sizeof seen);
  gt_status st = GT_OK;
  s->n_nodes = (int)g->n_node;
  s->op_types = calloc(g->n_node ? g->n_node : 1, sizeof *s->op_types);
  s->unsupported_ops = calloc(g->n_node ? g->n_node : 1, sizeof *s->unsupported_ops);
  if (!s->op_types || !s->unsupported_ops) st = gt_error_set(err, GT_ERR_MEMORY, "out of memory");
  for (size_t k = 0; k < g->n_node && st == GT_OK; k++) {
    char key[256];
    op_key(g->node[k], key, sizeof key);
    int vi = gt_onnx_values_find(&seen, key);
    if (vi >= 0) {
      s->op_types[seen.v[vi].graph_id].count++;
      continue;
    }
    int j = s->n_op_types;
    s->op_types[j].op_type = strdup(key);
    vi = s->op_types[j].op_type ? gt_onnx_values_add(&seen, s->op_types[j].op_type) : -1;
    if (vi < 0) {
      free(s->op_types[j].op_type);
      st = gt_error_set(err, GT_ERR_MEMORY, "out of memory");
      break;
    }
    seen.v[vi].graph_id = j;
    s->op_types[j].count = 1;
    s->op_types[j].supported = !strchr(key, ':') && gt_onnx_op_supported(key);
    s->n_op_types++;
    if (!s->op_types[j].supported) {
      s->unsupported_ops[s->n_unsupported] = strdup(key);
      if (!s->unsupported_ops[s->n_unsupported++]) st = gt_error_set(err, GT_ERR_MEMORY, "out of memory");
    }
  }
  gt_onnx_values_free(&seen);
  return st;
}

static gt_status count_params(gt_onnx_summary *s, const Onnx__GraphProto *g, const char *path, gt_error *err) {
  s->n_initializers = (int)g->n_initializer;
  for (size_t k = 0; k < g->n_initializer; k++) {
    const Onnx__TensorProto *tp = g->initializer[k];
    char what[300];
    snprintf(what, sizeof what, "initializer '%s'", tp->name ? tp->name : "");
    int64_t numel = 0;
    gt_status st = gt_onnx_dims_check(tp->n_dims, tp->dims, path, what, &numel, err);
    if (st != GT_OK) return st;
    if (tp->has_data_type && gt_onnx_elem_is_float(tp->data_type)) s->n_params += numel;
  }
  return GT_OK;
}

gt_status gt_onnx_inspect(const char *path, gt_onnx_summary **out, gt_error *err) {
  if (!out || !path) return gt_error_set(err, GT_ERR_USAGE, "gt_onnx_inspect: no path or output pointer");
  *out = NULL;
  uint8_t *bytes = NULL;
  size_t size = 0;
  gt_status st = gt_onnx_read_file(path, &bytes, &size, err);
  if (st != GT_OK) return st;
  Onnx__ModelProto *m = NULL;
  st = gt_onnx_unpack(bytes, size, path, &m, err);
  free(bytes);
  if (st != GT_OK) return st;
  gt_onnx_summary *s = calloc(1, sizeof *s);
  const Onnx__GraphProto *g = m->graph;
  if (!s) st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  if (st == GT_OK) {
    s->ir_version = m->has_ir_version ? m->ir_version : 0;
    s->opset = gt_onnx_model_opset(m);
    const char *name = m->producer_name ? m->producer_name : "";
    const char *version = m->producer_version ? m->producer_version : "";
    size_t n = strlen(name) + strlen(version) + 2;
    s->producer = malloc(n);
    if (s->producer) snprintf(s->producer, n, "%s%s%s", name, name[0] && version[0] ? " " : "", version);
    s->inputs = calloc(g->n_input ? g->n_input : 1, sizeof *s->inputs);
    s->outputs = calloc(g->n_output ? g->n_output : 1, sizeof *s->outputs);
    if (!s->producer || !s->inputs || !s->outputs) st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  }
  gt_onnx_values inits; /* initializer names, to leave them out of the inputs */
  memset(&inits, 0, sizeof inits);
  for (size_t k = 0; st == GT_OK && k < g->n_initializer; k++)
    if (g->initializer[k]->name && gt_onnx_values_add(&inits, g->initializer[k]->name) < 0)
      st = gt_error_set(err, GT_ERR_MEMORY, "out of memory");
  for (size_t k = 0; st == GT_OK && k < g->n_input; k++) {
    if (g->input[k]->name && gt_onnx_values_find(&inits, g->input[k]->name) >= 0) continue;
    if (!fill_io(&s->inputs[s->n_inputs++], g->input[k])) st = gt_error_set(err, GT_ERR_MEMORY, "out of memory");
  }
  gt_onnx_values_free(&inits);
  for (size_t k = 0; st == GT_OK && k < g->n_output; k++)
    if (!fill_io(&s->outputs[s->n_outputs++], g->output[k])) st = gt_error_set(err, GT_ERR_MEMORY, "out of memory");
  if (st == GT_OK) st = count_ops(s, g, err);
  if (st == GT_OK) st = count_params(s, g, path, err);
  onnx__model_proto__free_unpacked(m, NULL);
  if (st != GT_OK) {
    gt_onnx_summary_free(s);
    return st;
  }
  *out = s;
  return GT_OK;
}
