/* A model ready to run: a graph whose constants live on a backend, with every activation,
 * gradient and scratch buffer reserved once for a maximum batch size (no allocation inside a
 * pass). Forward gives logits; backward gives d(sum of per-sample losses)/d(input), which is each
 * sample's own input gradient because samples do not interact.
 *
 * Pointers named *_dev are backend memory (use the backend's copy functions to move data). */
#ifndef GAUNTLET_MODEL_H
#define GAUNTLET_MODEL_H

#include <stdint.h>

#include "gauntlet/backend.h"
#include "gauntlet/graph.h"
#include "gauntlet/loss.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_model gt_model;

/* Loads an ONNX image classifier, optionally puts per-channel normalisation (x - mean) / std in
 * front of it (n_norm = 0: none; else n_norm must equal the input channels), folds BatchNorm, and
 * checks it is a classifier (input [N,C,H,W], logits [N,K]). */
gt_status gt_graph_load_classifier(const char *path, int n_norm, const float *mean, const float *std,
                                   gt_graph **out, gt_error *err);

/* The graph must outlive the model (nodes are referenced, not copied). */
gt_status gt_model_create(const gt_graph *graph, gt_backend *be, int64_t max_batch, gt_model **out, gt_error *err);
void gt_model_free(gt_model *m);

/* Where device memory is short (src/model/model_fit.c). retry, when not NULL, hears of each
 * retry: why the last try failed (the error message) and the smaller batch tried next. */
typedef void (*gt_model_retry_fn)(void *user, const char *why, int64_t batch);
/* gt_model_create, halving max_batch while the backend runs out of memory (GT_ERR_MEMORY), down
 * to 1. The model's batch also sizes the attacks' buffers (gauntlet/oracle.h). */
gt_status gt_model_create_fitting(const gt_graph *graph, gt_backend *be, int64_t max_batch, gt_model_retry_fn retry,
                                  void *user, gt_model **out, gt_error *err);
/* After GT_ERR_MEMORY (in err) from work on *m (a model of graph): *m is replaced by a model with
 * half its batch (gt_model_create_fitting), so the work can run again. GT_ERR_MEMORY back (err
 * unchanged, *m untouched) when its batch is already 1; *m NULL when no smaller model fits. */
gt_status gt_model_halve_batch(const gt_graph *graph, gt_model **m, gt_model_retry_fn retry, void *user, gt_error *err);

gt_backend *gt_model_backend(const gt_model *m);
int64_t gt_model_max_batch(const gt_model *m);
int gt_model_num_classes(const gt_model *m);
/* Input shape of one sample (C, H, W for images) and its element count. */
int gt_model_input_rank(const gt_model *m); /* without the batch dim */
const int64_t *gt_model_input_shape(const gt_model *m);
int64_t gt_model_input_numel(const gt_model *m);

/* x_dev: [n, input shape]; 1 <= n <= max_batch. Logits [n, K] are then at gt_model_logits. */
gt_status gt_model_forward(gt_model *m, const float *x_dev, int64_t n, gt_error *err);
const float *gt_model_logits(const gt_model *m);

/* After gt_model_forward: dlogits_dev [n, K] in, dx_dev [n, input shape] out (overwritten). */
gt_status gt_model_backward(gt_model *m, const float *dlogits_dev, float *dx_dev, gt_error *err);

/* Forward, per-sample loss (loss_dev [n], may be NULL) and, when dx_dev is non-NULL, backward.
 * labels_dev / targets_dev: int32 [n] in backend memory (targets only for targeted losses). */
gt_status gt_model_loss_grad(gt_model *m, const float *x_dev, int64_t n, gt_loss_kind kind,
                             const int32_t *labels_dev, const int32_t *targets_dev, float *loss_dev,
                             float *dx_dev, gt_error *err);

/* Samples pushed through forward and backward passes since creation (for reports). */
typedef struct gt_pass_counts {
  int64_t forward_samples;
  int64_t backward_samples;
  double seconds; /* host wall time inside forward and backward passes (benchmarks: the rest of an
                     attack's time is its own work; exact on synchronous backends) */
  double cpu_seconds; /* the process's CPU time (all threads) inside them, the same way */
} gt_pass_counts;
gt_pass_counts gt_model_pass_counts(const gt_model *m);

#ifdef __cplusplus
}
#endif
#endif
