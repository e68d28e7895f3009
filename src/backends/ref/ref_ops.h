/* Internal to the ref backend: the op functions that backend.c puts in its vtable, and the
 * argument checks they share. ref is the specification: plain loops over contiguous row-major
 * tensors, written for clarity, never optimised. */
#ifndef GAUNTLET_REF_OPS_H
#define GAUNTLET_REF_OPS_H

#include <stdint.h>

#include "gauntlet/backend.h"

/* ---- checks (check.c) ---- */

/* Formats "ref <Op> '<node>': <message>" into err and returns code. */
gt_status gt_ref_fail(const gt_op_call *call, gt_error *err, gt_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The call is usable: a node, min_inputs <= n_inputs <= max_inputs, every tensor present,
 * contiguous, of sane rank and size, with data whenever it has elements. */
gt_status gt_ref_check_call(const gt_op_call *call, int min_inputs, int max_inputs, gt_error *err);

/* For backward: the forward checks, grad_out shaped like out, each non-NULL grad_in[i] shaped
 * like in[i]. */
gt_status gt_ref_check_backward(const gt_op_call *call, int min_inputs, int max_inputs, const gt_tensor *grad_out,
                                gt_tensor *const *grad_in, gt_error *err);

/* Weight-like inputs (index >= first) are constants: a non-NULL gradient for them is refused. */
gt_status gt_ref_refuse_weight_grads(const gt_op_call *call, gt_tensor *const *grad_in, int first, gt_error *err);

int gt_ref_same_shape(const gt_tensor *a, const gt_tensor *b);

/* Multi-index of flat position `flat` in a row-major array of the given shape. */
void gt_ref_unravel(int64_t flat, int ndim, const int64_t *shape, int64_t *idx);

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
