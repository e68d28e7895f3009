/* The core ops' entries in the CUDA backend's vtable: elementwise, broadcast binary, batch norm,
 * softmax, the loss entry and the attack vector ops. (The layout ops: table_layout.cu.) */
#include "cuda_ops.h"

void gt_cuda_fill_core_ops(gt_backend_iface *t) {
  static const gt_op_kind unary[] = {GT_OP_RELU, GT_OP_LEAKY_RELU, GT_OP_SIGMOID, GT_OP_TANH, GT_OP_CLIP};
  static const gt_op_kind binary[] = {GT_OP_ADD, GT_OP_SUB, GT_OP_MUL, GT_OP_DIV};
  for (gt_op_kind op : unary) {
    t->forward[op] = gt_cuda_unary_forward;
    t->backward[op] = gt_cuda_unary_backward;
  }
  for (gt_op_kind op : binary) {
    t->forward[op] = gt_cuda_binary_forward;
    t->backward[op] = gt_cuda_binary_backward;
  }
  t->forward[GT_OP_BATCHNORM] = gt_cuda_batchnorm_forward;
  t->backward[GT_OP_BATCHNORM] = gt_cuda_batchnorm_backward;
  t->forward[GT_OP_SOFTMAX] = gt_cuda_softmax_forward;
  t->backward[GT_OP_SOFTMAX] = gt_cuda_softmax_backward;
  t->loss = gt_cuda_loss;
  t->vec = &gt_cuda_vec_iface;
}
