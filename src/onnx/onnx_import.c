/* The import driver: model-level checks (opset, domains), node outputs, definition and cycle
 * checks, nodes in topological order, the graph output; then validation and BatchNorm folding.
 * The values a graph starts from (bound inputs, initializers, the runtime input) are added by
 * onnx_inputs.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_import.h"

static const char *str_or_empty(const char *s) { return s ? s : ""; }

static gt_status name_nodes(gt_onnx_import *im, gt_error *err) {
  size_t n = im->graph->n_node;
  im->node_names = calloc(n ? n : 1, sizeof *im->node_names);
  if (!im->node_names) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", im->src.display);
  for (size_t k = 0; k < n; k++) {
    const Onnx__NodeProto *np = im->graph->node[k];
    char buf[256];
    const char *name = np->name && np->name[0] ? np->name : NULL;
    if (!name) {
      snprintf(buf, sizeof buf, "%s#%zu", np->op_type && np->op_type[0] ? np->op_type : "?", k);
      name = buf;
    }
    im->node_names[k] = strdup(name);
    if (!im->node_names[k]) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", im->src.display);
  }
  return GT_OK;
}

/* Domain and op type of every node, in file order: the first problem is reported. */
static gt_status check_ops(gt_onnx_import *im, gt_error *err) {
  for (size_t k = 0; k < im->graph->n_node; k++) {
    const Onnx__NodeProto *np = im->graph->node[k];
    const char *domain = str_or_empty(np->domain);
    const char *op = str_or_empty(np->op_type);
    if (domain[0] && strcmp(domain, "ai.onnx"))
      return gt_error_set(err, GT_ERR_UNSUPPORTED,
                          "%s: node '%s' (%s): op domain '%s' is not supported (only the default ONNX domain)",
                          im->src.display, im->node_names[k], op, domain);
    if (!gt_onnx_op_find(op))
      return gt_error_set(err, GT_ERR_UNSUPPORTED,
                          "%s: node '%s': op type '%s' is not supported by Gauntlet (supported: %s)", im->src.display,
                          im->node_names[k], op, gt_onnx_supported_ops());
  }
  return GT_OK;
}

static gt_status declare_outputs(gt_onnx_import *im, gt_error *err) {
  for (size_t k = 0; k < im->graph->n_node; k++) {
    const Onnx__NodeProto *np = im->graph->node[k];
    for (size_t j = 0; j < np->n_output; j++) {
      const char *name = str_or_empty(np->output[j]);
      if (!name[0]) continue;
      int vi = gt_onnx_values_find(&im->vals, name);
      if (vi >= 0) {
        const gt_onnx_value *v = &im->vals.v[vi];
        return gt_error_set(err, GT_ERR_FORMAT, "%s: node '%s' (%s): output '%s' is already defined by %s%s%s",
                            im->src.display, im->node_names[k], str_or_empty(np->op_type), name,
                            v->producer >= 0 ? "node '" : "an input or initializer",
                            v->producer >= 0 ? im->node_names[v->producer] : "", v->producer >= 0 ? "'" : "");
      }
      vi = gt_onnx_add_value(im, name, err);
      if (vi < 0) return GT_ERR_MEMORY;
      im->vals.v[vi].producer = (int)k;
    }
  }
  return GT_OK;
}

static gt_status count_uses(gt_onnx_import *im, gt_error *err) {
  for (size_t k = 0; k < im->graph->n_node; k++) {
    const Onnx__NodeProto *np = im->graph->node[k];
    for (size_t j = 0; j < np->n_input; j++) {
      const char *name = str_or_empty(np->input[j]);
      if (!name[0]) continue;
      int vi = gt_onnx_values_find(&im->vals, name);
      for (size_t s = 0; vi < 0 && s < im->graph->n_sparse_initializer; s++) {
        const Onnx__SparseTensorProto *sp = im->graph->sparse_initializer[s];
        if (sp->values && sp->values->name && !strcmp(sp->values->name, name))
          return gt_error_set(err, GT_ERR_UNSUPPORTED,
                              "%s: node '%s' (%s): input '%s' is a sparse initializer (not supported)",
                              im->src.display, im->node_names[k], str_or_empty(np->op_type), name);
      }
      if (vi < 0)
        return gt_error_set(err, GT_ERR_FORMAT,
                            "%s: node '%s' (%s): input '%s' is not defined (no node, initializer or graph input "
                            "has that name)",
                            im->src.display, im->node_names[k], str_or_empty(np->op_type), name);
      im->vals.v[vi].n_uses++;
    }
  }
  if (im->graph->n_output == 0) return gt_error_set(err, GT_ERR_FORMAT, "%s: the graph has no output", im->src.display);
  for (size_t k = 0; k < im->graph->n_output; k++) {
    const char *name = im->graph->output[k] ? str_or_empty(im->graph->output[k]->name) : "";
    int vi = gt_onnx_values_find(&im->vals, name);
    if (vi < 0)
      return gt_error_set(err, GT_ERR_FORMAT, "%s: graph output '%s' is not produced by any node", im->src.display,
                          name);
    im->vals.v[vi].n_uses++;
  }
  return GT_OK;
}

