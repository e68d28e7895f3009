/* Load-time rewrite: a BATCHNORM that only reads a CONV's output is folded into that conv.
 *
 *   y[n,m] = scale[m] * (sum W[m] * x + b[m]) + shift[m]
 *          = sum (scale[m] W[m]) * x + (scale[m] b[m] + shift[m])
 *
 * New constants W' and b' are added (the old W may be shared with another conv), the conv
 * writes straight into the batchnorm's output value, the batchnorm node is dropped, and
 * values nothing refers to any more are removed (ids are renumbered). Linear in graph size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/graph.h"

/* Number of node inputs that read each value. */
static int *count_uses(const gt_graph *g) {
  int *uses = calloc((size_t)(g->n_values ? g->n_values : 1), sizeof *uses);
  if (!uses) return NULL;
  for (int k = 0; k < g->n_nodes; k++)
    for (int i = 0; i < g->nodes[k].n_inputs; i++) uses[g->nodes[k].inputs[i]]++;
  return uses;
}

/* Index of the node writing each value, -1 for inputs and constants. */
static int *producers(const gt_graph *g) {
  int *prod = malloc((size_t)(g->n_values ? g->n_values : 1) * sizeof *prod);
  if (!prod) return NULL;
  for (int v = 0; v < g->n_values; v++) prod[v] = -1;
  for (int k = 0; k < g->n_nodes; k++) prod[g->nodes[k].output] = k;
  return prod;
}

static int is_vector(const gt_value *v, int64_t n) {
  return !v->batched && v->data && gt_value_sample_numel(v) == n;
}

/* Folds bn (node index b) into conv (node index c) when the shapes fit; *folded = 1 when done. */
static gt_status try_fold(gt_graph *g, int c, int b, int *folded, gt_error *err) {
  *folded = 0;
  gt_node *conv = &g->nodes[c];
  const gt_node *bn = &g->nodes[b];
  if (bn->n_inputs != 3 || conv->n_inputs < 2 || conv->n_inputs > 3) return GT_OK;
  const gt_value *w = &g->values[conv->inputs[1]];
  if (w->batched || w->ndim != 4 || !w->data) return GT_OK;
  int64_t m = w->shape[0], per_m = w->shape[1] * w->shape[2] * w->shape[3];
  const gt_value *scale = &g->values[bn->inputs[1]], *shift = &g->values[bn->inputs[2]];
  if (!is_vector(scale, m) || !is_vector(shift, m)) return GT_OK;
  const float *bias = NULL;
  if (conv->n_inputs == 3) {
    const gt_value *bv = &g->values[conv->inputs[2]];
    if (!is_vector(bv, m)) return GT_OK;
    bias = bv->data;
  }
  float *w2 = malloc((size_t)(m * per_m) * sizeof *w2), *b2 = malloc((size_t)m * sizeof *b2);
  int *ins = realloc(conv->inputs, 3 * sizeof *ins);
  if (!w2 || !b2 || !ins) {
    free(w2);
    free(b2);
    if (ins) conv->inputs = ins;
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory folding batchnorm '%s'", bn->name);
  }
  conv->inputs = ins;
  for (int64_t i = 0; i < m; i++) {
    float s = scale->data[i];
    for (int64_t j = 0; j < per_m; j++) w2[i * per_m + j] = w->data[i * per_m + j] * s;
    b2[i] = (bias ? bias[i] : 0.0f) * s + shift->data[i];
  }
  int64_t wshape[4] = {w->shape[0], w->shape[1], w->shape[2], w->shape[3]};
  char wname[512], bname[512];
  snprintf(wname, sizeof wname, "%s*%s", w->name, bn->name);
  snprintf(bname, sizeof bname, "%s.bias*%s", conv->name, bn->name);
  int wid = gt_graph_add_value(g, wname, 0, 4, wshape, w2, err); /* may move g->values */
  int bid = wid < 0 ? -1 : gt_graph_add_value(g, bname, 0, 1, &m, b2, err);
  free(w2);
  free(b2);
  if (wid < 0 || bid < 0) return err ? err->code : GT_ERR_MEMORY;
  conv->inputs[1] = wid;
  conv->inputs[2] = bid;
  conv->n_inputs = 3;
  conv->output = bn->output;
  *folded = 1;
  return GT_OK;
}

/* Removes the nodes marked in drop, keeping the order of the others. */
static void drop_nodes(gt_graph *g, const char *drop) {
  int n = 0;
  for (int k = 0; k < g->n_nodes; k++) {
    if (drop[k]) {
      free(g->nodes[k].name);
      free(g->nodes[k].inputs);
      continue;
    }
    g->nodes[n++] = g->nodes[k];
  }
  g->n_nodes = n;
}

/* Removes values that no node, nor the graph input/output, refers to; renumbers the rest. */
static gt_status drop_unreferenced_values(gt_graph *g, gt_error *err) {
  int *map = calloc((size_t)(g->n_values ? g->n_values : 1), sizeof *map);
  if (!map) return gt_error_set(err, GT_ERR_MEMORY, "out of memory compacting the graph");
  for (int k = 0; k < g->n_nodes; k++) {
    map[g->nodes[k].output] = 1;
    for (int i = 0; i < g->nodes[k].n_inputs; i++) map[g->nodes[k].inputs[i]] = 1;
  }
  if (g->input >= 0) map[g->input] = 1;
  if (g->output >= 0) map[g->output] = 1;
  int n = 0;
  for (int v = 0; v < g->n_values; v++) {
    if (!map[v]) {
      free(g->values[v].name);
      free(g->values[v].data);
      map[v] = -1;
      continue;
    }
    g->values[n] = g->values[v];
    map[v] = n++;
  }
  g->n_values = n;
  for (int k = 0; k < g->n_nodes; k++) {
    g->nodes[k].output = map[g->nodes[k].output];
    for (int i = 0; i < g->nodes[k].n_inputs; i++) g->nodes[k].inputs[i] = map[g->nodes[k].inputs[i]];
  }
  if (g->input >= 0) g->input = map[g->input];
  if (g->output >= 0) g->output = map[g->output];
  free(map);
  return GT_OK;
}

gt_status gt_graph_fold_batchnorm(gt_graph *g, int *n_folded, gt_error *err) {
  int count = 0;
  if (n_folded) *n_folded = 0;
  gt_status st = gt_graph_validate(g, err);
  if (st != GT_OK) return st;
  /* Indexed by the values that exist now: folding only adds constants, never looked up here. */
  int *uses = count_uses(g), *prod = producers(g);
  char *drop = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
  if (!uses || !prod || !drop) st = gt_error_set(err, GT_ERR_MEMORY, "out of memory folding batchnorms");
  for (int k = 0; k < g->n_nodes && st == GT_OK; k++) {
    if (g->nodes[k].op != GT_OP_BATCHNORM) continue;
    int x = g->nodes[k].inputs[0];
    int c = prod[x];
    if (c < 0 || g->nodes[c].op != GT_OP_CONV || uses[x] != 1 || x == g->output || x == g->input) continue;
    int folded = 0;
    st = try_fold(g, c, k, &folded, err);
    if (st != GT_OK || !folded) continue;
    prod[g->nodes[k].output] = c; /* the conv now writes the batchnorm's output (a BN after it may fold too) */
    drop[k] = 1;
    count++;
  }
  if (st == GT_OK && count) {
    drop_nodes(g, drop);
    st = drop_unreferenced_values(g, err);
  }
  free(uses);
  free(prod);
  free(drop);
  if (st == GT_OK && n_folded) *n_folded = count;
  return st;
}
