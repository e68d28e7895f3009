/* Internal to the backends: the argument checks of the training table (gauntlet/train_ops.h) that
 * ref, cpu and cuda share, and the host backends' training tables. */
#ifndef GAUNTLET_BACKENDS_TRAIN_COMMON_H
#define GAUNTLET_BACKENDS_TRAIN_COMMON_H

#include <stdint.h>

#include "gauntlet/train_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const gt_train_iface gt_ref_train_iface; /* ref/train.c */
extern const gt_train_iface gt_cpu_train_iface; /* cpu/train.c */

/* weight_backward: the forward checks (lo..hi inputs), grad_out shaped like out, grad_w present
 * with grad_w[0] NULL and every other non-NULL entry shaped like its input. */
gt_status gt_train_check_weight_call(const char *backend, const gt_op_call *call, int lo, int hi,
                                     const gt_tensor *grad_out, gt_tensor *const *grad_w, gt_error *err);

/* Batch norm in training mode: x, y (or dx, dy) contiguous, of one shape [N, C, ...] with
 * C == bn->channels and N * inner >= 1; the [C] arrays the direction needs present. Sets the
 * [outer = N, C, inner] counts. backward = 0: forward's arrays; 1: backward's. */
gt_status gt_train_check_bn(const char *backend, const gt_bn_train *bn, const gt_tensor *x, const gt_tensor *y,
                            int backward, int64_t *outer, int64_t *inner, gt_error *err);

/* weight_backward of inference BatchNorm: the weight call checks, x [N, C, ...] with scale and
 * shift [C]; sets the [outer = N, C, inner] counts. */
gt_status gt_train_check_bn_weight(const char *backend, const gt_op_call *call, const gt_tensor *grad_out,
                                   gt_tensor *const *grad_w, int64_t *outer, int64_t *channels, int64_t *inner,
                                   gt_error *err);

gt_status gt_train_check_sgd(const char *backend, const gt_sgd_step *step, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
