/* Multiply-adds per sample of a graph (conv and linear layers), for `gauntlet info` and benchmarks. */
#include "gauntlet/graph.h"


int64_t gt_graph_macs_per_sample(const gt_graph *g) {
  int64_t macs = 0;
  for (int k = 0; g && k < g->n_nodes; k++) {
    const gt_node *n = &g->nodes[k];
    if (n->n_inputs < 2) continue;
    const gt_value *out = &g->values[n->output], *w = &g->values[n->inputs[1]];
    if (n->op == GT_OP_CONV && w->ndim == 4) {
      /* each output element [m, oh, ow] sums C/groups x kh x kw products */
      macs += gt_value_sample_numel(out) * w->shape[1] * w->shape[2] * w->shape[3];
    } else if (n->op == GT_OP_LINEAR && w->ndim == 2) {
      /* each output element [..., m] sums K products */
      macs += gt_value_sample_numel(out) * w->shape[1];
    }
  }
  return macs;
}
