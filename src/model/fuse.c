/* The executor's fusion plan (fuse.h): an op and the Relu after it as one backend call, so that
 * the ReLU costs no pass of its own over the activation, forward or backward. */
#include "fuse.h"

/* How many input slots of all nodes read value v. */
static int readers(const gt_graph *g, int v) {
  int n = 0;
  for (int k = 0; k < g->n_nodes; k++)
    for (int i = 0; i < g->nodes[k].n_inputs; i++) n += g->nodes[k].inputs[i] == v;
  return n;
}

void gt_exec_plan_relu_fusion(const gt_graph *g, const gt_backend *be, int *relu_of, unsigned char *absorbed) {
  for (int k = 0; k < g->n_nodes; k++) {
    relu_of[k] = -1;
    absorbed[k] = 0;
  }
  for (int r = 0; r < g->n_nodes; r++) {
    const gt_node *relu = &g->nodes[r];
    if (relu->op != GT_OP_RELU || relu->n_inputs != 1) continue;
    int v = relu->inputs[0];
    /* the producer of v: nodes are in topological order, so it comes before r */
    int p = -1;
    for (int k = 0; k < r && p < 0; k++)
      if (g->nodes[k].output == v) p = k;
    if (p < 0 || relu_of[p] >= 0 || v == g->output || !g->values[v].batched || readers(g, v) != 1) continue;
    gt_op_kind op = g->nodes[p].op;
    if (!(be->iface->call_flags[op] & GT_CALL_RELU)) continue;
    relu_of[p] = r;
    absorbed[r] = 1;
  }
}
