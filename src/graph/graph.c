/* gt_graph construction, naming and invariant checks. */
#include "gauntlet/graph.h"

#include <stdlib.h>
#include <string.h>

gt_graph *gt_graph_create(void) {
  gt_graph *g = calloc(1, sizeof *g);
  if (g) {
    g->input = -1;
    g->output = -1;
  }
  return g;
}

void gt_graph_free(gt_graph *g) {
  if (!g) return;
  for (int i = 0; i < g->n_values; i++) {
    free(g->values[i].name);
    free(g->values[i].data);
  }
  for (int i = 0; i < g->n_nodes; i++) {
    free(g->nodes[i].name);
    free(g->nodes[i].inputs);
  }
  free(g->values);
  free(g->nodes);
  free(g->producer);
  free(g);
}

int gt_graph_add_value(gt_graph *g, const char *name, int batched, int ndim, const int64_t *shape,
                       const float *data, gt_error *err) {
  if (ndim < 0 || ndim > GT_MAX_DIMS) {
    gt_error_set(err, GT_ERR_LIMIT, "value '%s': rank %d is outside 0..%d", name ? name : "", ndim, GT_MAX_DIMS);
    return -1;
  }
  if (g->n_values == g->cap_values) {
    int cap = g->cap_values ? 2 * g->cap_values : 64;
    gt_value *grown = realloc(g->values, (size_t)cap * sizeof *grown);
    if (!grown) {
      gt_error_set(err, GT_ERR_MEMORY, "out of memory adding value '%s'", name ? name : "");
      return -1;
    }
    g->values = grown;
    g->cap_values = cap;
  }
  gt_value *v = &g->values[g->n_values];
  memset(v, 0, sizeof *v);
  v->name = strdup(name ? name : "");
  v->batched = batched;
  v->ndim = ndim;
  for (int d = 0; d < ndim; d++) v->shape[d] = shape[d];
  if (batched && ndim > 0) v->shape[0] = GT_DIM_BATCH;
  if (!v->name) {
    gt_error_set(err, GT_ERR_MEMORY, "out of memory adding value '%s'", name ? name : "");
    return -1;
  }
  if (!batched) {
    int64_t n = 0;
    if (gt_shape_numel_checked(ndim, shape, &n, v->name, err) != GT_OK) {
      free(v->name);
      return -1;
    }
    v->data = malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!v->data) {
      free(v->name);
      gt_error_set(err, GT_ERR_MEMORY, "out of memory for constant '%s' (%lld elements)", name ? name : "",
                   (long long)n);
      return -1;
    }
    if (data) memcpy(v->data, data, (size_t)n * sizeof(float));
    else memset(v->data, 0, (size_t)(n ? n : 1) * sizeof(float));
  }
  return g->n_values++;
}

gt_node *gt_graph_add_node(gt_graph *g, gt_op_kind op, const char *name, int n_inputs, const int *inputs,
                           int output, gt_error *err) {
  if (g->n_nodes == g->cap_nodes) {
    int cap = g->cap_nodes ? 2 * g->cap_nodes : 64;
    gt_node *grown = realloc(g->nodes, (size_t)cap * sizeof *grown);
    if (!grown) {
      gt_error_set(err, GT_ERR_MEMORY, "out of memory adding node '%s'", name ? name : "");
      return NULL;
    }
    g->nodes = grown;
    g->cap_nodes = cap;
  }
  gt_node *n = &g->nodes[g->n_nodes];
  memset(n, 0, sizeof *n);
  n->op = op;
  n->name = strdup(name ? name : "");
  n->inputs = malloc((size_t)(n_inputs > 0 ? n_inputs : 1) * sizeof(int));
  if (!n->name || !n->inputs) {
    free(n->name);
    free(n->inputs);
    gt_error_set(err, GT_ERR_MEMORY, "out of memory adding node '%s'", name ? name : "");
    return NULL;
  }
  n->n_inputs = n_inputs;
  for (int i = 0; i < n_inputs; i++) n->inputs[i] = inputs[i];
  n->output = output;
  g->n_nodes++;
  return n;
}

