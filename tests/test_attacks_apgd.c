/* APGD (attacks/apgd.c): its schedules (the checkpoint list of the paper and AutoAttack, the L1
 * stages and sparsity rule), the invariants of every run on hand-built models in Linf, L2 and L1
 * (eps, box, confirmed successes, same seed -> same bytes, batch size -> same per-point results on
 * ref), pass counts, the closed-form threshold of a linear binary classifier, strength relations
 * on the committed cnn.onnx fixture (APGD-CE at least as strong as PGD with the same steps and
 * restarts; APGD-T close to APGD-CE), and clear errors for configurations APGD refuses. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../attacks/apgd_schedule.h"
#include "gauntlet/attack.h"
#include "gauntlet/backend.h"
#include "gauntlet/data.h"
#include "gauntlet/hd/logits.h"
#include "gauntlet/hd/project.h"
#include "gauntlet/model.h"
#include "gt_test.h"

#define SIDE 4
#define D (SIDE * SIDE) /* inputs are [N, 1, 4, 4] */
#define HID 12
#define KMLP 6
#define NPTS 37 /* an odd number of points */
#define MAXB 64

static uint64_t g_state = 1;
static double urand(void) {
  g_state = g_state * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(g_state >> 11) * 0x1p-53;
}

/* The small configuration: asked for, or in a sanitizer build (about 10x slower). */
static int quick(void) {
  int sanitized = 0;
#if defined(__SANITIZE_ADDRESS__)
  sanitized = 1;
#endif
  const char *q = getenv("GAUNTLET_TEST_QUICK");
  return sanitized || (q && *q && strcmp(q, "0") != 0);
}

/* ---- schedules ---- */

static void test_checkpoint_schedule(void) {
  int cp[1024];
  static const int paper[8] = {22, 41, 57, 70, 80, 87, 93, 99};
  int n = gt_apgd_checkpoints(100, cp, 1024);
  GT_CHECK(n == 8, "100 iterations: %d checkpoints, expected 8", n);
  for (int j = 0; j < 8 && j < n; j++)
    GT_CHECK(cp[j] == paper[j], "checkpoint %d: %d, expected %d", j, cp[j], paper[j]);
  /* The paper's fractions p_j: the same integers scaled for 200 and 1000 iterations. */
  const int scale[2] = {2, 10};
  for (int s = 0; s < 2; s++) {
    n = gt_apgd_checkpoints(100 * scale[s], cp, 1024);
    GT_CHECK(n == 8, "%d iterations: %d checkpoints", 100 * scale[s], n);
    for (int j = 0; j < 8 && j < n; j++)
      GT_CHECK(cp[j] == paper[j] * scale[s], "%d iterations, checkpoint %d: %d", 100 * scale[s], j, cp[j]);
  }
  /* Every count: increasing, inside 1..N, the first after max(int(0.22 N), 1) iterations, the
   * intervals shrinking by max(int(0.03 N), 1) down to max(int(0.06 N), 1), and the next interval
   * would pass N. The cap only limits what is written. */
  for (int iters = 1; iters <= 600; iters++) {
    n = gt_apgd_checkpoints(iters, cp, 1024);
    int first = (int)(0.22 * iters) > 1 ? (int)(0.22 * iters) : 1;
    int decr = (int)(0.03 * iters) > 1 ? (int)(0.03 * iters) : 1;
    int minimum = (int)(0.06 * iters) > 1 ? (int)(0.06 * iters) : 1;
    int ok = n >= 1 && cp[0] == first && cp[n - 1] <= iters;
    int interval = first;
    for (int j = 1; ok && j < n; j++) {
      int expect = interval - decr > minimum ? interval - decr : minimum;
      ok = cp[j] - cp[j - 1] == expect;
      interval = expect;
    }
    int next = interval - decr > minimum ? interval - decr : minimum;
    ok = ok && cp[n - 1] + next > iters;
    if (!GT_CHECK(ok, "%d iterations: a bad schedule (%d checkpoints, first %d, last %d)", iters, n, cp[0], cp[n - 1]))
      break;
  }
  GT_CHECK(gt_apgd_checkpoints(0, cp, 1024) == 0, "0 iterations have checkpoints");
  GT_CHECK(gt_apgd_checkpoints(100, cp, 3) == 8 && cp[2] == 57, "a short output array");
  GT_CHECK(gt_apgd_checkpoints(10, NULL, 0) == 9, "10 iterations: checkpoints at 2, 3, ..., 10");
}

