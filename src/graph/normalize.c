/* Load-time rewrite: y = (x - mean[c]) / std[c] in front of the graph, as SUB and DIV nodes, so
 * attacks work in [0,1] pixel space and the normalisation is differentiated like any other op.
 * mean and std become constants of shape [C, 1, ..., 1] (rank of the input minus the batch). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/graph.h"

gt_status gt_graph_prepend_normalization(gt_graph *g, int n_channels, const float *mean, const float *std,
                                         gt_error *err) {
  if (!g || g->input < 0 || g->input >= g->n_values || !g->values[g->input].batched)
    return gt_error_set(err, GT_ERR_USAGE, "normalization: the graph has no batched input");
  if (!mean || !std) return gt_error_set(err, GT_ERR_USAGE, "normalization: mean or std is missing");
  const gt_value *in = &g->values[g->input];
  if (in->ndim < 2 || in->shape[1] != n_channels)
    return gt_error_set(err, GT_ERR_SHAPE, "normalization has %d channels; input '%s' has %lld", n_channels, in->name,
                        in->ndim < 2 ? 0LL : (long long)in->shape[1]);
  for (int c = 0; c < n_channels; c++) {
    if (!isfinite(mean[c]))
      return gt_error_set(err, GT_ERR_USAGE, "normalization: mean[%d] = %g is not finite", c, (double)mean[c]);
    if (!(std[c] > 0.0f) || !isfinite(std[c]))
      return gt_error_set(err, GT_ERR_USAGE, "normalization: std[%d] = %g must be positive", c, (double)std[c]);
  }
  int ndim = in->ndim, x = g->input;
  int64_t shape[GT_MAX_DIMS], cshape[GT_MAX_DIMS];
  for (int d = 0; d < ndim; d++) shape[d] = in->shape[d];
  cshape[0] = n_channels;
  for (int d = 1; d < ndim - 1; d++) cshape[d] = 1;
  int mean_id = gt_graph_add_value(g, "normalize.mean", 0, ndim - 1, cshape, mean, err);
  int std_id = mean_id < 0 ? -1 : gt_graph_add_value(g, "normalize.std", 0, ndim - 1, cshape, std, err);
  int centered = std_id < 0 ? -1 : gt_graph_add_value(g, "normalize.centered", 1, ndim, shape, NULL, err);
  int scaled = centered < 0 ? -1 : gt_graph_add_value(g, "normalize.output", 1, ndim, shape, NULL, err);
  if (scaled < 0) return err ? err->code : GT_ERR_MEMORY;
  int sub_in[2] = {x, mean_id}, div_in[2] = {centered, std_id};
  if (!gt_graph_add_node(g, GT_OP_SUB, "normalize.sub", 2, sub_in, centered, err))
    return err ? err->code : GT_ERR_MEMORY;
  if (!gt_graph_add_node(g, GT_OP_DIV, "normalize.div", 2, div_in, scaled, err)) {
    g->n_nodes--; /* undo the SUB so the graph stays as it was */
    free(g->nodes[g->n_nodes].name);
    free(g->nodes[g->n_nodes].inputs);
    return err ? err->code : GT_ERR_MEMORY;
  }
  /* Every earlier reader of x now reads the normalised value instead. */
  for (int k = 0; k < g->n_nodes - 2; k++)
    for (int i = 0; i < g->nodes[k].n_inputs; i++)
      if (g->nodes[k].inputs[i] == x) g->nodes[k].inputs[i] = scaled;
  if (g->output == x) g->output = scaled;
  /* The two new nodes were appended: rotate them to the front to keep topological order. */
  gt_node added[2] = {g->nodes[g->n_nodes - 2], g->nodes[g->n_nodes - 1]};
  memmove(&g->nodes[2], &g->nodes[0], (size_t)(g->n_nodes - 2) * sizeof *g->nodes);
  g->nodes[0] = added[0];
  g->nodes[1] = added[1];
  return GT_OK;
}
