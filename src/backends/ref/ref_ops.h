/* Internal to the ref backend: the op functions that backend.c puts in its vtable, and the
 * argument checks they share. ref is the specification: plain loops over contiguous row-major
 * tensors, written for clarity, never optimised. */
#ifndef GAUNTLET_REF_OPS_H
#define GAUNTLET_REF_OPS_H

#include <stdint.h>

#include "backends/op_check.h"
#include "gauntlet/backend.h"

/* ---- checks (check.c) ---- */

/* The shared argument checks (backends/op_check.h), naming this backend in messages. */
#define gt_ref_fail(call, err, code, ...) gt_op_fail("ref", call, err, code, __VA_ARGS__)
#define gt_ref_check_call(call, lo, hi, err) gt_op_check_call("ref", call, lo, hi, err)
#define gt_ref_check_backward(call, lo, hi, gout, gin, err) gt_op_check_backward("ref", call, lo, hi, gout, gin, err)
#define gt_ref_refuse_weight_grads(call, gin, first, err) gt_op_refuse_weight_grads("ref", call, gin, first, err)
#define gt_ref_same_shape gt_op_same_shape
#define gt_ref_unravel gt_op_unravel



/* ---- ops: forward and input-gradient backward, as in gauntlet/backend.h ---- */

#define GT_REF_DECLARE_OP(name)                                                                   \
  gt_status gt_ref_##name##_forward(gt_backend *be, const gt_op_call *call, gt_error *err);       \
  gt_status gt_ref_##name##_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out, \
                                     gt_tensor *const *grad_in, gt_error *err)

GT_REF_DECLARE_OP(conv);      /* conv.c */
GT_REF_DECLARE_OP(linear);    /* linear.c */
GT_REF_DECLARE_OP(binary);    /* binary.c: Add, Sub, Mul, Div (node->op says which) */
GT_REF_DECLARE_OP(unary);     /* unary.c: Relu, LeakyRelu, Sigmoid, Tanh, Clip */
GT_REF_DECLARE_OP(maxpool);   /* pool.c */
GT_REF_DECLARE_OP(avgpool);   /* pool.c */
GT_REF_DECLARE_OP(batchnorm); /* batchnorm.c */
GT_REF_DECLARE_OP(reshape);   /* shape.c */
GT_REF_DECLARE_OP(transpose); /* shape.c */
GT_REF_DECLARE_OP(concat);    /* shape.c */
GT_REF_DECLARE_OP(pad);       /* shape.c */
GT_REF_DECLARE_OP(softmax);   /* softmax.c */

#undef GT_REF_DECLARE_OP

/* loss.c: the backend's per-sample loss entry (gt_backend_iface.loss). */
gt_status gt_ref_loss(gt_backend *be, gt_loss_kind kind, const gt_tensor *logits, const int32_t *labels,
                      const int32_t *targets, gt_tensor *loss, gt_tensor *dlogits, gt_error *err);

#endif