/* Kahn's algorithm over producer -> consumer edges, ties in file order; fills order[]. */
static gt_status topo_order(gt_onnx_import *im, int *order, gt_error *err) {
  size_t n = im->graph->n_node;
  size_t n_edges = 0;
  for (size_t k = 0; k < n; k++) n_edges += im->graph->node[k]->n_input;
  int *pending = calloc(n + 1, sizeof *pending), *start = calloc(n + 2, sizeof *start);
  int *succ = calloc(n_edges + 1, sizeof *succ), *queue = calloc(n + 1, sizeof *queue);
  gt_status st = GT_OK;
  if (!pending || !start || !succ || !queue)
    st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", im->src.display);
  /* Producer of every edge, counted then placed (CSR). */
  for (int pass = 0; pass < 2 && st == GT_OK; pass++) {
    int *fill = pass ? calloc(n + 1, sizeof *fill) : NULL;
    if (pass && !fill) {
      st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", im->src.display);
      break;
    }
    for (size_t k = 0; k < n; k++) {
      const Onnx__NodeProto *np = im->graph->node[k];
      for (size_t j = 0; j < np->n_input; j++) {
        int vi = gt_onnx_values_find(&im->vals, str_or_empty(np->input[j]));
        int p = vi >= 0 ? im->vals.v[vi].producer : -1;
        if (p < 0) continue;
        if (!pass) {
          start[p + 1]++;
          pending[k]++;
        } else {
          succ[start[p] + fill[p]++] = (int)k;
        }
      }
    }
    if (!pass)
      for (size_t k = 0; k < n; k++) start[k + 1] += start[k];
    free(fill);
  }
  size_t head = 0, tail = 0;
  for (size_t k = 0; k < n && st == GT_OK; k++)
    if (!pending[k]) queue[tail++] = (int)k;
  while (st == GT_OK && head < tail) {
    int k = queue[head++];
    order[head - 1] = k;
    for (int e = start[k]; e < start[k + 1]; e++)
      if (--pending[succ[e]] == 0) queue[tail++] = succ[e];
  }
  if (st == GT_OK && head < n) {
    size_t k = 0;
    while (k < n && !pending[k]) k++;
    st = gt_error_set(err, GT_ERR_FORMAT, "%s: node '%s' (%s) is part of a cycle (its inputs depend on its own output)",
                      im->src.display, im->node_names[k < n ? k : 0],
                      str_or_empty(im->graph->node[k < n ? k : 0]->op_type));
  }
  free(pending);
  free(start);
  free(succ);
  free(queue);
  return st;
}

static gt_status set_output(gt_onnx_import *im, gt_error *err) {
  const char *name = str_or_empty(im->graph->output[0]->name);
  const gt_onnx_value *v = &im->vals.v[gt_onnx_values_find(&im->vals, name)];
  if (v->kind != GT_ONNX_VAL_BATCHED)
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: graph output '%s' does not depend on the input",
                        im->src.display, name);
  im->g->output = v->graph_id;
  return GT_OK;
}

static gt_status set_producer(gt_onnx_import *im, const Onnx__ModelProto *m, gt_error *err) {
  const char *name = str_or_empty(m->producer_name), *version = str_or_empty(m->producer_version);
  size_t n = strlen(name) + strlen(version) + 2;
  im->g->producer = malloc(n);
  if (!im->g->producer) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", im->src.display);
  snprintf(im->g->producer, n, "%s%s%s", name, name[0] && version[0] ? " " : "", version);
  return GT_OK;
}

