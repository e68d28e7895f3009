/* The layout ops' entries in the CUDA backend's vtable: conv, linear, pooling, reshape, transpose,
 * concat, pad (written by the cuda-ops work; entries stay NULL, "unsupported", until then). */
#include "cuda_ops.h"

void gt_cuda_fill_layout_ops(gt_backend_iface *t) {
  (void)t;
}
