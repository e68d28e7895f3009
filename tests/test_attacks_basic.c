/* Attack invariants on hand-built models (no ONNX import involved): a linear binary classifier
 * whose minimal adversarial distance is known in closed form, and a small ReLU network with five
 * classes. Checked for fgsm, bim, pgd and mifgsm in every norm they support:
 *   ||x_adv - x|| <= eps, x_adv in [0,1], robust <= clean, every success is misclassified when the
 *   test re-evaluates x_adv itself, same seed -> same bytes, batch size does not change a point's
 *   result (ref), the closed-form threshold of the linear model, targeted modes, EOT accounting,
 *   pass counts, and clear errors for bad configurations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/attack.h"
#include "gauntlet/backend.h"
#include "gauntlet/model.h"
#include "gt_test.h"
#include "support/attack_invariants.h"
#include "support/toy_models.h"

#define D 4 /* inputs are [N, 1, 2, 2] */
#define NPTS GT_TOY_NPTS

/* ---- models ---- */

/* Binary linear classifier: logit_0 = 0, logit_1 = w.x + b, so the margin is f(x) = w.x + b. */
static const float W_BIN[8] = {0, 0, 0, 0, 1.0f, -2.0f, 0.5f, 1.5f};
static const float B_BIN[2] = {0.0f, -0.5f}; /* f vanishes at x = 0.5 everywhere */

static gt_graph *binary_graph(void) { return gt_toy_linear_graph(1, 2, 2, 2, W_BIN, B_BIN); }

/* x [N,1,2,2] -> flatten [N,4] -> fc1 [N,8] -> relu -> fc2 [N,5]. */
static gt_graph *mlp_graph(void) {
  return gt_toy_mlp_graph(&(gt_toy_mlp_spec){.c = 1, .h = 2, .w = 2, .hidden = 8, .k = 5, .seed = 99, .w1_range = 2});
}

/* Points near the middle of the box with every 7th label wrong; ids 1000, 1003, ... */
static void make_points(gt_toy *f, double lo, double hi, uint64_t seed) {
  gt_toy_make_points(f, lo, hi, seed, 1000, 3);
}

/* Classes of point i ranked by clean logit, best first (the test's own top-k). */
static void clean_ranks(gt_toy *f, int i, int32_t ranks[5]) {
  float z[GT_TOY_MAXK];
  gt_toy_logits(f, f->x + i * D, 1, z);
  for (int a = 0; a < f->k; a++) ranks[a] = a;
  for (int a = 0; a < f->k; a++) /* insertion sort: higher logit first, lower index on ties */
    for (int b = a; b > 0 && (z[ranks[b]] > z[ranks[b - 1]] || (z[ranks[b]] == z[ranks[b - 1]] && ranks[b] < ranks[b - 1])); b--) {
      int32_t t = ranks[b];
      ranks[b] = ranks[b - 1];
      ranks[b - 1] = t;
    }
}

/* The invariants every run of a bounded attack keeps, with the reported norms and the per-point
 * bookkeeping (attack_invariants.h). */
static void check_invariants(gt_toy *f, const char *what, const gt_attack_result *r, const float *x_adv) {
  static const gt_toy_expect bounded = {
      .bound = GT_TOY_ALL_WITHIN_EPS, .norm = GT_TOY_NORM_CLOSE, .unbroken_norm_zero = 1, .bookkeeping = 1};
  gt_toy_check_run(f, what, r, x_adv, &bounded);
}

static int same_results(const gt_attack_result *a, const gt_attack_result *b, const float *xa, const float *xb) {
  return gt_toy_same_results(a, b, xa, xb, D);
}

typedef struct attack_case {
  const char *name;
  gt_norm norm;
  float eps;
} attack_case;

