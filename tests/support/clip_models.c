/* Test helper: clipped-score ONNX classifiers for the gradient-masking tests (see clip_models.h). */
#include "support/clip_models.h"

enum { D = 16 };

gt_ob_model *gt_clip_model(float w, float b, float gain) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[4] = {-1, 1, 4, 4}, w1s[2] = {1, D}, b1s[1] = {1}, w2s[2] = {3, 1}, b2s[1] = {3}, sc[1] = {1};
  float w1[D], b1[1] = {b}, w2[3] = {1.0f, -1.0f, 0.0f}, b2[3] = {0.0f, 0.0f, -0.5f};
  float lo[1] = {-1.0f}, hi[1] = {1.0f}, g[1] = {gain};
  for (int i = 0; i < D; i++) w1[i] = w;
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_init_float(m, "W1", 2, w1s, w1);
  gt_ob_init_float(m, "B1", 1, b1s, b1);
  gt_ob_init_float(m, "W2", 2, w2s, w2);
  gt_ob_init_float(m, "B2", 1, b2s, b2);
  gt_ob_init_float(m, "lo", 0, sc, lo);
  gt_ob_init_float(m, "hi", 0, sc, hi);
  gt_ob_node_add(m, "Flatten", "flat", "x", "f");
  gt_ob_attr_int(gt_ob_node_add(m, "Gemm", "fc1", "f,W1,B1", "s"), "transB", 1);
  const char *clip_in = "s,lo,hi";
  if (gain != 1.0f) {
    gt_ob_init_float(m, "gain", 1, sc, g);
    gt_ob_node_add(m, "Mul", "gain", "s,gain", "g");
    clip_in = "g,lo,hi";
  }
  gt_ob_node_add(m, "Clip", "clip", clip_in, "c");
  gt_ob_attr_int(gt_ob_node_add(m, "Gemm", "fc2", "c,W2,B2", "z"), "transB", 1);
  return m;
}
