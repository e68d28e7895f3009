/* Test helper: hand-built classifiers whose behaviour a test can work out (a linear layer, a
 * one-hidden-layer ReLU network) and a set of GT_TOY_NPTS points to attack on one backend.
 *
 *   gt_toy t;
 *   if (!gt_toy_open(&t, "ref", gt_toy_mlp_graph(&(gt_toy_mlp_spec){.c = 1, .h = 2, .w = 2, .hidden = 8,
 *                                                 .k = 5, .seed = 99, .w1_range = 2}))) return;
 *   gt_toy_make_points(&t, 0.0, 1.0, 7, 1000, 3);
 *   gt_toy_attack_ok(&t, "pgd", &cfg, x_adv, &res);   then gt_toy_check_run (attack_invariants.h)
 *   gt_toy_close(&t);
 *
 * Weights and points come from gt_test_lcg_uniform (test_rng.h), so a seed gives the same bytes. */
#ifndef GAUNTLET_TEST_TOY_MODELS_H
#define GAUNTLET_TEST_TOY_MODELS_H

#include <stdint.h>

#include "gauntlet/attack.h"
#include "gauntlet/backend.h"
#include "gauntlet/graph.h"
#include "gauntlet/model.h"

#define GT_TOY_NPTS 37 /* points of a toy set: an odd number, so batches of 8 leave a remainder */
#define GT_TOY_MAXD 48 /* largest input c * h * w */
#define GT_TOY_MAXK 8  /* most classes */
#define GT_TOY_MAXH 16 /* widest hidden layer */
#define GT_TOY_MAXB 64 /* the models' largest batch */

/* logits = W flatten(x) + b on inputs [N, c, h, w]: W [k, c*h*w] and b [k] (copied). */
gt_graph *gt_toy_linear_graph(int64_t c, int64_t h, int64_t w, int k, const float *W, const float *b);

/* x [N,c,h,w] -> flatten -> fc1 [N,hidden] -> relu -> fc2 [N,k], with weights drawn from seed:
 * W1 uniform in [-w1_range, w1_range], b1 in [-0.5, 0.5], W2 in [-2, 2], b2 in [-0.25, 0.25].
 * NULL beyond the limits above (gt_toy_open then fails its check). */
typedef struct gt_toy_mlp_spec {
  int64_t c, h, w;
  int hidden, k;
  uint64_t seed;
  double w1_range;
} gt_toy_mlp_spec;
gt_graph *gt_toy_mlp_graph(const gt_toy_mlp_spec *spec);

/* A toy model on a backend with its points x [GT_TOY_NPTS, d] (rows of d), labels and ids. */
typedef struct gt_toy {
  gt_graph *g;
  gt_backend *be;
  gt_model *m;
  int k;
  int64_t c, h, w, d;
  float x[GT_TOY_NPTS * GT_TOY_MAXD];
  int32_t labels[GT_TOY_NPTS];
  int64_t ids[GT_TOY_NPTS];
} gt_toy;

/* Takes g (freed by gt_toy_close, or here on failure); shape and classes are read from it.
 * Returns 1 when ready, 0 after a failed check (nothing left to close). */
int gt_toy_open(gt_toy *t, const char *backend, gt_graph *g);
void gt_toy_close(gt_toy *t);

/* The model's logits z [n, k] / predictions on host points x [n, d], n <= GT_TOY_NPTS (the
 * test's own evaluation, apart from the attack's). */
void gt_toy_logits(gt_toy *t, const float *x, int64_t n, float *z);
void gt_toy_predict(gt_toy *t, const float *x, int64_t n, int32_t *pred);

/* Points uniform in [lo, hi]^d from seed, labelled with the model's prediction except every 7th
 * point, whose label is wrong (a clean error the run must not attack); ids are sparse original
 * indices id0 + id_step * i (they key the attacks' random draws). */
void gt_toy_make_points(gt_toy *t, double lo, double hi, uint64_t seed, int64_t id0, int64_t id_step);

/* The points as attack input, without targets. */
gt_attack_points gt_toy_points(gt_toy *t);

/* gt_attack_run on the points; the _ok form records a failed check "<name>: <error>" and
 * returns 1 when the run succeeded. */
gt_status gt_toy_attack(gt_toy *t, const char *name, const gt_attack_config *cfg, float *x_adv, gt_attack_result *r,
                        gt_error *err);
int gt_toy_attack_ok(gt_toy *t, const char *name, const gt_attack_config *cfg, float *x_adv, gt_attack_result *r);

#endif