static const attack_case g_cases[] = {
    {"fgsm", GT_NORM_LINF, 0.15f}, {"fgsm", GT_NORM_L2, 0.3f}, {"fgm", GT_NORM_L1, 0.4f},
    {"bim", GT_NORM_LINF, 0.15f},  {"bim", GT_NORM_L2, 0.3f},  {"bim", GT_NORM_L1, 0.4f},
    {"pgd", GT_NORM_LINF, 0.15f},  {"pgd", GT_NORM_L2, 0.3f},  {"pgd", GT_NORM_L1, 0.4f},
    {"mifgsm", GT_NORM_LINF, 0.15f}, {"mifgsm", GT_NORM_L2, 0.3f},
};
#define N_CASES ((int)(sizeof g_cases / sizeof g_cases[0]))

static void invariants_on(const char *backend) {
  gt_toy f;
  if (!gt_toy_open(&f, backend, mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 7);
  for (int c = 0; c < N_CASES; c++) {
    char what[96];
    snprintf(what, sizeof what, "%s %s %s", backend, g_cases[c].name, gt_norm_name(g_cases[c].norm));
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = g_cases[c].norm;
    cfg.eps = g_cases[c].eps;
    cfg.seed = 5;
    cfg.batch = 8;
    if (!strcmp(g_cases[c].name, "pgd")) cfg.restarts = 2;
    float xa[NPTS * D], xb[NPTS * D], xc[NPTS * D];
    gt_attack_result a, b, cbig;
    gt_toy_attack_ok(&f, g_cases[c].name, &cfg, xa, &a);
    check_invariants(&f, what, &a, xa);
    /* Same seed, same bytes. */
    gt_toy_attack_ok(&f, g_cases[c].name, &cfg, xb, &b);
    GT_CHECK(same_results(&a, &b, xa, xb), "%s: a second run with the same seed differs", what);
    /* A different batch size changes nothing per point (ref: sums do not depend on the batch). */
    cfg.batch = 37;
    gt_toy_attack_ok(&f, g_cases[c].name, &cfg, xc, &cbig);
    if (!strcmp(backend, "ref"))
      GT_CHECK(same_results(&a, &cbig, xa, xc), "%s: batch 8 and batch 37 give different per-point results", what);
    GT_CHECK(a.n_robust < a.n_clean_correct, "%s: the attack broke nothing (%lld robust of %lld)", what,
             (long long)a.n_robust, (long long)a.n_clean_correct);
    gt_attack_result_free(&a);
    gt_attack_result_free(&b);
    gt_attack_result_free(&cbig);
  }
  gt_toy_close(&f);
}

static void test_invariants_ref(void) { invariants_on("ref"); }
static void test_invariants_cpu(void) { invariants_on("cpu"); }

/* Linear binary classifier: the minimal distance to the decision boundary is |f(x)| / ||w||_q
 * with q the dual norm (L2: 2, Linf: 1, L1: inf), and the box never gets in the way for points
 * in [0.4, 0.6]^4 (the optimal move is at most 0.25 per coordinate). */
static void test_closed_form_threshold(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", binary_graph())) return;
  make_points(&f, 0.4, 0.6, 11);
  const float *w = W_BIN + 4;
  double wn[GT_NORM_COUNT] = {0, 0, 0}; /* dual norms of w for Linf, L2, L1 threat models */
  for (int j = 0; j < D; j++) {
    wn[GT_NORM_LINF] += fabs(w[j]);
    wn[GT_NORM_L2] += (double)w[j] * w[j];
    if (fabs(w[j]) > wn[GT_NORM_L1]) wn[GT_NORM_L1] = fabs(w[j]);
  }
  wn[GT_NORM_L2] = sqrt(wn[GT_NORM_L2]);
  const char *attacks[2] = {"pgd", "bim"};
  for (int a = 0; a < 2; a++)
    for (int norm = 0; norm < GT_NORM_COUNT; norm++) {
      /* Distances reach 0.1 (Linf), 0.18 (L2), 0.25 (L1): every eps has points on both sides. */
      const float eps_list[GT_NORM_COUNT][3] = {{0.02f, 0.04f, 0.06f}, {0.04f, 0.08f, 0.12f}, {0.05f, 0.1f, 0.15f}};
      for (int e = 0; e < 3; e++) {
        gt_attack_config cfg;
        gt_attack_config_init(&cfg);
        cfg.norm = (gt_norm)norm;
        cfg.eps = eps_list[norm][e];
        cfg.steps = 40;
        cfg.l1_sparsity = 0.25f; /* one coordinate per step: the optimal L1 move */
        float xa[NPTS * D];
        gt_attack_result r;
        gt_toy_attack_ok(&f, attacks[a], &cfg, xa, &r);
        if (r.n != NPTS) continue;
        int above = 0, below = 0;
        for (int i = 0; i < NPTS; i++) {
          if (!r.clean_correct[i]) continue;
          const float *x = f.x + i * D;
          double fx = (double)B_BIN[1];
          for (int j = 0; j < D; j++) fx += (double)w[j] * x[j];
          double dist = fabs(fx) / wn[norm];
          if (dist < 0.9 * cfg.eps) {
            above++;
            GT_CHECK(r.success[i], "%s %s eps %g: point %d at distance %g survived", attacks[a],
                     gt_norm_name((gt_norm)norm), (double)cfg.eps, i, dist);
          } else if (dist > 1.0001 * cfg.eps) {
            below++;
            GT_CHECK(!r.success[i], "%s %s eps %g: point %d at distance %g was broken", attacks[a],
                     gt_norm_name((gt_norm)norm), (double)cfg.eps, i, dist);
          }
        }
        GT_CHECK(above > 0, "%s %s eps %g: no point below the threshold to test", attacks[a],
                 gt_norm_name((gt_norm)norm), (double)cfg.eps);
        GT_CHECK(below > 0, "%s %s eps %g: no point beyond the threshold to test", attacks[a],
                 gt_norm_name((gt_norm)norm), (double)cfg.eps);
        check_invariants(&f, attacks[a], &r, xa);
        gt_attack_result_free(&r);
      }
    }
  gt_toy_close(&f);
}

static void test_targeted_modes(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 21);
  gt_error err = {0};
  int32_t given[NPTS];
  for (int i = 0; i < NPTS; i++) given[i] = (f.labels[i] + 1 + i % 4) % 5;
  const gt_target_mode modes[4] = {GT_TARGET_GIVEN, GT_TARGET_RANDOM, GT_TARGET_LEAST_LIKELY, GT_TARGET_TOP};
  for (int m = 0; m < 4; m++) {
    for (int hit = 0; hit < 2; hit++) {
      gt_attack_config cfg;
      gt_attack_config_init(&cfg);
      cfg.norm = GT_NORM_LINF;
      cfg.eps = hit ? 1.0f : 0.3f; /* reaching a given class may need the whole box */
      cfg.steps = 20;
      cfg.targeted = modes[m];
      cfg.require_target_hit = hit;
      cfg.n_target_ranks = 2;
      cfg.batch = 6;
      gt_attack_points pts = gt_toy_points(&f);
      pts.targets = given;
      float xa[NPTS * D], xb[NPTS * D];
      gt_attack_result r, r2;
      char what[64];
      snprintf(what, sizeof what, "pgd targeted %s hit %d", gt_target_mode_name(modes[m]), hit);
      GT_CHECK(gt_attack_run("pgd", &cfg, f.m, &pts, xa, &r, &err) == GT_OK, "%s: %s", what, err.message);
      if (r.n != NPTS) continue;
      GT_CHECK(r.config.loss == GT_LOSS_CE_TARGETED, "%s: loss %s", what, gt_loss_name(r.config.loss));
      check_invariants(&f, what, &r, xa);
      cfg.batch = 37;
      GT_CHECK(gt_attack_run("pgd", &cfg, f.m, &pts, xb, &r2, &err) == GT_OK, "%s: %s", what, err.message);
      GT_CHECK(same_results(&r, &r2, xa, xb), "%s: batch size changed the per-point results", what);
      int64_t broken = 0;
      for (int i = 0; i < NPTS; i++) {
        if (!r.success[i]) continue;
        broken++;
        int t = r.target[i];
        GT_CHECK(t >= 0 && t < 5 && t != f.labels[i], "%s: point %d target %d", what, i, t);
        if (modes[m] == GT_TARGET_GIVEN) GT_CHECK(t == given[i], "%s: point %d target %d != given", what, i, t);
        int32_t ranks[5];
        clean_ranks(&f, i, ranks);
        if (modes[m] == GT_TARGET_LEAST_LIKELY) GT_CHECK(t == ranks[4], "%s: point %d target %d", what, i, t);
        if (modes[m] == GT_TARGET_TOP) GT_CHECK(t == ranks[1] || t == ranks[2], "%s: point %d target %d", what, i, t);
      }
      /* Classes 0 and 1 win nowhere in the box for this network, and they are the least likely
       * ones: reaching the least-likely class is impossible, so only that case may break nothing. */
      GT_CHECK(broken > 0 || (modes[m] == GT_TARGET_LEAST_LIKELY && hit), "%s: nothing broken", what);
      gt_attack_result_free(&r);
      gt_attack_result_free(&r2);
    }
  }
  /* 'given' without targets, and targets equal to labels, are refused or skipped. */
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.eps = 0.3f;
  cfg.targeted = GT_TARGET_GIVEN;
  gt_attack_points pts = gt_toy_points(&f);
  gt_attack_result r;
  GT_CHECK(gt_attack_run("pgd", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "given"),
           "given mode without targets: %s", err.message);
  pts.targets = f.labels;
  GT_CHECK(gt_attack_run("pgd", &cfg, f.m, &pts, NULL, &r, &err) == GT_OK, "%s", err.message);
  GT_CHECK(r.n_robust == r.n_clean_correct, "targets equal to the labels must not be attacked");
  gt_attack_result_free(&r);
  gt_toy_close(&f);
}

