/* Internal to the executor: which nodes it may run together as one backend call. Today one kind:
 * an op followed by a Relu that is its output's only reader, when the backend's op takes
 * GT_CALL_RELU (gt_backend_iface.call_flags). */
#ifndef GAUNTLET_MODEL_FUSE_H
#define GAUNTLET_MODEL_FUSE_H

#include "gauntlet/backend.h"
#include "gauntlet/graph.h"

/* relu_of[k] (n_nodes entries) = the Relu node that node k runs as part of its own call, or -1;
 * absorbed[k] = 1 for such a Relu (the executor skips it in inference passes). */
void gt_exec_plan_relu_fusion(const gt_graph *g, const gt_backend *be, int *relu_of, unsigned char *absorbed);

#endif
