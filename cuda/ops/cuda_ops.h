/* Entry points of the CUDA backend's ops, with exactly the gt_op_forward_fn / gt_op_backward_fn /
 * gt_op_scratch_fn signatures of gauntlet/backend.h and the cpu backend's semantics: tensors are
 * contiguous device memory; backward ADDS dL/d in[i] into grad_in[i]; grad_in[i] is NULL for
 * constants. One .cu file per op family under cuda/ops/:
 *   cuda-core: unary.cu, binary.cu, batchnorm.cu, softmax.cu (table_core.cu);
 *   cuda-ops:  conv.cu + im2col.cu, linear.cu, pool.cu, shape.cu, pad.cu (table_layout.cu). */
#ifndef GT_CUDA_OPS_H
#define GT_CUDA_OPS_H

#include "../context.h"
#include "backends/op_check.h"
#include "gauntlet/vecops.h"

/* The shared argument checks (backends/op_check.h), naming this backend in messages. */
#ifdef GT_CUDA_EMU
#define GT_CUDA_BACKEND_NAME "cuda-emu"
#else
#define GT_CUDA_BACKEND_NAME "cuda"
#endif
#define gt_cuda_op_fail(call, err, code, ...) gt_op_fail(GT_CUDA_BACKEND_NAME, call, err, code, __VA_ARGS__)
#define gt_cuda_check_call(call, lo, hi, err) gt_op_check_call(GT_CUDA_BACKEND_NAME, call, lo, hi, err)
#define gt_cuda_check_backward(call, lo, hi, gout, gin, err) \
  gt_op_check_backward(GT_CUDA_BACKEND_NAME, call, lo, hi, gout, gin, err)
#define gt_cuda_refuse_weight_grads(call, gin, first, err) \
  gt_op_refuse_weight_grads(GT_CUDA_BACKEND_NAME, call, gin, first, err)

#define GT_CUDA_DECLARE_OP(name)                                                                     \
  gt_status gt_cuda_##name##_forward(gt_backend *be, const gt_op_call *call, gt_error *err);         \
  gt_status gt_cuda_##name##_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out, \
                                      gt_tensor *const *grad_in, gt_error *err)

/* cuda-core */
GT_CUDA_DECLARE_OP(unary);     /* unary.cu: Relu, LeakyRelu, Sigmoid, Tanh, Clip */
GT_CUDA_DECLARE_OP(binary);    /* binary.cu: Add, Sub, Mul, Div with numpy broadcasting */
GT_CUDA_DECLARE_OP(batchnorm); /* batchnorm.cu */
GT_CUDA_DECLARE_OP(softmax);   /* softmax.cu */

/* cuda-ops */
GT_CUDA_DECLARE_OP(conv);      /* conv.cu + im2col.cu */
GT_CUDA_DECLARE_OP(linear);    /* linear.cu (cuBLAS) */
GT_CUDA_DECLARE_OP(maxpool);   /* pool.cu */
GT_CUDA_DECLARE_OP(avgpool);   /* pool.cu (incl. global) */
GT_CUDA_DECLARE_OP(reshape);   /* shape.cu */
GT_CUDA_DECLARE_OP(transpose); /* shape.cu */
GT_CUDA_DECLARE_OP(concat);    /* shape.cu */
GT_CUDA_DECLARE_OP(pad);       /* pad.cu */

#undef GT_CUDA_DECLARE_OP

/* Scratch sizes (gt_op_scratch_fn), for the ops that need scratch. */
size_t gt_cuda_conv_scratch(gt_backend *be, const gt_op_call *call);

/* cuda/loss.cu: the per-sample loss entry (gt_backend_iface.loss). */
gt_status gt_cuda_loss(gt_backend *be, gt_loss_kind kind, const gt_tensor *logits, const int32_t *labels,
                       const int32_t *targets, gt_tensor *loss, gt_tensor *dlogits, gt_error *err);

/* cuda/vecops*.cu: the attack vector ops (gauntlet/vecops.h). */
extern const gt_vec_iface gt_cuda_vec_iface;

#endif