/* Per-point pass counts, and EOT: K passes per gradient, the same points broken on a
 * deterministic model. */
static void test_passes_and_eot(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 31);
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.norm = GT_NORM_LINF;
  cfg.eps = 0.02f; /* small: many points survive all steps */
  cfg.steps = 5;
  cfg.restarts = 3;
  float xa[NPTS * D], xb[NPTS * D];
  gt_attack_result a, b;
  gt_toy_attack_ok(&f, "pgd", &cfg, xa, &a);
  int survivors = 0;
  for (int i = 0; i < NPTS && a.n == NPTS; i++) {
    if (a.clean_correct[i] && !a.success[i]) {
      survivors++;
      GT_CHECK(a.forward[i] == 3 * 6 && a.backward[i] == 3 * 5, "point %d: %lld forward, %lld backward", i,
               (long long)a.forward[i], (long long)a.backward[i]);
    }
    if (a.success[i]) GT_CHECK(a.forward[i] <= 3 * 6 && a.backward[i] <= a.forward[i], "broken point %d passes", i);
  }
  GT_CHECK(survivors > 0, "no survivor to count passes on");
  cfg.eot = 3;
  gt_toy_attack_ok(&f, "pgd", &cfg, xb, &b);
  GT_CHECK(b.config.eot == 3, "eot not recorded");
  for (int i = 0; i < NPTS && a.n == NPTS && b.n == NPTS; i++) {
    GT_CHECK(a.success[i] == b.success[i], "EOT 3 changed the outcome of point %d on a deterministic model", i);
    if (a.clean_correct[i] && !a.success[i])
      GT_CHECK(b.backward[i] == 3 * a.backward[i] && b.forward[i] == 3 * 3 * 5 + 3, "EOT passes of point %d: %lld / %lld",
               i, (long long)b.forward[i], (long long)b.backward[i]);
  }
  gt_attack_result_free(&a);
  gt_attack_result_free(&b);
  gt_toy_close(&f);
}

