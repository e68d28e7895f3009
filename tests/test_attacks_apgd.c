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

#include "../attacks/apgd_schedule.h"
#include "gauntlet/attack.h"
#include "gauntlet/backend.h"
#include "gauntlet/model.h"
#include "gt_test.h"
#include "support/attack_bench.h"
#include "support/attack_invariants.h"
#include "support/test_rng.h"
#include "support/toy_models.h"

#define SIDE 4
#define D (SIDE * SIDE) /* inputs are [N, 1, 4, 4] */
#define HID 12
#define KMLP 6
#define NPTS GT_TOY_NPTS

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

static gt_graph *linear_graph(const float *w, const float *b) { return gt_toy_linear_graph(1, SIDE, SIDE, 2, w, b); }

/* x [N,1,4,4] -> flatten [N,16] -> fc1 [N,12] -> relu -> fc2 [N,k]. */
static gt_graph *mlp_graph(int k) {
  return gt_toy_mlp_graph(
      &(gt_toy_mlp_spec){.c = 1, .h = SIDE, .w = SIDE, .hidden = HID, .k = k, .seed = 4242, .w1_range = 1});
}

/* Points in [lo, hi]^D with every 7th label wrong; ids 500, 507, ... */
static void make_points(gt_toy *f, double lo, double hi, uint64_t seed) {
  gt_toy_make_points(f, lo, hi, seed, 500, 7);
}

/* The invariants of a bounded attack's run (attack_invariants.h). */
static void check_invariants(gt_toy *f, const char *what, const gt_attack_result *r, const float *x_adv) {
  static const gt_toy_expect bounded = {.bound = GT_TOY_ALL_WITHIN_EPS};
  gt_toy_check_run(f, what, r, x_adv, &bounded);
}

static int same_results(const gt_attack_result *a, const gt_attack_result *b, const float *xa, const float *xb) {
  return gt_toy_same_results(a, b, xa, xb, D);
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
  gt_toy f;
  if (!gt_toy_open(&f, backend, mlp_graph(KMLP))) return;
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
    if (!GT_CHECK(gt_toy_attack(&f, ac->name, &cfg, xa, &a, &err) == GT_OK, "%s: %s", what, err.message)) continue;
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
    if (GT_CHECK(gt_toy_attack(&f, ac->name, &cfg, xb, &b, &err) == GT_OK, "%s: %s", what, err.message))
      GT_CHECK(same_results(&a, &b, xa, xb), "%s: a second run with the same seed differs", what);
    /* Another batch size changes nothing per point on ref. */
    cfg.batch = NPTS;
    if (GT_CHECK(gt_toy_attack(&f, ac->name, &cfg, xc, &cbig, &err) == GT_OK, "%s: %s", what, err.message)) {
      check_invariants(&f, what, &cbig, xc);
      if (!strcmp(backend, "ref"))
        GT_CHECK(same_results(&a, &cbig, xa, xc), "%s: batch 8 and batch 37 give different per-point results", what);
    }
    gt_attack_result_free(&a);
    gt_attack_result_free(&b);
    gt_attack_result_free(&cbig);
  }
  gt_toy_close(&f);
}

static void test_invariants_ref(void) { invariants_on("ref"); }
static void test_invariants_cpu(void) { invariants_on("cpu"); }

/* Per point and run: N + 1 forward and N backward passes (L1: N + 3 and N), times ranks x restarts
 * for a point that survives everything; fewer for broken points. A different seed changes the
 * random start. */
static void test_pass_counts(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph(KMLP))) return;
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
    if (!GT_CHECK(gt_toy_attack(&f, "apgd-t", &cfg, xa, &r, &err) == GT_OK, "%s", err.message)) continue;
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
    if (GT_CHECK(gt_toy_attack(&f, "apgd-t", &cfg, xb, &r2, &err) == GT_OK, "%s", err.message))
      GT_CHECK(!same_results(&r, &r2, xa, xb) || r.n_robust == r.n_clean_correct,
               "%s: seeds 0 and 99 gave identical runs", gt_norm_name((gt_norm)norm));
    gt_attack_result_free(&r);
    gt_attack_result_free(&r2);
  }
  gt_toy_close(&f);
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
  gt_toy f;
  if (!gt_toy_open(&f, "ref", linear_graph(w, b))) return;
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
    if (!GT_CHECK(gt_toy_attack(&f, "apgd-ce", &cfg, xa, &r, &err) == GT_OK, "%s", err.message)) continue;
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
  gt_toy_close(&f);
}