static gt_status import_model(gt_onnx_import *im, const Onnx__ModelProto *m, const gt_onnx_options *opts,
                              gt_error *err) {
  im->opset = gt_onnx_model_opset(m);
  if (im->opset == 0 && m->n_opset_import > 0 && m->opset_import[0]->domain)
    return gt_error_set(err, GT_ERR_UNSUPPORTED,
                        "%s: the model imports domain '%s' but not the default ONNX domain (the only one supported)",
                        im->src.display, m->opset_import[0]->domain);
  if (im->opset == 0)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: the model imports no opset of the default ONNX domain",
                        im->src.display);
  if (im->opset < GT_ONNX_OPSET_MIN || im->opset > GT_ONNX_OPSET_MAX)
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: opset %lld is outside the supported range %d..%d",
                        im->src.display, (long long)im->opset, GT_ONNX_OPSET_MIN, GT_ONNX_OPSET_MAX);
  im->g->opset = im->opset;
  gt_status st = set_producer(im, m, err);
  if (st == GT_OK) st = name_nodes(im, err);
  if (st == GT_OK) st = check_ops(im, err);
  if (st == GT_OK) st = gt_onnx_add_bound_inputs(im, opts, err);
  if (st == GT_OK) st = gt_onnx_add_initializers(im, im->vals.n, err);
  if (st == GT_OK) st = gt_onnx_add_runtime_input(im, err);
  if (st == GT_OK) st = declare_outputs(im, err);
  if (st == GT_OK) st = count_uses(im, err);
  if (st != GT_OK) return st;
  size_t n = im->graph->n_node;
  int *order = calloc(n ? n : 1, sizeof *order);
  if (!order) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", im->src.display);
  st = topo_order(im, order, err);
  for (size_t k = 0; k < n && st == GT_OK; k++) st = gt_onnx_emit_node(im, order[k], err);
  free(order);
  if (st == GT_OK) st = set_output(im, err);
  if (st == GT_OK && (st = gt_graph_validate(im->g, err)) != GT_OK)
    gt_error_prefix(err, "%s: imported graph is invalid: ", im->src.display);
  int n_folded = 0;
  if (st == GT_OK && (st = gt_graph_fold_batchnorm(im->g, &n_folded, err)) != GT_OK)
    gt_error_prefix(err, "%s: ", im->src.display);
  return st;
}

gt_status gt_onnx_load_memory(const void *bytes, size_t size, const char *display_name, const char *base_dir,
                              const gt_onnx_options *opts, gt_graph **out, gt_error *err) {
  if (!out) return gt_error_set(err, GT_ERR_USAGE, "gt_onnx_load_memory: no output pointer");
  *out = NULL;
  if (!display_name) display_name = "<memory>";
  if (!bytes && size) return gt_error_set(err, GT_ERR_USAGE, "%s: no bytes", display_name);
  Onnx__ModelProto *m = NULL;
  gt_status st = gt_onnx_unpack(bytes, size, display_name, &m, err);
  if (st != GT_OK) return st;
  gt_onnx_import im;
  memset(&im, 0, sizeof im);
  im.graph = m->graph;
  im.src.display = display_name;
  im.src.base_dir = base_dir;
  im.src.allow_external = opts ? opts->allow_external_data : 0;
  im.batch_static = -1;
  im.g = gt_graph_create();
  st = im.g ? import_model(&im, m, opts, err) : gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", display_name);
  for (size_t k = 0; im.node_names && k < m->graph->n_node; k++) free(im.node_names[k]);
  free(im.node_names);
  gt_onnx_values_free(&im.vals);
  onnx__model_proto__free_unpacked(m, NULL);
  if (st != GT_OK) {
    gt_graph_free(im.g);
    return st;
  }
  *out = im.g;
  return GT_OK;
}

gt_status gt_onnx_load(const char *path, const gt_onnx_options *opts, gt_graph **out, gt_error *err) {
  if (!out || !path) return gt_error_set(err, GT_ERR_USAGE, "gt_onnx_load: no path or output pointer");
  *out = NULL;
  uint8_t *bytes = NULL;
  size_t size = 0;
  gt_status st = gt_onnx_read_file(path, &bytes, &size, err);
  if (st != GT_OK) return st;
  char *dir = gt_onnx_dir_of(path);
  if (!dir) st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  else st = gt_onnx_load_memory(bytes, size, path, dir, opts, out, err);
  free(dir);
  free(bytes);
  return st;
}
