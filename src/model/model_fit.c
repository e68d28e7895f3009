/* Reserving a model where device memory is short (gauntlet/model.h): a model reserves every
 * buffer for its maximum batch up front, and attacks size theirs by it, so on GT_ERR_MEMORY the
 * batch is halved and the model reserved again, down to one sample. Per-point results do not
 * depend on the batch on cpu; on CUDA they may differ in the last bit (docs/CUDA.md). */
#include "gauntlet/model.h"

gt_status gt_model_create_fitting(const gt_graph *graph, gt_backend *be, int64_t max_batch, gt_model_retry_fn retry,
                                  void *user, gt_model **out, gt_error *err) {
  gt_status st = gt_model_create(graph, be, max_batch, out, err);
  while (st == GT_ERR_MEMORY && max_batch > 1) {
    max_batch /= 2;
    if (retry) retry(user, err ? err->message : "out of memory", max_batch);
    st = gt_model_create(graph, be, max_batch, out, err);
  }
  return st;
}

gt_status gt_model_halve_batch(const gt_graph *graph, gt_model **m, gt_model_retry_fn retry, void *user, gt_error *err) {
  int64_t batch = gt_model_max_batch(*m);
  if (batch <= 1) return GT_ERR_MEMORY;
  gt_backend *be = gt_model_backend(*m);
  gt_model_free(*m);
  *m = NULL;
  batch /= 2;
  if (retry) retry(user, err ? err->message : "out of memory", batch);
  return gt_model_create_fitting(graph, be, batch, retry, user, m, err);
}