static void test_closed_form_threshold(void) {
  float dense[D], tied[D];
  uint64_t state = 5;
  for (int j = 0; j < D; j++) {
    dense[j] = (float)(2 * gt_test_lcg_uniform(&state) - 1);
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
  gt_toy lin, three;
  if (!gt_toy_open(&lin, "ref", linear_graph(w, b))) return;
  make_points(&lin, 0.4, 0.6, 3);
  gt_error err = {0};
  gt_attack_result r;
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.eps = 0.1f;
  GT_CHECK(gt_toy_attack(&lin, "apgd-dlr", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "3 classes"),
           "DLR on 2 classes: %s", err.message);
  GT_CHECK(gt_toy_attack(&lin, "apgd-t", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "4 classes"),
           "targeted DLR on 2 classes: %s", err.message);
  cfg.loss = GT_LOSS_CW;
  GT_CHECK(gt_toy_attack(&lin, "apgd-ce", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "apgd-ce"),
           "apgd-ce with the C&W loss: %s", err.message);
  cfg.loss = GT_LOSS_CE;
  cfg.norm = GT_NORM_L1;
  cfg.steps = 2;
  GT_CHECK(gt_toy_attack(&lin, "apgd-ce", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "3 steps"),
           "L1 with 2 steps: %s", err.message);
  cfg.steps = 0;
  cfg.l1_sparsity = 0.1f;
  GT_CHECK(gt_toy_attack(&lin, "apgd-ce", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "sparsity"),
           "L1 sparsity: %s", err.message);
  cfg.l1_sparsity = 0.0f;
  cfg.norm = GT_NORM_LINF;
  cfg.random_start = 0;
  cfg.restarts = 3;
  GT_CHECK(gt_toy_attack(&lin, "apgd-ce", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "restart"),
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
      if (GT_CHECK(gt_toy_attack(&lin, "apgd-ce", &cfg, xa, &r, &err) == GT_OK, "%s", err.message))
        GT_CHECK(r.n_robust == r.n_clean_correct && memcmp(xa, lin.x, sizeof xa) == 0, "%s eps 0 changed something",
                 gt_norm_name((gt_norm)norm));
      gt_attack_result_free(&r);
    }
  gt_toy_close(&lin);
  /* Three classes: DLR works, targeted DLR does not. */
  if (!gt_toy_open(&three, "ref", mlp_graph(3))) return;
  make_points(&three, 0.0, 1.0, 5);
  gt_attack_config_init(&cfg);
  cfg.eps = 0.1f;
  cfg.steps = 5;
  GT_CHECK(gt_toy_attack(&three, "apgd-dlr", &cfg, NULL, &r, &err) == GT_OK, "DLR on 3 classes: %s", err.message);
  gt_attack_result_free(&r);
  GT_CHECK(gt_toy_attack(&three, "apgd-t", &cfg, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "4 classes"),
           "targeted DLR on 3 classes: %s", err.message);
  gt_toy_close(&three);
}

/* ---- strength on the committed cnn fixture ---- */

static void test_strength_cnn(void) {
  int64_t n = quick() ? 60 : 100;
  int steps = quick() ? 20 : 100;
  gt_bench b;
  int ok = gt_bench_open(&b, &(gt_bench_spec){.model = "cnn", .backend = "cpu", .max_batch = 128, .n = n,
                                              .skip_without_data = 1});
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
    double t0 = gt_bench_seconds();
    ok = gt_bench_run(&b, names[a], &cfg, NULL, &res[a]);
    if (!ok) break;
    ran++;
    printf("    cnn Linf 0.1, %lld points, %d steps: %-8s robust %lld of %lld clean (%.1f s, %lld fwd, %lld bwd)\n",
           (long long)n, steps, names[a], (long long)res[a].n_robust, (long long)res[a].n_clean_correct,
           gt_bench_seconds() - t0, (long long)res[a].total.forward, (long long)res[a].total.backward);
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
  gt_bench_close(&b);
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