static void test_bad_configs(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", binary_graph())) return;
  make_points(&f, 0.4, 0.6, 3);
  gt_attack_points pts = gt_toy_points(&f);
  gt_error err = {0};
  gt_attack_result r;
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.eps = 0.1f;
  GT_CHECK(gt_attack_run("nosuch", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "pgd"),
           "unknown attack: %s", err.message);
  cfg.norm = GT_NORM_L1;
  GT_CHECK(gt_attack_run("mifgsm", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "L1"),
           "mifgsm L1: %s", err.message);
  cfg.norm = GT_NORM_LINF;
  cfg.eps = -1.0f;
  GT_CHECK(gt_attack_run("pgd", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE, "negative eps accepted");
  cfg.eps = 0.1f;
  cfg.steps = 5;
  GT_CHECK(gt_attack_run("fgsm", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE, "fgsm with 5 steps accepted");
  cfg.steps = 0;
  cfg.restarts = 3;
  GT_CHECK(gt_attack_run("bim", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "restart"),
           "bim restarts: %s", err.message);
  cfg.restarts = 0;
  cfg.loss = GT_LOSS_DLR;
  GT_CHECK(gt_attack_run("pgd", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "classes"),
           "DLR on 2 classes: %s", err.message);
  cfg.loss = GT_LOSS_CE_TARGETED;
  GT_CHECK(gt_attack_run("pgd", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE, "targeted loss without a mode");
  cfg.loss = GT_LOSS_CE;
  int32_t bad = f.labels[3];
  f.labels[3] = 9;
  GT_CHECK(gt_attack_run("pgd", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "point 3"),
           "label 9 of 2 classes: %s", err.message);
  f.labels[3] = bad;
  /* eps 0: nothing can be broken, and nothing moves. */
  cfg.eps = 0.0f;
  float xa[NPTS * D];
  GT_CHECK(gt_attack_run("pgd", &cfg, f.m, &pts, xa, &r, &err) == GT_OK, "%s", err.message);
  GT_CHECK(r.n_robust == r.n_clean_correct && memcmp(xa, f.x, sizeof xa) == 0, "eps 0 changed something");
  gt_attack_result_free(&r);
  /* No points: a valid empty run. */
  pts.n = 0;
  GT_CHECK(gt_attack_run("pgd", &cfg, f.m, &pts, NULL, &r, &err) == GT_OK && r.n == 0, "empty run: %s", err.message);
  gt_attack_result_free(&r);
  gt_toy_close(&f);
}

static void test_registry(void) {
  GT_CHECK(gt_attack_count() >= 5, "%d attacks registered", gt_attack_count());
  for (int i = 0; i < gt_attack_count(); i++) {
    const gt_attack *a = gt_attack_get(i);
    GT_CHECK(a && a->name && a->summary && a->create && a->run && a->destroy && a->norms, "attack %d incomplete", i);
    GT_CHECK(a && gt_attack_find(a->name) == a, "attack %d not found by name", i);
  }
  GT_CHECK(gt_attack_find("pgd") && gt_attack_find("pgd")->norms == 7u, "pgd norms");
  gt_norm n;
  gt_target_mode m;
  gt_error err = {0};
  GT_CHECK(gt_norm_parse("Linf", &n, &err) == GT_OK && n == GT_NORM_LINF, "parse Linf");
  GT_CHECK(gt_norm_parse("l1", &n, &err) == GT_OK && n == GT_NORM_L1, "parse l1");
  GT_CHECK(gt_norm_parse("L3", &n, &err) == GT_ERR_USAGE, "parse L3");
  GT_CHECK(gt_target_mode_parse("least-likely", &m, &err) == GT_OK && m == GT_TARGET_LEAST_LIKELY, "parse mode");
}

int main(void) {
  gt_test_run("attack registry and names", test_registry);
  gt_test_run("invariants on ref", test_invariants_ref);
  gt_test_run("invariants on cpu", test_invariants_cpu);
  gt_test_run("closed-form threshold of a linear classifier", test_closed_form_threshold);
  gt_test_run("targeted modes", test_targeted_modes);
  gt_test_run("pass counts and EOT", test_passes_and_eot);
  gt_test_run("bad configurations", test_bad_configs);
  return gt_test_finish();
}
