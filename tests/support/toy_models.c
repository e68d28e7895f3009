/* Test helper: hand-built classifiers and toy point sets (see toy_models.h). */
#include "support/toy_models.h"

#include <string.h>

#include "gauntlet/hd/logits.h"
#include "gt_test.h"
#include "support/test_rng.h"

gt_graph *gt_toy_linear_graph(int64_t c, int64_t h, int64_t w, int k, const float *W, const float *b) {
  gt_error err = {0};
  gt_graph *g = gt_graph_create();
  int64_t d = c * h * w;
  int64_t img[4] = {GT_DIM_BATCH, c, h, w}, flat[2] = {GT_DIM_BATCH, d}, logits[2] = {GT_DIM_BATCH, k};
  int64_t w_shape[2] = {k, d}, b_shape[1] = {k};
  int x = gt_graph_add_value(g, "x", 1, 4, img, NULL, &err);
  int wv = gt_graph_add_value(g, "W", 0, 2, w_shape, W, &err);
  int bv = gt_graph_add_value(g, "b", 0, 1, b_shape, b, &err);
  int f = gt_graph_add_value(g, "flat", 1, 2, flat, NULL, &err);
  int z = gt_graph_add_value(g, "logits", 1, 2, logits, NULL, &err);
  int a_x[1] = {x}, a_fc[3] = {f, wv, bv};
  gt_graph_add_node(g, GT_OP_RESHAPE, "flatten", 1, a_x, f, &err);
  gt_graph_add_node(g, GT_OP_LINEAR, "fc", 3, a_fc, z, &err);
  g->input = x;
  g->output = z;
  return g;
}

gt_graph *gt_toy_mlp_graph(const gt_toy_mlp_spec *s) {
  gt_error err = {0};
  int64_t d = s->c * s->h * s->w, hd = s->hidden, k = s->k;
  float w1[GT_TOY_MAXH * GT_TOY_MAXD], b1[GT_TOY_MAXH], w2[GT_TOY_MAXH * GT_TOY_MAXK], b2[GT_TOY_MAXK];
  if (hd > GT_TOY_MAXH || d > GT_TOY_MAXD || k > GT_TOY_MAXK) return NULL;
  uint64_t state = s->seed;
  for (int64_t i = 0; i < hd * d; i++) w1[i] = (float)(2 * s->w1_range * gt_test_lcg_uniform(&state) - s->w1_range);
  for (int64_t i = 0; i < hd; i++) b1[i] = (float)(gt_test_lcg_uniform(&state) - 0.5);
  for (int64_t i = 0; i < k * hd; i++) w2[i] = (float)(4 * gt_test_lcg_uniform(&state) - 2);
  for (int64_t i = 0; i < k; i++) b2[i] = (float)(0.5 * gt_test_lcg_uniform(&state) - 0.25);
  gt_graph *g = gt_graph_create();
  int64_t img[4] = {GT_DIM_BATCH, s->c, s->h, s->w}, flat[2] = {GT_DIM_BATCH, d}, hid[2] = {GT_DIM_BATCH, hd},
          out[2] = {GT_DIM_BATCH, k};
  int64_t s_w1[2] = {hd, d}, s_b1[1] = {hd}, s_w2[2] = {k, hd}, s_b2[1] = {k};
  int x = gt_graph_add_value(g, "x", 1, 4, img, NULL, &err);
  int f = gt_graph_add_value(g, "flat", 1, 2, flat, NULL, &err);
  int vw1 = gt_graph_add_value(g, "W1", 0, 2, s_w1, w1, &err);
  int vb1 = gt_graph_add_value(g, "b1", 0, 1, s_b1, b1, &err);
  int h = gt_graph_add_value(g, "h", 1, 2, hid, NULL, &err);
  int r = gt_graph_add_value(g, "r", 1, 2, hid, NULL, &err);
  int vw2 = gt_graph_add_value(g, "W2", 0, 2, s_w2, w2, &err);
  int vb2 = gt_graph_add_value(g, "b2", 0, 1, s_b2, b2, &err);
  int z = gt_graph_add_value(g, "logits", 1, 2, out, NULL, &err);
  int a_x[1] = {x}, a_fc1[3] = {f, vw1, vb1}, a_h[1] = {h}, a_fc2[3] = {r, vw2, vb2};
  gt_graph_add_node(g, GT_OP_RESHAPE, "flatten", 1, a_x, f, &err);
  gt_graph_add_node(g, GT_OP_LINEAR, "fc1", 3, a_fc1, h, &err);
  gt_graph_add_node(g, GT_OP_RELU, "relu", 1, a_h, r, &err);
  gt_graph_add_node(g, GT_OP_LINEAR, "fc2", 3, a_fc2, z, &err);
  g->input = x;
  g->output = z;
  return g;
}

