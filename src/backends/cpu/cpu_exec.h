/* What the graph executor (src/model) may ask of a cpu backend: whether it should run a large
 * batch as fixed sub-batches side by side on the backend's threads (one whole pass per sub-batch,
 * so a sub-batch's activations stay in the core's cache and the threads meet once per pass
 * instead of once per op). Other backends run every pass on the whole batch. */
#ifndef GAUNTLET_CPU_EXEC_H
#define GAUNTLET_CPU_EXEC_H

#include "gauntlet/backend.h"

/* The threads of `be` if it is a cpu backend, else 0. */
int gt_cpu_exec_threads(const gt_backend *be);

#endif