static void test_step_decisions(void) {
  /* Linf, L2: halve when the loss rose in at most 75% of the interval's steps... */
  GT_CHECK(gt_apgd_halve(15, 20, 1, 0.0f, 1.0f) == 1, "15 rises of 20 steps (= 0.75) must halve");
  GT_CHECK(gt_apgd_halve(16, 20, 1, 0.0f, 1.0f) == 0, "16 rises of 20 steps must not halve");
  GT_CHECK(gt_apgd_halve(16, 22, 1, 0.0f, 1.0f) == 1, "16 rises of 22 steps (< 16.5) must halve");
  /* ... or when the step was kept last time and the best loss did not improve. */
  GT_CHECK(gt_apgd_halve(20, 20, 0, 1.0f, 1.0f) == 1, "no improvement after a kept step must halve");
  GT_CHECK(gt_apgd_halve(20, 20, 1, 1.0f, 1.0f) == 0, "no improvement right after a halving must not halve");
  GT_CHECK(gt_apgd_halve(20, 20, 0, 1.0f, 1.5f) == 0, "an improvement must not halve");
  /* L1 stages: 30% / 30% / the rest; adaptation every max(int(0.04 n), 1) iterations. */
  int it[3];
  gt_apgd_l1_stages(100, it);
  GT_CHECK(it[0] == 30 && it[1] == 30 && it[2] == 40, "L1 stages of 100: %d %d %d", it[0], it[1], it[2]);
  gt_apgd_l1_stages(3, it);
  GT_CHECK(it[0] == 1 && it[1] == 1 && it[2] == 1, "L1 stages of 3: %d %d %d", it[0], it[1], it[2]);
  gt_apgd_l1_stages(11, it);
  GT_CHECK(it[0] == 4 && it[1] == 4 && it[2] == 3, "L1 stages of 11: %d %d %d", it[0], it[1], it[2]);
  GT_CHECK(gt_apgd_l1_interval(30) == 1 && gt_apgd_l1_interval(100) == 4 && gt_apgd_l1_interval(1000) == 40,
           "L1 adaptation intervals");
  /* k: the top l0 / 1.5 share of the coordinates, at least 1, at most d. */
  GT_CHECK(gt_apgd_l1_k(0.0, 784) == 1, "k of an unmoved point: %d", (int)gt_apgd_l1_k(0.0, 784));
  GT_CHECK(gt_apgd_l1_k(784.0, 784) == 784 - 261, "k of a dense point: %d", (int)gt_apgd_l1_k(784.0, 784));
  GT_CHECK(gt_apgd_l1_k(150.0, 1000) == 100, "k of 150 moved coordinates: %d", (int)gt_apgd_l1_k(150.0, 1000));
  GT_CHECK(gt_apgd_l1_k(1e9, 10) == 10, "k is capped at d");
  /* L1 adaptation: a sparser best point resets the step and restarts; else the step shrinks. */
  float old = 100.0f, alpha = 0.5f;
  int32_t k = 0;
  GT_CHECK(gt_apgd_l1_checkpoint(90.0f, &old, &alpha, 2.0f, 1000, &k) == 1 && alpha == 2.0f && old == 90.0f && k == 60,
           "a 10%% sparser point: restart %g %g %d", (double)alpha, (double)old, (int)k);
  GT_CHECK(gt_apgd_l1_checkpoint(88.0f, &old, &alpha, 2.0f, 1000, &k) == 0 && fabsf(alpha - 2.0f / 1.5f) < 1e-6f,
           "a 2%% sparser point keeps going with a smaller step: %g", (double)alpha);
  for (int i = 0; i < 20; i++) gt_apgd_l1_checkpoint(88.0f, &old, &alpha, 2.0f, 1000, &k);
  GT_CHECK(fabsf(alpha - 0.2f) < 1e-7f, "the step stops at alpha0 / 10: %g", (double)alpha);
  old = 0.0f;
  GT_CHECK(gt_apgd_l1_checkpoint(0.0f, &old, &alpha, 2.0f, 1000, &k) == 0 && k == 1, "an unmoved point");
}

/* ---- hand-built models ---- */

