/* From an ONNX file to a classifier graph ready for gt_model_create. */
#include "gauntlet/model.h"
#include "gauntlet/onnx.h"

gt_status gt_graph_load_classifier(const char *path, int n_norm, const float *mean, const float *std,
                                   gt_graph **out, gt_error *err) {
  *out = NULL;
  gt_graph *g = NULL;
  gt_status st = gt_onnx_load(path, NULL, &g, err);
  if (st != GT_OK) return st;
  st = gt_graph_check_classifier(g, err);
  if (st == GT_OK && n_norm > 0) st = gt_graph_prepend_normalization(g, n_norm, mean, std, err);
  if (st != GT_OK) {
    gt_error_prefix(err, "%s: ", path);
    gt_graph_free(g);
    return st;
  }
  *out = g;
  return GT_OK;
}
