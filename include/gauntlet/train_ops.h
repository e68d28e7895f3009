/* The training table of a backend (gt_backend_iface.train): weight gradients per op, batch norm
 * in training mode, and the SGD update, so that the trainer (gauntlet/train.h) is written once
 * against it and parameters, gradients and optimiser state never leave the device.
 *
 * Conventions: every pointer is backend memory; gradients are ADDED (the trainer zeroes them once
 * per step), summed over the batch; the per-element math is gauntlet/hd/train.h. A backend that
 * cannot train leaves gt_backend_iface.train NULL; an op it cannot differentiate with respect to
 * its weights has a NULL weight_backward entry (ops without weights need none). */
#ifndef GAUNTLET_TRAIN_OPS_H
#define GAUNTLET_TRAIN_OPS_H

#include <stdint.h>

#include "gauntlet/backend.h"
#include "gauntlet/status.h"
#include "gauntlet/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Weight gradients of one op application. call is the forward call (in[] and out valid), with
 * call->scratch of at least weight_scratch_bytes(call) bytes. grad_w has node->n_inputs entries:
 * grad_w[0] is NULL (the batched input; its gradient is the backward table's job); grad_w[i] for
 * i >= 1 is NULL (not wanted) or has in[i]'s shape and receives dL/d in[i] summed over the batch
 * (ADDED). Conv and Linear: i = 1 weight, 2 bias. BatchNorm (inference form): 1 scale, 2 shift. */
typedef gt_status (*gt_op_weight_backward_fn)(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                              gt_tensor *const *grad_w, gt_error *err);

/* Batch norm in training mode over x [N, C, ...] (statistics per channel over N and the trailing
 * dims, M = numel / C values each):
 *   mean = sum x / M, var = sum (x - mean)^2 / M, invstd = 1 / sqrt(var + eps),
 *   y = (x - mean) * invstd * gamma + beta;
 *   running_mean += momentum * (mean - running_mean), running_var likewise with the unbiased
 *   variance var * M / (M - 1) (PyTorch's convention).
 * Backward (xh = (x - mean) * invstd):  dbeta += sum dy,  dgamma += sum dy * xh,
 *   dx += gamma * invstd * (dy - mean(dy) - xh * mean(dy * xh)). */
typedef struct gt_bn_train {
  int64_t channels;
  const float *gamma, *beta;         /* [C] */
  float *mean, *invstd;              /* [C] written by forward, read by backward */
  float *running_mean, *running_var; /* [C] updated by forward; both NULL: no update */
  float eps, momentum;
  float *dgamma, *dbeta;             /* [C] backward ADDS; NULL: not wanted */
} gt_bn_train;

/* One SGD step with momentum and weight decay on n parameters (PyTorch's SGD, dampening 0):
 *   g = grad + weight_decay * param;  velocity = momentum * velocity + g;  param -= lr * velocity. */
typedef struct gt_sgd_step {
  int64_t n;
  float *param;
  const float *grad;
  float *velocity; /* zero before the first step */
  float lr, momentum, weight_decay;
} gt_sgd_step;

typedef struct gt_train_iface {
  gt_op_weight_backward_fn weight_backward[GT_OP_COUNT];
  gt_op_scratch_fn weight_scratch_bytes[GT_OP_COUNT]; /* NULL: no scratch */
  /* x and y (dx, dy) are [N, C, ...] tensors of one shape; dx may be NULL (not wanted). */
  gt_status (*batchnorm_forward)(gt_backend *be, const gt_bn_train *bn, const gt_tensor *x, gt_tensor *y,
                                 gt_error *err);
  gt_status (*batchnorm_backward)(gt_backend *be, const gt_bn_train *bn, const gt_tensor *x, const gt_tensor *dy,
                                  gt_tensor *dx, gt_error *err);
  gt_status (*sgd_step)(gt_backend *be, const gt_sgd_step *step, gt_error *err);
} gt_train_iface;

/* The backend's training table, or NULL with GT_ERR_UNSUPPORTED in err when it has none. */
const gt_train_iface *gt_backend_train(const gt_backend *be, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
