/* The layout ops' entries in the CUDA backend's vtable: conv, linear, pooling, reshape, transpose,
 * concat, pad (cuda/ops/conv.cu, im2col.cu, linear.cu, pool.cu, shape.cu, pad.cu). */
#include "cuda_ops.h"

void gt_cuda_fill_layout_ops(gt_backend_iface *t) {
#define GT_SET_OP(kind, name)                   \
  t->forward[kind] = gt_cuda_##name##_forward; \
  t->backward[kind] = gt_cuda_##name##_backward
  GT_SET_OP(GT_OP_CONV, conv);
  GT_SET_OP(GT_OP_LINEAR, linear);
  GT_SET_OP(GT_OP_MAXPOOL, maxpool);
  GT_SET_OP(GT_OP_AVGPOOL, avgpool);
  GT_SET_OP(GT_OP_RESHAPE, reshape);
  GT_SET_OP(GT_OP_TRANSPOSE, transpose);
  GT_SET_OP(GT_OP_CONCAT, concat);
  GT_SET_OP(GT_OP_PAD, pad);
#undef GT_SET_OP
  t->scratch_bytes[GT_OP_CONV] = gt_cuda_conv_scratch;
}
