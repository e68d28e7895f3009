/* Training passes of the graph executor (src/model/model.c): the same graph and buffers as
 * gauntlet/model.h, plus gradients of the constants being trained and batch norm in training mode.
 * The trainer (gauntlet/train.h) owns every buffer named here; they are backend memory. */
#ifndef GAUNTLET_MODEL_TRAIN_H
#define GAUNTLET_MODEL_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "gauntlet/model.h"
#include "gauntlet/train_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_TRAIN_MAX_INPUTS 3 /* inputs of an op with trained constants (x, weight, bias) */

typedef struct gt_train_binding {
  /* [n_values]: for a trained constant, a gradient buffer of its shape that backward ADDS
   * dL/d(constant) into (summed over the batch); NULL for frozen constants and batched values. */
  float *const *value_grad;
  /* [n_nodes]: for a BatchNorm node in training mode, its state (gamma, beta, statistics; the node's
   * own scale and shift constants are then not read); NULL: the node runs in inference form. */
  gt_bn_train *const *bn;
  void *scratch; /* weight-gradient scratch of gt_model_weight_scratch_bytes bytes */
  size_t scratch_bytes;
} gt_train_binding;

/* Backend memory of constant `value` (the graph's value id), which the trainer updates in place;
 * NULL for a batched value or an id out of range. */
float *gt_model_constant_data(gt_model *m, int value);

/* Scratch the weight-gradient ops need at the model's max batch (0 when the backend cannot train). */
size_t gt_model_weight_scratch_bytes(gt_model *m);

/* As gt_model_forward, with the BatchNorm nodes of the binding in training mode. */
gt_status gt_model_train_forward(gt_model *m, const float *x_dev, int64_t n, const gt_train_binding *train,
                                 gt_error *err);

/* After gt_model_train_forward: input gradients as gt_model_backward (dx_dev [n, input] receives
 * dL/dx), and the binding's constant and batch-norm gradients ADDED. */
gt_status gt_model_train_backward(gt_model *m, const float *dlogits_dev, float *dx_dev, const gt_train_binding *train,
                                  gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