const char *gt_op_name(gt_op_kind op) {
  static const char *const names[GT_OP_COUNT] = {
      [GT_OP_CONV] = "Conv",           [GT_OP_LINEAR] = "Linear",       [GT_OP_ADD] = "Add",
      [GT_OP_SUB] = "Sub",             [GT_OP_MUL] = "Mul",             [GT_OP_DIV] = "Div",
      [GT_OP_RELU] = "Relu",           [GT_OP_LEAKY_RELU] = "LeakyRelu", [GT_OP_SIGMOID] = "Sigmoid",
      [GT_OP_TANH] = "Tanh",           [GT_OP_CLIP] = "Clip",           [GT_OP_MAXPOOL] = "MaxPool",
      [GT_OP_AVGPOOL] = "AveragePool", [GT_OP_BATCHNORM] = "BatchNorm", [GT_OP_RESHAPE] = "Reshape",
      [GT_OP_TRANSPOSE] = "Transpose", [GT_OP_CONCAT] = "Concat",       [GT_OP_PAD] = "Pad",
      [GT_OP_SOFTMAX] = "Softmax",
  };
  if ((int)op < 0 || op >= GT_OP_COUNT || !names[op]) return "?";
  return names[op];
}

int64_t gt_value_sample_numel(const gt_value *v) {
  int64_t n = 1;
  for (int d = v->batched ? 1 : 0; d < v->ndim; d++) n *= v->shape[d];
  return n;
}

gt_status gt_graph_validate(const gt_graph *g, gt_error *err) {
  if (g->input < 0 || g->input >= g->n_values || !g->values[g->input].batched)
    return gt_error_set(err, GT_ERR_FORMAT, "graph has no batched image input");
  if (g->output < 0 || g->output >= g->n_values || !g->values[g->output].batched)
    return gt_error_set(err, GT_ERR_FORMAT, "graph output is not computed from the input");
  const gt_value *out = &g->values[g->output];
  char *ready = calloc((size_t)g->n_values, 1);
  if (!ready) return gt_error_set(err, GT_ERR_MEMORY, "out of memory validating the graph");
  for (int i = 0; i < g->n_values; i++) ready[i] = !g->values[i].batched;
  ready[g->input] = 1;
  gt_status st = GT_OK;
  for (int k = 0; k < g->n_nodes && st == GT_OK; k++) {
    const gt_node *n = &g->nodes[k];
    if ((int)n->op < 0 || n->op >= GT_OP_COUNT) {
      st = gt_error_set(err, GT_ERR_INTERNAL, "node '%s' has op kind %d", n->name, (int)n->op);
      break;
    }
    for (int i = 0; i < n->n_inputs; i++) {
      int v = n->inputs[i];
      if (v < 0 || v >= g->n_values || !ready[v]) {
        st = gt_error_set(err, GT_ERR_FORMAT, "node '%s' (%s): input %d is not computed before it", n->name,
                          gt_op_name(n->op), i);
        break;
      }
    }
    if (st != GT_OK) break;
    if (n->output < 0 || n->output >= g->n_values || !g->values[n->output].batched || ready[n->output]) {
      st = gt_error_set(err, GT_ERR_FORMAT, "node '%s' (%s): output is not a fresh batched value", n->name,
                        gt_op_name(n->op));
      break;
    }
    ready[n->output] = 1;
  }
  if (st == GT_OK && !ready[g->output])
    st = gt_error_set(err, GT_ERR_FORMAT, "graph output '%s' is never computed", out->name);
  free(ready);
  return st;
}

gt_status gt_graph_check_classifier(const gt_graph *g, gt_error *err) {
  const gt_value *in = &g->values[g->input];
  const gt_value *out = &g->values[g->output];
  if (in->ndim != 4)
    return gt_error_set(err, GT_ERR_SHAPE, "input '%s' has rank %d; an image classifier takes [N, C, H, W]",
                        in->name, in->ndim);
  if (out->ndim != 2 || out->shape[1] < 2)
    return gt_error_set(err, GT_ERR_SHAPE, "output '%s' is not logits [N, classes >= 2] (rank %d)", out->name,
                        out->ndim);
  return GT_OK;
}
