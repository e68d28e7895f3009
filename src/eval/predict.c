/* Clean accuracy: stream the dataset through the model in batches, argmax on the host. */
#include "gauntlet/eval.h"

#include <stdlib.h>
#include <string.h>

void gt_argmax_rows(const float *logits, int64_t n, int k, int32_t *pred) {
  for (int64_t i = 0; i < n; i++) {
    const float *row = logits + i * k;
    int best = 0;
    for (int j = 1; j < k; j++)
      if (row[j] > row[best]) best = j;
    pred[i] = best;
  }
}

gt_status gt_eval_predict(gt_model *m, const gt_dataset *ds, int32_t *predictions, int64_t *correct,
                          gt_error *err) {
  gt_backend *be = gt_model_backend(m);
  int64_t sample = gt_model_input_numel(m);
  const int64_t *shape = gt_model_input_shape(m);
  if (gt_model_input_rank(m) != 3 || shape[0] != ds->c || shape[1] != ds->h || shape[2] != ds->w)
    return gt_error_set(err, GT_ERR_SHAPE,
                        "the model takes inputs of %lld elements per sample, the dataset '%s' has images %dx%dx%d",
                        (long long)sample, ds->source ? ds->source : "?", ds->c, ds->h, ds->w);
  int64_t batch = gt_model_max_batch(m);
  int k = gt_model_num_classes(m);
  float *logits = malloc((size_t)(batch * k) * sizeof(float));
  int32_t *pred = malloc((size_t)batch * sizeof(int32_t));
  void *x_dev = NULL;
  gt_status st = GT_OK;
  if (!logits || !pred) st = gt_error_set(err, GT_ERR_MEMORY, "out of memory for %lld logits", (long long)(batch * k));
  if (st == GT_OK) st = be->iface->buffer_alloc(be, (size_t)(batch * sample) * sizeof(float), &x_dev, err);
  int64_t hits = 0;
  for (int64_t start = 0; st == GT_OK && start < ds->n; start += batch) {
    int64_t n = ds->n - start < batch ? ds->n - start : batch;
    st = be->iface->copy_to_device(be, x_dev, ds->images + start * sample, (size_t)(n * sample) * sizeof(float), err);
    if (st == GT_OK) st = gt_model_forward(m, x_dev, n, err);
    if (st == GT_OK) st = be->iface->copy_to_host(be, logits, gt_model_logits(m), (size_t)(n * k) * sizeof(float), err);
    if (st != GT_OK) break;
    gt_argmax_rows(logits, n, k, pred);
    for (int64_t i = 0; i < n; i++) {
      hits += pred[i] == ds->labels[start + i];
      if (predictions) predictions[start + i] = pred[i];
    }
  }
  if (x_dev) be->iface->buffer_free(be, x_dev);
  free(logits);
  free(pred);
  if (st == GT_OK) *correct = hits;
  return st;
}