int gt_toy_open(gt_toy *t, const char *backend, gt_graph *g) {
  gt_error err = {0};
  memset(t, 0, sizeof *t);
  if (!GT_CHECK(g != NULL, "no toy graph (larger than the toy limits)")) return 0;
  t->g = g;
  const gt_value *in = &g->values[g->input], *out = &g->values[g->output];
  t->c = in->shape[1];
  t->h = in->shape[2];
  t->w = in->shape[3];
  t->d = t->c * t->h * t->w;
  t->k = (int)out->shape[1];
  int ok = GT_CHECK(in->ndim == 4 && t->d <= GT_TOY_MAXD && t->k <= GT_TOY_MAXK, "toy model beyond the limits") &&
           GT_CHECK(gt_backend_create(backend, &t->be, &err) == GT_OK, "%s", err.message) &&
           GT_CHECK(gt_model_create(g, t->be, GT_TOY_MAXB, &t->m, &err) == GT_OK, "%s", err.message);
  if (!ok) gt_toy_close(t);
  return ok;
}

void gt_toy_close(gt_toy *t) {
  gt_model_free(t->m);
  gt_backend_free(t->be);
  gt_graph_free(t->g);
  t->m = NULL;
  t->be = NULL;
  t->g = NULL;
}

void gt_toy_logits(gt_toy *t, const float *x, int64_t n, float *z) {
  gt_error err = {0};
  void *dev = NULL;
  const gt_backend_iface *io = t->be->iface;
  io->buffer_alloc(t->be, (size_t)(n * t->d) * sizeof(float), &dev, &err);
  io->copy_to_device(t->be, dev, x, (size_t)(n * t->d) * sizeof(float), &err);
  GT_CHECK(gt_model_forward(t->m, dev, n, &err) == GT_OK, "%s", err.message);
  io->copy_to_host(t->be, z, gt_model_logits(t->m), (size_t)(n * t->k) * sizeof(float), &err);
  io->buffer_free(t->be, dev);
}

void gt_toy_predict(gt_toy *t, const float *x, int64_t n, int32_t *pred) {
  float z[GT_TOY_NPTS * GT_TOY_MAXK];
  gt_toy_logits(t, x, n, z);
  for (int64_t i = 0; i < n; i++) pred[i] = gt_logits_argmax(z + i * t->k, t->k);
}

void gt_toy_make_points(gt_toy *t, double lo, double hi, uint64_t seed, int64_t id0, int64_t id_step) {
  uint64_t state = seed;
  for (int64_t i = 0; i < GT_TOY_NPTS * t->d; i++) t->x[i] = (float)(lo + (hi - lo) * gt_test_lcg_uniform(&state));
  int32_t pred[GT_TOY_NPTS];
  gt_toy_predict(t, t->x, GT_TOY_NPTS, pred);
  for (int i = 0; i < GT_TOY_NPTS; i++) {
    t->labels[i] = i % 7 == 6 ? (pred[i] + 1) % t->k : pred[i];
    t->ids[i] = id0 + id_step * i;
  }
}

gt_attack_points gt_toy_points(gt_toy *t) {
  gt_attack_points p = {.n = GT_TOY_NPTS, .x = t->x, .labels = t->labels, .ids = t->ids, .targets = NULL};
  return p;
}

gt_status gt_toy_attack(gt_toy *t, const char *name, const gt_attack_config *cfg, float *x_adv, gt_attack_result *r,
                        gt_error *err) {
  gt_attack_points pts = gt_toy_points(t);
  memset(r, 0, sizeof *r);
  return gt_attack_run(name, cfg, t->m, &pts, x_adv, r, err);
}

int gt_toy_attack_ok(gt_toy *t, const char *name, const gt_attack_config *cfg, float *x_adv, gt_attack_result *r) {
  gt_error err = {0};
  return GT_CHECK(gt_toy_attack(t, name, cfg, x_adv, r, &err) == GT_OK, "%s: %s", name, err.message);
}