static gt_graph *linear_graph(int k, const float *w, const float *b) {
  gt_error err = {0};
  gt_graph *g = gt_graph_create();
  int64_t img[4] = {GT_DIM_BATCH, 1, SIDE, SIDE}, flat[2] = {GT_DIM_BATCH, D}, logits[2] = {GT_DIM_BATCH, k};
  int64_t w_shape[2] = {k, D}, b_shape[1] = {k};
  int x = gt_graph_add_value(g, "x", 1, 4, img, NULL, &err);
  int wv = gt_graph_add_value(g, "W", 0, 2, w_shape, w, &err);
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

/* x [N,1,4,4] -> flatten [N,16] -> fc1 [N,12] -> relu -> fc2 [N,k]. */
static gt_graph *mlp_graph(int k) {
  gt_error err = {0};
  float w1[HID * D], b1[HID], w2[KMLP * HID], b2[KMLP];
  g_state = 4242;
  for (int i = 0; i < HID * D; i++) w1[i] = (float)(2 * urand() - 1);
  for (int i = 0; i < HID; i++) b1[i] = (float)(urand() - 0.5);
  for (int i = 0; i < k * HID; i++) w2[i] = (float)(4 * urand() - 2);
  for (int i = 0; i < k; i++) b2[i] = (float)(0.5 * urand() - 0.25);
  gt_graph *g = gt_graph_create();
  int64_t img[4] = {GT_DIM_BATCH, 1, SIDE, SIDE}, flat[2] = {GT_DIM_BATCH, D}, hid[2] = {GT_DIM_BATCH, HID},
          out[2] = {GT_DIM_BATCH, k};
  int64_t s_w1[2] = {HID, D}, s_b1[1] = {HID}, s_w2[2] = {k, HID}, s_b2[1] = {k};
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

typedef struct fixture {
  gt_graph *g;
  gt_backend *be;
  gt_model *m;
  int k;
  float x[NPTS * D];
  int32_t labels[NPTS];
  int64_t ids[NPTS];
} fixture;

static void predict(fixture *f, const float *x, int64_t n, int32_t *pred) {
  gt_error err = {0};
  void *dev = NULL;
  float logits[NPTS * KMLP];
  const gt_backend_iface *io = f->be->iface;
  io->buffer_alloc(f->be, (size_t)(n * D) * sizeof(float), &dev, &err);
  io->copy_to_device(f->be, dev, x, (size_t)(n * D) * sizeof(float), &err);
  GT_CHECK(gt_model_forward(f->m, dev, n, &err) == GT_OK, "%s", err.message);
  io->copy_to_host(f->be, logits, gt_model_logits(f->m), (size_t)(n * f->k) * sizeof(float), &err);
  for (int64_t i = 0; i < n; i++) pred[i] = gt_logits_argmax(logits + i * f->k, f->k);
  io->buffer_free(f->be, dev);
}

static int fixture_open(fixture *f, const char *backend, gt_graph *g, int k) {
  gt_error err = {0};
  memset(f, 0, sizeof *f);
  f->g = g;
  f->k = k;
  if (!GT_CHECK(gt_backend_create(backend, &f->be, &err) == GT_OK, "%s", err.message)) return 0;
  if (!GT_CHECK(gt_model_create(g, f->be, MAXB, &f->m, &err) == GT_OK, "%s", err.message)) return 0;
  return 1;
}

static void fixture_close(fixture *f) {
  gt_model_free(f->m);
  gt_backend_free(f->be);
  gt_graph_free(f->g);
}

/* Points in [lo, hi]^D labelled with the model's prediction, except every 7th (a clean error the
 * run must not attack); ids are sparse original indices. */
static void make_points(fixture *f, double lo, double hi, uint64_t seed) {
  g_state = seed;
  for (int i = 0; i < NPTS * D; i++) f->x[i] = (float)(lo + (hi - lo) * urand());
  int32_t pred[NPTS];
  predict(f, f->x, NPTS, pred);
  for (int i = 0; i < NPTS; i++) {
    f->labels[i] = i % 7 == 6 ? (pred[i] + 1) % f->k : pred[i];
    f->ids[i] = 500 + 7 * i;
  }
}

static gt_attack_points points_of(fixture *f) {
  gt_attack_points p = {.n = NPTS, .x = f->x, .labels = f->labels, .ids = f->ids, .targets = NULL};
  return p;
}

static void check_invariants(fixture *f, const char *what, const gt_attack_result *r, const float *x_adv) {
  const gt_attack_config *c = &r->config;
  GT_CHECK(r->n == NPTS, "%s: %lld results", what, (long long)r->n);
  if (r->n != NPTS) return;
  GT_CHECK(r->n_robust <= r->n_clean_correct, "%s: robust %lld > clean %lld", what, (long long)r->n_robust,
           (long long)r->n_clean_correct);
  GT_CHECK(r->n_unconfirmed == 0 && r->n_nonfinite == 0 && r->n_over_eps == 0,
           "%s: unconfirmed %lld, non-finite %lld, over eps %lld", what, (long long)r->n_unconfirmed,
           (long long)r->n_nonfinite, (long long)r->n_over_eps);
  int32_t pred[NPTS];
  predict(f, x_adv, NPTS, pred);
  int64_t robust = 0;
  for (int i = 0; i < NPTS; i++) {
    const float *xa = x_adv + i * D, *x = f->x + i * D;
    double dist = gt_lp_norm_row(c->norm, xa, x, D);
    GT_CHECK(dist <= (double)c->eps + 1e-6, "%s: point %d at distance %.9g > eps %g", what, i, dist, (double)c->eps);
    for (int j = 0; j < D; j++) GT_CHECK(xa[j] >= 0.0f && xa[j] <= 1.0f, "%s: point %d leaves [0,1]", what, i);
    if (r->success[i]) {
      GT_CHECK(r->clean_correct[i], "%s: point %d broken but clean-misclassified", what, i);
      GT_CHECK(pred[i] != f->labels[i], "%s: point %d counted broken but re-evaluates to its label", what, i);
    } else {
      GT_CHECK(memcmp(xa, x, D * sizeof(float)) == 0, "%s: unbroken point %d is not returned clean", what, i);
    }
    if (!r->clean_correct[i]) GT_CHECK(r->forward[i] == 0, "%s: clean-misclassified point %d was attacked", what, i);
    robust += r->clean_correct[i] && !r->success[i];
  }
  GT_CHECK(robust == r->n_robust, "%s: robust count %lld vs %lld", what, (long long)robust, (long long)r->n_robust);
}

static int same_results(const gt_attack_result *a, const gt_attack_result *b, const float *xa, const float *xb) {
  size_t n = (size_t)a->n;
  return a->n == b->n && !memcmp(a->success, b->success, n * 4) && !memcmp(a->adv_pred, b->adv_pred, n * 4) &&
         !memcmp(a->norm, b->norm, n * 4) && !memcmp(a->forward, b->forward, n * 8) &&
         !memcmp(a->backward, b->backward, n * 8) && !memcmp(a->target, b->target, n * 4) &&
         !memcmp(xa, xb, n * D * sizeof(float));
}

static gt_status run_attack(fixture *f, const char *name, const gt_attack_config *cfg, float *x_adv,
                            gt_attack_result *r, gt_error *err) {
  gt_attack_points pts = points_of(f);
  memset(r, 0, sizeof *r);
  return gt_attack_run(name, cfg, f->m, &pts, x_adv, r, err);
}

typedef struct apgd_case {
  const char *name;
  gt_norm norm;
  float eps;
  int restarts;
  int ranks; /* apgd-t: 0 = its default (top, 9 ranks), else top with that many */
} apgd_case;

static const apgd_case g_cases[] = {
    {"apgd-ce", GT_NORM_LINF, 0.06f, 1, 0}, {"apgd-ce", GT_NORM_L2, 0.15f, 2, 0}, {"apgd-ce", GT_NORM_L1, 0.4f, 1, 0},
    {"apgd-dlr", GT_NORM_LINF, 0.06f, 2, 0}, {"apgd-dlr", GT_NORM_L2, 0.15f, 1, 0},
    {"apgd-dlr", GT_NORM_L1, 0.4f, 2, 0}, {"apgd-t", GT_NORM_LINF, 0.06f, 1, 0}, {"apgd-t", GT_NORM_L2, 0.15f, 1, 2},
    {"apgd-t", GT_NORM_L1, 0.4f, 1, 3},
};
#define N_CASES ((int)(sizeof g_cases / sizeof g_cases[0]))

static void invariants_on(const char *backend) {
  fixture f;
  if (!fixture_open(&f, backend, mlp_graph(KMLP), KMLP)) return;
  make_points(&f, 0.0, 1.0, 7);
  for (int c = 0; c < N_CASES; c++) {
    const apgd_case *ac = &g_cases[c];
    char what[128];
    snprintf(what, sizeof what, "%s %s %s restarts %d", backend, ac->name, gt_norm_name(ac->norm), ac->restarts);
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = ac->norm;
    cfg.eps = ac->eps;
    cfg.seed = 3;
    cfg.batch = 8;
    cfg.steps = quick() ? 20 : 100;
    cfg.restarts = ac->restarts;
    if (ac->ranks > 0) {
      cfg.targeted = GT_TARGET_TOP;
      cfg.n_target_ranks = ac->ranks;
    }
    float xa[NPTS * D], xb[NPTS * D], xc[NPTS * D];
    gt_attack_result a, b, cbig;
    gt_error err = {0};
    if (!GT_CHECK(run_attack(&f, ac->name, &cfg, xa, &a, &err) == GT_OK, "%s: %s", what, err.message)) continue;
    check_invariants(&f, what, &a, xa);
    GT_CHECK(a.n_robust < a.n_clean_correct, "%s: the attack broke nothing (%lld robust of %lld)", what,
             (long long)a.n_robust, (long long)a.n_clean_correct);
    GT_CHECK(a.n_robust > 0, "%s: eps too large for a meaningful test: nothing survived", what);
    if (!strcmp(ac->name, "apgd-t")) {
      int ranks = ac->ranks > 0 ? ac->ranks : 9; /* the run loop caps the default at classes - 1 */
      if (ranks > gt_model_num_classes(f.m) - 1) ranks = gt_model_num_classes(f.m) - 1;
      GT_CHECK(a.config.targeted == GT_TARGET_TOP && a.config.n_target_ranks == ranks &&
                   a.config.loss == GT_LOSS_DLR_TARGETED,
               "%s: runs %s with %d ranks and the %s loss", what, gt_target_mode_name(a.config.targeted),
               a.config.n_target_ranks, gt_loss_name(a.config.loss));
      for (int i = 0; i < NPTS; i++)
        if (a.success[i]) GT_CHECK(a.target[i] >= 0 && a.target[i] != f.labels[i], "%s: point %d target", what, i);
    } else {
      GT_CHECK(a.config.loss == (!strcmp(ac->name, "apgd-ce") ? GT_LOSS_CE : GT_LOSS_DLR), "%s: loss %s", what,
               gt_loss_name(a.config.loss));
    }
    GT_CHECK(a.config.steps == cfg.steps && a.config.random_start == 1, "%s: config as run", what);
    /* Same seed, same bytes. */
    if (GT_CHECK(run_attack(&f, ac->name, &cfg, xb, &b, &err) == GT_OK, "%s: %s", what, err.message))
      GT_CHECK(same_results(&a, &b, xa, xb), "%s: a second run with the same seed differs", what);
    /* Another batch size changes nothing per point on ref. */
    cfg.batch = NPTS;
    if (GT_CHECK(run_attack(&f, ac->name, &cfg, xc, &cbig, &err) == GT_OK, "%s: %s", what, err.message)) {
      check_invariants(&f, what, &cbig, xc);
      if (!strcmp(backend, "ref"))
        GT_CHECK(same_results(&a, &cbig, xa, xc), "%s: batch 8 and batch 37 give different per-point results", what);
    }
    gt_attack_result_free(&a);
    gt_attack_result_free(&b);
    gt_attack_result_free(&cbig);
  }
  fixture_close(&f);
}

static void test_invariants_ref(void) { invariants_on("ref"); }
static void test_invariants_cpu(void) { invariants_on("cpu"); }

/* Per point and run: N + 1 forward and N backward passes (L1: N + 3 and N), times ranks x restarts
 * for a point that survives everything; fewer for broken points. A different seed changes the
 * random start. */
static void test_pass_counts(void) {
  fixture f;
  if (!fixture_open(&f, "ref", mlp_graph(KMLP), KMLP)) return;
  make_points(&f, 0.0, 1.0, 19);
  for (int norm = 0; norm < GT_NORM_COUNT; norm++) {
    const float eps[GT_NORM_COUNT] = {0.02f, 0.04f, 0.1f};
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = (gt_norm)norm;
    cfg.eps = eps[norm];
    cfg.steps = 12;
    cfg.restarts = 2;
    cfg.targeted = GT_TARGET_TOP;
    cfg.n_target_ranks = 3;
    float xa[NPTS * D], xb[NPTS * D];
    gt_attack_result r, r2;
    gt_error err = {0};
    if (!GT_CHECK(run_attack(&f, "apgd-t", &cfg, xa, &r, &err) == GT_OK, "%s", err.message)) continue;
    int64_t runs = 3 * 2, fwd = norm == GT_NORM_L1 ? 12 + 3 : 12 + 1;
    int survivors = 0;
    for (int i = 0; i < NPTS; i++) {
      if (r.clean_correct[i] && !r.success[i]) {
        survivors++;
        GT_CHECK(r.forward[i] == runs * fwd && r.backward[i] == runs * 12, "%s point %d: %lld forward, %lld backward",
                 gt_norm_name((gt_norm)norm), i, (long long)r.forward[i], (long long)r.backward[i]);
      }
      if (r.success[i]) GT_CHECK(r.forward[i] <= runs * fwd && r.backward[i] <= r.forward[i], "broken point %d", i);
    }
    GT_CHECK(survivors > 0, "%s: no survivor to count passes on", gt_norm_name((gt_norm)norm));
    cfg.seed = 99;
    if (GT_CHECK(run_attack(&f, "apgd-t", &cfg, xb, &r2, &err) == GT_OK, "%s", err.message))
      GT_CHECK(!same_results(&r, &r2, xa, xb) || r.n_robust == r.n_clean_correct,
               "%s: seeds 0 and 99 gave identical runs", gt_norm_name((gt_norm)norm));
    gt_attack_result_free(&r);
    gt_attack_result_free(&r2);
  }
  fixture_close(&f);
}

/* Linear binary classifier: logit_0 = 0, logit_1 = w.x + b with f vanishing at x = 0.5. The
 * minimal distance to the boundary is |f(x)| / ||w||_q (q the dual norm), and the box never binds
 * for points in [0.4, 0.6]^D at these radii. APGD-CE must break every point closer than 0.9 eps and
 * none beyond eps.
 * Linf and L2 use a dense random w. L1 uses w = +-1.5 on four coordinates and 0 elsewhere: APGD-L1
 * spreads each step over the k largest gradient coordinates with k >= 2 once its best point moves
 * two of them (k = L0 / 1.5 rounded up, as AutoAttack counts it), so it reaches the L1 optimum (a
 * vertex of the ball) only when the largest |w_i| are tied; with a unique largest |w_i| it stops
 * at a point spread over two coordinates, short of the closed-form distance. */
static void closed_form_on(gt_norm norm, const float *w_row, const float eps_list[3]) {
  float w[2 * D], b[2] = {0.0f, 0.0f};
  double sum = 0.0, dual = 0.0;
  for (int j = 0; j < D; j++) {
    w[j] = 0.0f;
    w[D + j] = w_row[j];
    sum += 0.5 * (double)w_row[j];
    double a = fabs((double)w_row[j]);
    if (norm == GT_NORM_LINF) dual += a;
    if (norm == GT_NORM_L2) dual += a * a;
    if (norm == GT_NORM_L1 && a > dual) dual = a;
  }
  if (norm == GT_NORM_L2) dual = sqrt(dual);
  b[1] = (float)-sum;
  fixture f;
  if (!fixture_open(&f, "ref", linear_graph(2, w, b), 2)) return;
  make_points(&f, 0.4, 0.6, 11);
  for (int e = 0; e < 3; e++) {
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = norm;
    cfg.eps = eps_list[e];
    cfg.steps = quick() ? 30 : 100;
    float xa[NPTS * D];
    gt_attack_result r;
    gt_error err = {0};
    if (!GT_CHECK(run_attack(&f, "apgd-ce", &cfg, xa, &r, &err) == GT_OK, "%s", err.message)) continue;
    int inside = 0, outside = 0;
    for (int i = 0; i < NPTS; i++) {
      if (!r.clean_correct[i]) continue;
      double fx = (double)b[1];
      for (int j = 0; j < D; j++) fx += (double)w[D + j] * f.x[i * D + j];
      double dist = fabs(fx) / dual;
      if (dist < 0.9 * cfg.eps) {
        inside++;
        GT_CHECK(r.success[i], "%s eps %g: point %d at distance %g survived", gt_norm_name(norm), (double)cfg.eps, i,
                 dist);
      } else if (dist > 1.0001 * cfg.eps) {
        outside++;
        GT_CHECK(!r.success[i], "%s eps %g: point %d at distance %g was broken", gt_norm_name(norm), (double)cfg.eps,
                 i, dist);
      }
    }
    GT_CHECK(inside > 0 && outside > 0, "%s eps %g: %d points inside, %d outside: both are needed",
             gt_norm_name(norm), (double)cfg.eps, inside, outside);
    check_invariants(&f, "apgd-ce linear", &r, xa);
    gt_attack_result_free(&r);
  }
  fixture_close(&f);
}

static void test_closed_form_threshold(void) {
  float dense[D], tied[D];
  g_state = 5;
  for (int j = 0; j < D; j++) {
    dense[j] = (float)(2 * urand() - 1);
    tied[j] = 0.0f;
  }
  dense[3] = 2.0f;
  tied[1] = 1.5f, tied[6] = -1.5f, tied[10] = 1.5f, tied[13] = -1.5f;
  const float linf[3] = {0.01f, 0.02f, 0.03f}, l2[3] = {0.03f, 0.06f, 0.1f}, l1[3] = {0.05f, 0.1f, 0.15f};
  closed_form_on(GT_NORM_LINF, dense, linf);
  closed_form_on(GT_NORM_L2, dense, l2);
  closed_form_on(GT_NORM_L1, tied, l1);
}

static void test_bad_configs(void) {
  float w[2 * D], b[2] = {0.0f, 0.0f};
  for (int j = 0; j < 2 * D; j++) w[j] = j < D ? 0.0f : 1.0f;
  fixture lin, three;
  if (!fixture_open(&lin, "ref", linear_graph(2, w, b), 2)) return;
  make_points(&lin, 0.4, 0.6, 3);
  gt_error err = {0};
  gt_attack_result r;
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.eps = 0.1f;
  GT_CHECK(run_attack(&lin, "apgd-dlr", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "3 classes"),
           "DLR on 2 classes: %s", err.message);
  GT_CHECK(run_attack(&lin, "apgd-t", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "4 classes"),
           "targeted DLR on 2 classes: %s", err.message);
  cfg.loss = GT_LOSS_CW;
  GT_CHECK(run_attack(&lin, "apgd-ce", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "apgd-ce"),
           "apgd-ce with the C&W loss: %s", err.message);
  cfg.loss = GT_LOSS_CE;
  cfg.norm = GT_NORM_L1;
  cfg.steps = 2;
  GT_CHECK(run_attack(&lin, "apgd-ce", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "3 steps"),
           "L1 with 2 steps: %s", err.message);
  cfg.steps = 0;
  cfg.l1_sparsity = 0.1f;
  GT_CHECK(run_attack(&lin, "apgd-ce", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "sparsity"),
           "L1 sparsity: %s", err.message);
  cfg.l1_sparsity = 0.0f;
  cfg.norm = GT_NORM_LINF;
  cfg.random_start = 0;
  cfg.restarts = 3;
  GT_CHECK(run_attack(&lin, "apgd-ce", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "restart"),
           "restarts without a random start: %s", err.message);
  /* eps 0: nothing breaks, nothing moves (every norm, with and without a random start). */
  cfg.restarts = 1;
  cfg.eps = 0.0f;
  for (int norm = 0; norm < GT_NORM_COUNT; norm++)
    for (int rs = 0; rs < 2; rs++) {
      float xa[NPTS * D];
      cfg.norm = (gt_norm)norm;
      cfg.random_start = rs;
      cfg.steps = 5;
      if (GT_CHECK(run_attack(&lin, "apgd-ce", &cfg, xa, &r, &err) == GT_OK, "%s", err.message))
        GT_CHECK(r.n_robust == r.n_clean_correct && memcmp(xa, lin.x, sizeof xa) == 0, "%s eps 0 changed something",
                 gt_norm_name((gt_norm)norm));
      gt_attack_result_free(&r);
    }
  fixture_close(&lin);
  /* Three classes: DLR works, targeted DLR does not. */
  if (!fixture_open(&three, "ref", mlp_graph(3), 3)) return;
  make_points(&three, 0.0, 1.0, 5);
  gt_attack_config_init(&cfg);
  cfg.eps = 0.1f;
  cfg.steps = 5;
  GT_CHECK(run_attack(&three, "apgd-dlr", &cfg, NULL, &r, &err) == GT_OK, "DLR on 3 classes: %s", err.message);
  gt_attack_result_free(&r);
  GT_CHECK(run_attack(&three, "apgd-t", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "4 classes"),
           "targeted DLR on 3 classes: %s", err.message);
  fixture_close(&three);
}

/* ---- strength on the committed cnn fixture ---- */

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_strength_cnn(void) {
  gt_error err = {0};
  gt_dataset *ds = NULL;
  if (gt_dataset_load("fmnist:test", &ds, &err) != GT_OK) {
    gt_test_skip("Fashion-MNIST not available: %s", err.message);
    return;
  }
  int64_t n = quick() ? 60 : 100;
  int steps = quick() ? 20 : 100;
  gt_graph *g = NULL;
  gt_backend *be = NULL;
  gt_model *m = NULL;
  int ok = GT_CHECK(gt_dataset_take_first(ds, n, &err) == GT_OK, "%s", err.message) &&
           GT_CHECK(gt_graph_load_classifier(GT_FIXTURES_DIR "/models/cnn.onnx", 0, NULL, NULL, &g, &err) == GT_OK,
                    "%s", err.message) &&
           GT_CHECK(gt_backend_create("cpu", &be, &err) == GT_OK, "%s", err.message) &&
           GT_CHECK(gt_model_create(g, be, 128, &m, &err) == GT_OK, "%s", err.message);
  const char *names[4] = {"pgd", "apgd-ce", "apgd-dlr", "apgd-t"};
  gt_attack_result res[4];
  memset(res, 0, sizeof res);
  int ran = 0;
  for (int a = 0; ok && a < 4; a++) {
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = GT_NORM_LINF;
    cfg.eps = 0.1f;
    cfg.steps = steps;
    cfg.restarts = 1;
    if (a == 3) {
      cfg.targeted = GT_TARGET_TOP;
      cfg.n_target_ranks = 3;
    }
    double t0 = seconds_now();
    ok = GT_CHECK(gt_attack_run_dataset(names[a], &cfg, m, ds, NULL, &res[a], &err) == GT_OK, "%s: %s", names[a],
                  err.message);
    if (!ok) break;
    ran++;
    printf("    cnn Linf 0.1, %lld points, %d steps: %-8s robust %lld of %lld clean (%.1f s, %lld fwd, %lld bwd)\n",
           (long long)n, steps, names[a], (long long)res[a].n_robust, (long long)res[a].n_clean_correct,
           seconds_now() - t0, (long long)res[a].total.forward, (long long)res[a].total.backward);
    GT_CHECK(res[a].n_unconfirmed == 0 && res[a].n_over_eps == 0 && res[a].n_nonfinite == 0, "%s: bad points",
             names[a]);
  }
  if (ran == 4) {
    /* APGD-CE at least as strong as PGD overall; points only PGD breaks are reported. */
    int only_pgd = 0;
    for (int64_t i = 0; i < n; i++)
      if (res[0].success[i] && !res[1].success[i]) {
        only_pgd++;
        printf("    point %lld: broken by pgd, not by apgd-ce\n", (long long)i);
      }
    GT_CHECK(res[1].n_robust <= res[0].n_robust, "apgd-ce robust %lld > pgd robust %lld", (long long)res[1].n_robust,
             (long long)res[0].n_robust);
    GT_CHECK(only_pgd <= 3, "%d points broken by pgd only", only_pgd);
    /* APGD-T (3 ranks) not weaker than APGD-CE by more than 2 points. */
    GT_CHECK(res[3].n_robust <= res[1].n_robust + 2, "apgd-t robust %lld vs apgd-ce %lld", (long long)res[3].n_robust,
             (long long)res[1].n_robust);
    GT_CHECK(res[1].n_robust < res[1].n_clean_correct, "apgd-ce broke nothing");
  }
  for (int a = 0; a < 4; a++) gt_attack_result_free(&res[a]);
  gt_model_free(m);
  gt_backend_free(be);
  gt_graph_free(g);
  gt_dataset_free(ds);
}

static void test_registry(void) {
  const char *names[3] = {"apgd-ce", "apgd-dlr", "apgd-t"};
  for (int i = 0; i < 3; i++) {
    const gt_attack *a = gt_attack_find(names[i]);
    GT_CHECK(a && a->norms == 7u && a->goal == GT_GOAL_BOUNDED && a->access == GT_ACCESS_GRADIENT && a->targeted,
             "%s is not registered as a bounded white-box attack on every norm", names[i]);
  }
}

int main(void) {
  gt_test_run("apgd attacks are registered", test_registry);
  gt_test_run("checkpoint schedule", test_checkpoint_schedule);
  gt_test_run("step-size and sparsity decisions", test_step_decisions);
  gt_test_run("invariants on ref", test_invariants_ref);
  gt_test_run("invariants on cpu", test_invariants_cpu);
  gt_test_run("pass counts and seeds", test_pass_counts);
  gt_test_run("closed-form threshold of a linear classifier", test_closed_form_threshold);
  gt_test_run("bad configurations", test_bad_configs);
  gt_test_run("strength on the cnn fixture", test_strength_cnn);
  return gt_test_finish();
}
