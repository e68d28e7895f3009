/* Internal to src/train: the trainer's state, shared by the architecture builder (arch.c), the
 * training loop (trainer.c), the inner attacks (adv.c), the ONNX writer (export_onnx.c) and the
 * sidecar (sidecar.c). Pointers named *_dev are backend memory. */
#ifndef GAUNTLET_TRAIN_INTERNAL_H
#define GAUNTLET_TRAIN_INTERNAL_H

#include <stdint.h>

#include "gauntlet/model_train.h"
#include "gauntlet/oracle.h"
#include "gauntlet/train.h"

/* A trained constant of the graph (a weight or a bias): updated in place in the model. */
typedef struct gt_train_param {
  int value;         /* graph value id */
  int64_t numel;
  float *grad_dev;   /* [numel] */
  float *velocity_dev;
} gt_train_param;

/* A batch-norm node: training-mode state and the inference constants it is folded into. */
typedef struct gt_train_bn {
  int node;                /* graph node id */
  int scale_value, shift_value;
  gt_bn_train state;       /* gamma, beta, batch and running statistics, their gradients (device) */
  float *gamma_velocity_dev, *beta_velocity_dev;
} gt_train_bn;

/* The graph of an architecture, freshly initialised (weights drawn from the RNG, batch norm at
 * gamma 1, beta 0, running mean 0, variance 1). Fills which values are trained and which nodes
 * are batch norms (node ids, scale/shift value ids, channels); device buffers are left to the
 * trainer. */
typedef struct gt_arch_graph {
  gt_graph *graph;
  int *trained_values; /* value ids */
  int n_trained;
  gt_train_bn *bns;
  int n_bns;
} gt_arch_graph;

gt_status gt_arch_build(gt_arch arch, int c, int h, int w, int n_classes, uint64_t seed, gt_arch_graph *out,
                        gt_error *err);
void gt_arch_graph_release(gt_arch_graph *a); /* frees the lists, not the graph */

struct gt_trainer {
  gt_train_config cfg;
  gt_backend *be;
  const gt_train_iface *train;
  const gt_vec_iface *vec;
  gt_graph *graph;
  gt_model *model;
  int64_t batch, d;
  int k;
  gt_train_param *params;
  int n_params;
  gt_train_bn *bns;
  int n_bns;
  float **value_grad;       /* [n_values] for the binding */
  gt_bn_train **node_bn;    /* [n_nodes] for the binding */
  gt_train_binding binding;
  int folded;               /* 1: the BN scale/shift constants hold the current running statistics */
  int64_t step;             /* SGD steps taken */
  int64_t total_steps;      /* of the whole run, for the cosine schedule */
  /* device buffers [batch, d] / [batch] / [batch, k] */
  float *x_dev, *xadv_dev, *dx_dev, *grad_dev, *dlogits_dev, *alpha_dev, *eps_dev, *ones_dev, *coef_dev;
  int32_t *labels_dev;
  int64_t *ids_dev;
  /* host buffers */
  float *x_host, *logits_host, *logits2_host, *dlogits_host, *dlogits2_host;
  int32_t *labels_host;
  int64_t *ids_host;
  int64_t *order;           /* permutation of the training set */
  gt_oracle *oracle;        /* on the inference form, for the inner attacks */
  double final_train_accuracy, final_test_accuracy;
};

/* Copies running statistics into the BN scale/shift constants (no-op when already folded). */
gt_status gt_trainer_fold(gt_trainer *t, gt_error *err);

/* Inner maximisation on the batch x_dev [n]: writes xadv_dev. epoch keys the random starts. */
gt_status gt_adv_pgd(gt_trainer *t, int64_t n, int epoch, gt_error *err);
gt_status gt_adv_trades(gt_trainer *t, int64_t n, int epoch, gt_error *err);

/* Host copies of the trained tensors, for export: returns malloc'd [numel] floats of a constant
 * value, or of a BN state array (which: 0 gamma, 1 beta, 2 running mean, 3 running var). */
gt_status gt_trainer_read_value(gt_trainer *t, int value, float **out, gt_error *err);
gt_status gt_trainer_read_bn(gt_trainer *t, const gt_train_bn *bn, int which, float **out, gt_error *err);

/* p = softmax(z) over k classes (p may alias z). */
void gt_train_softmax_row(const float *z, int k, float *p);

#define GT_TRAIN_BN_EPS 1e-5f
#define GT_TRAIN_BN_MOMENTUM 0.1f

#endif
