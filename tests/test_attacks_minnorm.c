/* Tests of the minimum-norm attacks cw-l2, deepfool and fmn (attacks/{cw,deepfool,fmn}.c):
 *  - closed form: on a hand-built linear multiclass classifier (the box never binds) the minimal
 *    perturbation is min_{k != y} (z_y - z_k) / ||w_k - w_y||_q (q the dual norm); DeepFool lands
 *    exactly at (1 + overshoot) times it (plus its 1e-4 guard), FMN within 1% above it, C&W
 *    within 5% above it, and nobody below it;
 *  - invariants on a small ReLU network, ref and cpu: x_adv in [0,1], every success re-evaluates
 *    as misclassified, reported norms equal the measured ||x_adv - x||, unbroken points come back
 *    clean, same configuration -> same bytes, batch size does not change a point's result (ref),
 *    pass counts, EOT, targeted modes;
 *  - eps is a cap: a capped run breaks exactly the points whose free-run norm is <= eps, with the
 *    same points, and never returns a point beyond eps;
 *  - the oracle's gradient of a linear combination of logits (gt_oracle_logits_grad);
 *  - the committed Fashion-MNIST cnn: median L2 norms of DeepFool, FMN and C&W (printed with
 *    times), FMN not worse than DeepFool by more than a modest factor;
 *  - bad configurations are refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/attack.h"
#include "gauntlet/backend.h"
#include "gauntlet/model.h"
#include "gauntlet/oracle.h"
#include "gt_test.h"
#include "support/attack_bench.h"
#include "support/attack_invariants.h"
#include "support/test_rng.h"
#include "support/toy_models.h"

#define DL 8    /* linear classifiers: inputs [N, 1, 2, 4], 2 or 4 classes */
#define KL 4    /* most classes of a linear classifier */
#define DM 4    /* ReLU network: inputs [N, 1, 2, 2] */
#define KM 5
#define HID 8
#define NPTS GT_TOY_NPTS
#define MAXB GT_TOY_MAXB

static int quick(void) {
  const char *q = getenv("GAUNTLET_TEST_QUICK");
  return q && *q && strcmp(q, "0") != 0;
}

/* ---- models ---- */

/* Linear classifier z = W x + b with g_kl classes, W [g_kl, DL]: random weights, biases that
 * balance the classes around x = 0.5. */
static float g_wl[KL * DL], g_bl[KL];
static int g_kl;

static void make_linear_weights(int k_classes) {
  uint64_t state = 1234;
  g_kl = k_classes;
  for (int i = 0; i < g_kl * DL; i++) g_wl[i] = (float)(4 * gt_test_lcg_uniform(&state) - 2);
  for (int k = 0; k < g_kl; k++) {
    double s = 0;
    for (int j = 0; j < DL; j++) s += 0.5 * g_wl[k * DL + j];
    g_bl[k] = (float)(-s + 0.1 * (gt_test_lcg_uniform(&state) - 0.5));
  }
}

static gt_graph *linear_graph(void) { return gt_toy_linear_graph(1, 2, DL / 2, g_kl, g_wl, g_bl); }

/* x [N,1,2,2] -> flatten [N,4] -> fc1 [N,8] -> relu -> fc2 [N,5]. */
static gt_graph *mlp_graph(void) {
  return gt_toy_mlp_graph(&(gt_toy_mlp_spec){.c = 1, .h = 2, .w = 2, .hidden = HID, .k = KM, .seed = 99, .w1_range = 2});
}

/* Points uniform in [lo, hi]^d with every 7th label wrong; ids 1000, 1003, ... */
static void make_points(gt_toy *f, double lo, double hi, uint64_t seed) {
  gt_toy_make_points(f, lo, hi, seed, 1000, 3);
}

static int run_attack(gt_toy *f, const char *name, const gt_attack_config *cfg, float *x_adv, gt_attack_result *r) {
  return gt_toy_attack_ok(f, name, cfg, x_adv, r) && GT_CHECK(r->n == NPTS, "%s: %lld results", name, (long long)r->n);
}

/* The invariants of a minimum-norm run (attack_invariants.h); cap: the eps cap (+inf: none). */
static void check_invariants(gt_toy *f, const char *what, const gt_attack_result *r, const float *x_adv, double cap) {
  const gt_toy_expect min_norm = {
      .bound = GT_TOY_BROKEN_WITHIN_CAP, .cap = cap, .norm = GT_TOY_NORM_EXACT, .unbroken_norm_zero = 1};
  gt_toy_check_run(f, what, r, x_adv, &min_norm);
}

/* ---- closed form on the linear classifiers ---- */

/* Distance from point i to the hyperplane z_k = z_y in the norm (its dual on w_k - w_y), and
 * whether the optimal move to it keeps every coordinate in [0,1] (with 5% to spare). */
static double plane_dist(const gt_toy *f, int i, int k, gt_norm norm, int *box_free) {
  const float *x = f->x + i * DL;
  int y = f->labels[i];
  double fy = (double)g_bl[y] - g_bl[k], q = 0, q2 = 0;
  for (int j = 0; j < DL; j++) {
    double w = (double)g_wl[k * DL + j] - g_wl[y * DL + j];
    fy -= w * x[j];
    q += norm == GT_NORM_LINF ? fabs(w) : w * w;
    q2 += w * w;
  }
  double dist = fy / (norm == GT_NORM_L2 ? sqrt(q) : q);
  *box_free = 1;
  for (int j = 0; j < DL; j++) {
    double w = (double)g_wl[k * DL + j] - g_wl[y * DL + j];
    double move = norm == GT_NORM_LINF ? dist * (w > 0 ? 1 : -1) : dist * w / sqrt(q2);
    if (x[j] + 1.05 * move < 0 || x[j] + 1.05 * move > 1) *box_free = 0;
  }
  return dist;
}

typedef struct closed_case {
  const char *name;
  gt_norm norm;
  int steps;
  float step_size;
  double tol; /* accepted: minimal <= norm <= (1 + tol) reference */
} closed_case;

/* The minimal perturbation of a linear classifier is the distance to the closest of the planes
 * z_k = z_y (the region where y wins is their intersection of half-spaces); the box stays out of
 * the way for the points tested. DeepFool reaches the closest plane in one step and overshoots
 * by design: its norm is (1 + 0.02) (distance + 1e-4) to float rounding. FMN and C&W ascend the
 * margin against the class that is second at x, so with more than 2 classes their bound is the
 * plane of that class (the minimum itself with 2 classes): minimum <= norm <= (1 + tol) bound. */
static void closed_form_on(int k_classes) {
  make_linear_weights(k_classes);
  gt_toy f;
  if (!gt_toy_open(&f, "ref", linear_graph())) return;
  make_points(&f, 0.25, 0.75, 11);
  const closed_case cases[] = {
      {"deepfool", GT_NORM_L2, 0, 0.0f, 0.0}, {"deepfool", GT_NORM_LINF, 0, 0.0f, 0.0},
      {"fmn", GT_NORM_L2, 0, 0.0f, 0.01},     {"fmn", GT_NORM_LINF, 0, 0.0f, 0.01},
      {"cw-l2", GT_NORM_L2, 300, 0.0f, 0.05},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const closed_case *cc = &cases[c];
    char what[64];
    snprintf(what, sizeof what, "%s %s linear-%d", cc->name, gt_norm_name(cc->norm), k_classes);
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = cc->norm;
    cfg.steps = cc->steps;
    cfg.step_size = cc->step_size;
    float xa[NPTS * DL];
    gt_attack_result r;
    if (!run_attack(&f, cc->name, &cfg, xa, &r)) continue;
    check_invariants(&f, what, &r, xa, INFINITY);
    int tested = 0;
    double worst = 0, mean = 0;
    for (int i = 0; i < NPTS; i++) {
      if (!r.clean_correct[i]) continue;
      float z[KL];
      gt_toy_logits(&f, f.x + i * DL, 1, z);
      int y = f.labels[i], second = -1, closest = -1, box_free = 1;
      double dmin = INFINITY;
      for (int k = 0; k < k_classes; k++) {
        if (k == y) continue;
        int free_k = 0;
        double dk = plane_dist(&f, i, k, cc->norm, &free_k);
        if (dk < dmin) dmin = dk, closest = k;
        if (second < 0 || z[k] > z[second]) second = k;
      }
      int free_second = 0;
      double dsecond = plane_dist(&f, i, second, cc->norm, &free_second);
      plane_dist(&f, i, closest, cc->norm, &box_free);
      if (!box_free || !free_second || dmin < 0.01) continue; /* the 1e-4 guards would dominate below */
      tested++;
      if (!GT_CHECK(r.success[i], "%s: point %d (distance %g) not broken", what, i, dmin)) continue;
      int df = !strcmp(cc->name, "deepfool");
      double ref = df ? 1.02 * (dmin + 1e-4) : dsecond;
      double ratio = r.norm[i] / ref;
      GT_CHECK(r.norm[i] >= dmin * (1 - 1e-5), "%s: point %d norm %.7g below the minimum %.7g", what, i,
               (double)r.norm[i], dmin);
      GT_CHECK((!df || ratio >= 1 - 1e-4) && ratio <= 1 + cc->tol + 1e-4,
               "%s: point %d norm %.7g, reference %.7g (ratio %.5f, tolerance %g)", what, i, (double)r.norm[i], ref,
               ratio, cc->tol);
      if (!strcmp(cc->name, "deepfool"))
        GT_CHECK(r.backward[i] == k_classes - 1 && r.forward[i] == 3, "%s: point %d took %lld forward, %lld backward",
                 what, i, (long long)r.forward[i], (long long)r.backward[i]);
      if (fabs(ratio - 1) > worst) worst = fabs(ratio - 1);
      mean += ratio - 1;
    }
    GT_CHECK(tested >= 12, "%s: only %d points with a box-free closed form", what, tested);
    printf("    %-22s %2d points: norm / reference - 1: mean %+.2e, worst %.2e\n", what, tested,
           mean / (tested ? tested : 1), worst);
    gt_attack_result_free(&r);
  }
  gt_toy_close(&f);
}

static void test_closed_form_binary(void) { closed_form_on(2); }
static void test_closed_form_multiclass(void) { closed_form_on(KL); }

/* ---- invariants on the ReLU network ---- */

typedef struct inv_case {
  const char *name;
  gt_norm norm;
  int steps;
  gt_target_mode targeted;
} inv_case;

static const inv_case g_inv[] = {
    {"deepfool", GT_NORM_LINF, 0, GT_TARGET_NONE}, {"deepfool", GT_NORM_L2, 0, GT_TARGET_NONE},
    {"fmn", GT_NORM_LINF, 40, GT_TARGET_NONE},     {"fmn", GT_NORM_L2, 40, GT_TARGET_NONE},
    {"fmn", GT_NORM_L2, 40, GT_TARGET_TOP},        {"cw-l2", GT_NORM_L2, 60, GT_TARGET_NONE},
    {"cw-l2", GT_NORM_L2, 60, GT_TARGET_RANDOM},
};

static void invariants_on(const char *backend) {
  gt_toy f;
  if (!gt_toy_open(&f, backend, mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 7);
  for (size_t c = 0; c < sizeof g_inv / sizeof g_inv[0]; c++) {
    const inv_case *ic = &g_inv[c];
    char what[96];
    snprintf(what, sizeof what, "%s %s %s %s", backend, ic->name, gt_norm_name(ic->norm),
             gt_target_mode_name(ic->targeted));
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = ic->norm;
    cfg.steps = ic->steps;
    cfg.targeted = ic->targeted;
    cfg.n_target_ranks = 2;
    cfg.seed = 3;
    if (!strcmp(ic->name, "cw-l2")) cfg.step_size = 0.05f; /* few steps: a larger Adam rate */
    cfg.batch = 8;
    float xa[NPTS * DM], xb[NPTS * DM], xc[NPTS * DM];
    gt_attack_result a, b, cbig;
    if (!run_attack(&f, ic->name, &cfg, xa, &a)) continue;
    check_invariants(&f, what, &a, xa, INFINITY);
    GT_CHECK(a.config.loss == (ic->targeted ? GT_LOSS_CW_TARGETED : GT_LOSS_CW), "%s: loss %s", what,
             gt_loss_name(a.config.loss));
    GT_CHECK(a.n_clean_correct - a.n_robust >= a.n_clean_correct * 3 / 4, "%s: broke only %lld of %lld", what,
             (long long)(a.n_clean_correct - a.n_robust), (long long)a.n_clean_correct);
    /* Same configuration, same bytes; another batch size, the same per-point results (ref). */
    if (run_attack(&f, ic->name, &cfg, xb, &b)) {
      GT_CHECK(gt_toy_same_results(&a, &b, xa, xb, DM), "%s: a second run differs", what);
      gt_attack_result_free(&b);
    }
    cfg.batch = NPTS;
    if (run_attack(&f, ic->name, &cfg, xc, &cbig)) {
      if (!strcmp(backend, "ref"))
        GT_CHECK(gt_toy_same_results(&a, &cbig, xa, xc, DM), "%s: batch 8 and batch %d give different per-point results", what,
                 NPTS);
      gt_attack_result_free(&cbig);
    }
    /* Pass counts of an attacked point (EOT 1). */
    for (int i = 0; i < NPTS; i++) {
      if (!a.clean_correct[i]) continue;
      int64_t fw = a.forward[i], bw = a.backward[i];
      int ranks = ic->targeted == GT_TARGET_TOP ? 2 : 1;
      if (!strcmp(ic->name, "fmn")) {
        /* steps gradient queries per run; a point broken by rank 1 is not run on rank 2 */
        GT_CHECK(fw == bw && (fw == ic->steps || (ranks == 2 && fw == 2 * ic->steps)), "%s: point %d passes %lld/%lld",
                 what, i, (long long)fw, (long long)bw);
      } else if (!strcmp(ic->name, "deepfool")) {
        int64_t taken = bw / (KM - 1);
        GT_CHECK(bw % (KM - 1) == 0 && fw == 2 * taken + 1, "%s: point %d passes %lld/%lld", what, i, (long long)fw,
                 (long long)bw);
      } else {
        GT_CHECK(fw == bw && bw >= 1 && bw <= 9 * ic->steps, "%s: point %d passes %lld/%lld", what, i, (long long)fw,
                 (long long)bw);
      }
    }
    gt_attack_result_free(&a);
  }
  gt_toy_close(&f);
}

static void test_invariants_ref(void) { invariants_on("ref"); }
static void test_invariants_cpu(void) { invariants_on("cpu"); }

/* ---- eps as a cap ---- */

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : (x > y ? 1 : 0);
}

static void test_eps_cap(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 17);
  const inv_case cases[] = {{"deepfool", GT_NORM_L2, 0, GT_TARGET_NONE},
                            {"deepfool", GT_NORM_LINF, 0, GT_TARGET_NONE},
                            {"fmn", GT_NORM_LINF, 30, GT_TARGET_NONE},
                            {"cw-l2", GT_NORM_L2, 60, GT_TARGET_NONE}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char what[64];
    snprintf(what, sizeof what, "%s %s capped", cases[c].name, gt_norm_name(cases[c].norm));
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = cases[c].norm;
    cfg.steps = cases[c].steps;
    if (!strcmp(cases[c].name, "cw-l2")) cfg.step_size = 0.05f;
    float xfree[NPTS * DM], xcap[NPTS * DM], xinf[NPTS * DM];
    gt_attack_result rf, rc, ri;
    if (!run_attack(&f, cases[c].name, &cfg, xfree, &rf)) continue;
    /* The cap: the median norm of the free run. */
    float norms[NPTS];
    int nb = 0;
    for (int i = 0; i < NPTS; i++)
      if (rf.success[i]) norms[nb++] = rf.norm[i];
    qsort(norms, (size_t)nb, sizeof(float), cmp_float);
    GT_CHECK(nb >= 10, "%s: the free run broke %d points", what, nb);
    cfg.eps = nb ? norms[nb / 2] : 0.1f;
    if (run_attack(&f, cases[c].name, &cfg, xcap, &rc)) {
      check_invariants(&f, what, &rc, xcap, cfg.eps);
      int64_t within = 0;
      for (int i = 0; i < NPTS; i++) {
        int want = rf.success[i] && rf.norm[i] <= cfg.eps;
        within += want;
        GT_CHECK(rc.success[i] == want, "%s: point %d capped success %d, free norm %g (cap %g)", what, i,
                 rc.success[i], (double)rf.norm[i], (double)cfg.eps);
        if (want)
          GT_CHECK(rc.norm[i] == rf.norm[i] && !memcmp(xcap + i * DM, xfree + i * DM, DM * sizeof(float)),
                   "%s: point %d differs from the free run", what, i);
      }
      GT_CHECK(within > 0 && within < rf.n_clean_correct - rf.n_robust, "%s: %lld of %lld within the cap", what,
               (long long)within, (long long)(rf.n_clean_correct - rf.n_robust));
      gt_attack_result_free(&rc);
    }
    /* +inf is no cap, like 0. */
    cfg.eps = INFINITY;
    if (run_attack(&f, cases[c].name, &cfg, xinf, &ri)) {
      GT_CHECK(gt_toy_same_results(&rf, &ri, xfree, xinf, DM), "%s: eps = inf differs from eps = 0", what);
      gt_attack_result_free(&ri);
    }
    gt_attack_result_free(&rf);
  }
  gt_toy_close(&f);
}

/* ---- EOT and the oracle's gradient of a logit combination ---- */

static void test_eot(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 23);
  const char *names[2] = {"deepfool", "fmn"};
  for (int a = 0; a < 2; a++) {
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = GT_NORM_L2;
    cfg.steps = 20;
    float x1[NPTS * DM], x3[NPTS * DM];
    gt_attack_result r1, r3;
    if (!run_attack(&f, names[a], &cfg, x1, &r1)) continue;
    cfg.eot = 3;
    if (run_attack(&f, names[a], &cfg, x3, &r3)) {
      for (int i = 0; i < NPTS; i++) {
        GT_CHECK(r1.success[i] == r3.success[i], "%s EOT 3: point %d outcome changed on a deterministic model",
                 names[a], i);
        GT_CHECK(r3.backward[i] == 3 * r1.backward[i], "%s EOT 3: point %d backward %lld vs %lld", names[a], i,
                 (long long)r3.backward[i], (long long)r1.backward[i]);
        if (r1.success[i])
          GT_CHECK(fabsf(r1.norm[i] - r3.norm[i]) <= 1e-4f * r1.norm[i], "%s EOT 3: point %d norm %g vs %g",
                   names[a], i, (double)r3.norm[i], (double)r1.norm[i]);
      }
      gt_attack_result_free(&r3);
    }
    gt_attack_result_free(&r1);
  }
  gt_toy_close(&f);
}

static void test_oracle_logits_grad(void) {
  make_linear_weights(KL);
  gt_toy f;
  if (!gt_toy_open(&f, "cpu", linear_graph())) return;
  make_points(&f, 0.0, 1.0, 5);
  gt_error err = {0};
  const int n = 5;
  for (int eot = 1; eot <= 3; eot += 2) {
    gt_oracle *o = NULL;
    if (!GT_CHECK(gt_oracle_create(f.m, eot, &o, &err) == GT_OK, "%s", err.message)) return;
    const gt_backend_iface *io = f.be->iface;
    void *x = NULL, *dl = NULL, *g = NULL, *z = NULL;
    io->buffer_alloc(f.be, n * DL * sizeof(float), &x, &err);
    io->buffer_alloc(f.be, n * KL * sizeof(float), &dl, &err);
    io->buffer_alloc(f.be, n * DL * sizeof(float), &g, &err);
    io->buffer_alloc(f.be, n * KL * sizeof(float), &z, &err);
    /* Row i: 2 z_{i % KL} - 0.5 z_{(i + 1) % KL}; its gradient is the same mix of W's rows. */
    float dl_h[5 * KL] = {0}, g_h[5 * DL], z_h[5 * KL], z_ref[5 * KL];
    for (int i = 0; i < n; i++) {
      dl_h[i * KL + i % KL] += 2.0f;
      dl_h[i * KL + (i + 1) % KL] -= 0.5f;
    }
    io->copy_to_device(f.be, x, f.x, n * DL * sizeof(float), &err);
    io->copy_to_device(f.be, dl, dl_h, sizeof dl_h, &err);
    gt_oracle_counts before = gt_oracle_get_counts(o);
    GT_CHECK(gt_oracle_logits_grad(o, x, n, dl, g, z, &err) == GT_OK, "%s", err.message);
    gt_oracle_counts after = gt_oracle_get_counts(o);
    GT_CHECK(after.forward - before.forward == eot * n && after.backward - before.backward == eot * n,
             "EOT %d: counted %lld forward, %lld backward", eot, (long long)(after.forward - before.forward),
             (long long)(after.backward - before.backward));
    io->copy_to_host(f.be, g_h, g, sizeof g_h, &err);
    io->copy_to_host(f.be, z_h, z, sizeof z_h, &err);
    gt_toy_logits(&f, f.x, n, z_ref);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < DL; j++) {
        double want = 0;
        for (int c = 0; c < KL; c++) want += (double)dl_h[i * KL + c] * g_wl[c * DL + j];
        GT_CHECK_CLOSE(g_h[i * DL + j], want, 1e-5, 1e-5, "gradient of a logit combination");
      }
      for (int c = 0; c < KL; c++) GT_CHECK(z_h[i * KL + c] == z_ref[i * KL + c], "logits row %d class %d", i, c);
    }
    GT_CHECK(gt_oracle_logits_grad(o, x, n, NULL, g, NULL, &err) == GT_ERR_USAGE, "NULL dlogits accepted");
    GT_CHECK(gt_oracle_logits_grad(o, x, MAXB + 1, dl, g, NULL, &err) == GT_ERR_USAGE, "batch beyond the max accepted");
    io->buffer_free(f.be, x);
    io->buffer_free(f.be, dl);
    io->buffer_free(f.be, g);
    io->buffer_free(f.be, z);
    gt_oracle_free(o);
  }
  gt_toy_close(&f);
}

/* ---- the committed cnn ---- */

static double median_norm(const gt_attack_result *r, int64_t *broken) {
  double v[64];
  int c = 0;
  *broken = 0;
  for (int64_t i = 0; i < r->n && c < 64; i++) {
    if (!r->clean_correct[i]) continue;
    v[c++] = r->success[i] ? r->norm[i] : INFINITY;
    *broken += r->success[i];
  }
  for (int a = 1; a < c; a++) /* insertion sort */
    for (int b = a; b > 0 && v[b] < v[b - 1]; b--) {
      double t = v[b];
      v[b] = v[b - 1];
      v[b - 1] = t;
    }
  return c ? v[c / 2] : NAN;
}

static void test_cnn_fixture(void) {
  int64_t n = quick() ? 8 : 24;
  gt_bench b;
  int ok = gt_bench_open(&b, &(gt_bench_spec){.model = "cnn", .backend = "cpu", .threads = 1, .max_batch = 64,
                                              .n = n, .skip_without_data = 1});
  /* One thread: DeepFool runs many small passes, whose OpenMP barriers cost far more than their
   * work on a busy machine (the cpu backend's threading is covered by the invariants above).
   * DeepFool and FMN at their defaults (FMN: 100 steps; 40 quick); C&W shortened: 9 search steps
   * of 100 Adam steps at learning rate 0.03 (its defaults, 1000 steps at 0.01, take minutes). */
  const char *names[3] = {"deepfool", "fmn", "cw-l2"};
  int steps[3] = {0, quick() ? 40 : 0, quick() ? 20 : 100};
  float lr[3] = {0.0f, 0.0f, 0.03f};
  double med[3] = {0, 0, 0}, secs[3] = {0, 0, 0};
  int64_t broken[3] = {0, 0, 0}, clean = 0;
  for (int a = 0; ok && a < 3; a++) {
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = GT_NORM_L2;
    cfg.steps = steps[a];
    cfg.step_size = lr[a];
    gt_attack_result r;
    double t0 = gt_bench_seconds();
    ok = gt_bench_run(&b, names[a], &cfg, NULL, &r);
    if (!ok) break;
    secs[a] = gt_bench_seconds() - t0;
    med[a] = median_norm(&r, &broken[a]);
    clean = r.n_clean_correct;
    GT_CHECK(r.n_unconfirmed == 0 && r.n_nonfinite == 0, "%s: %lld unconfirmed, %lld non-finite", names[a],
             (long long)r.n_unconfirmed, (long long)r.n_nonfinite);
    printf("    cnn L2, %lld points (%lld clean-correct): %-8s (%d steps) breaks %lld, median norm %.4f, %.1f s, "
           "%lld fwd %lld bwd\n",
           (long long)n, (long long)clean, names[a], r.config.steps, (long long)broken[a], med[a], secs[a],
           (long long)r.total.forward, (long long)r.total.backward);
    gt_attack_result_free(&r);
  }
  if (ok) {
    GT_CHECK(broken[0] == clean && broken[1] == clean, "deepfool broke %lld, fmn %lld of %lld", (long long)broken[0],
             (long long)broken[1], (long long)clean);
    GT_CHECK(med[1] <= 1.15 * med[0], "median L2: fmn %.4f vs deepfool %.4f", med[1], med[0]);
    if (!quick())
      GT_CHECK(broken[2] == clean && med[2] <= 1.6 * med[0], "cw-l2 broke %lld of %lld, median %.4f vs deepfool %.4f",
               (long long)broken[2], (long long)clean, med[2], med[0]);
  }
  gt_bench_close(&b);
}

/* ---- configurations ---- */

static void test_bad_configs(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 3);
  gt_attack_points pts = gt_toy_points(&f);
  gt_error err = {0};
  gt_attack_result r;
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.norm = GT_NORM_LINF;
  GT_CHECK(gt_attack_run("cw-l2", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "Linf"),
           "cw-l2 Linf: %s", err.message);
  cfg.norm = GT_NORM_L1;
  GT_CHECK(gt_attack_run("fmn", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "L1"),
           "fmn L1: %s", err.message);
  cfg.norm = GT_NORM_L2;
  cfg.eps = -1.0f;
  GT_CHECK(gt_attack_run("fmn", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "cap"),
           "negative eps: %s", err.message);
  cfg.eps = NAN;
  GT_CHECK(gt_attack_run("deepfool", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE, "NaN eps accepted");
  cfg.eps = 0.0f;
  cfg.step_size = 0.1f;
  GT_CHECK(gt_attack_run("deepfool", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "step"),
           "deepfool step size: %s", err.message);
  cfg.step_size = -1.0f;
  GT_CHECK(gt_attack_run("cw-l2", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE, "negative learning rate accepted");
  cfg.step_size = 0.0f;
  cfg.restarts = 2;
  GT_CHECK(gt_attack_run("fmn", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "restart"),
           "fmn restarts: %s", err.message);
  cfg.restarts = 0;
  cfg.loss = GT_LOSS_DLR;
  GT_CHECK(gt_attack_run("cw-l2", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "dlr"),
           "cw-l2 with DLR: %s", err.message);
  cfg.loss = GT_LOSS_CE;
  cfg.random_start = 1;
  GT_CHECK(gt_attack_run("fmn", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE, "fmn random start accepted");
  cfg.random_start = -1;
  cfg.targeted = GT_TARGET_RANDOM;
  GT_CHECK(gt_attack_run("deepfool", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "target"),
           "deepfool targeted: %s", err.message);
  cfg.targeted = GT_TARGET_NONE;
  cfg.steps = 2000000;
  GT_CHECK(gt_attack_run("deepfool", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE, "2e6 steps accepted");
  /* No points: a valid empty run; defaults are reported. */
  cfg.steps = 0;
  pts.n = 0;
  const char *names[3] = {"cw-l2", "deepfool", "fmn"};
  const int default_steps[3] = {1000, 50, 100};
  const float default_step[3] = {0.01f, 0.0f, 1.0f};
  for (int a = 0; a < 3; a++) {
    GT_CHECK(gt_attack_run(names[a], &cfg, f.m, &pts, NULL, &r, &err) == GT_OK && r.n == 0, "%s empty run: %s",
             names[a], err.message);
    GT_CHECK(r.config.steps == default_steps[a] && r.config.step_size == default_step[a] &&
                 r.config.loss == GT_LOSS_CW,
             "%s defaults: %d steps, step size %g, loss %s", names[a], r.config.steps, (double)r.config.step_size,
             gt_loss_name(r.config.loss));
    const gt_attack *at = gt_attack_find(names[a]);
    GT_CHECK(at && at->goal == GT_GOAL_MIN_NORM && at->access == GT_ACCESS_GRADIENT, "%s descriptor", names[a]);
    gt_attack_result_free(&r);
  }
  gt_toy_close(&f);
}

int main(void) {
  gt_test_run("closed form on a binary linear classifier", test_closed_form_binary);
  gt_test_run("closed form on a 4-class linear classifier", test_closed_form_multiclass);
  gt_test_run("invariants on ref", test_invariants_ref);
  gt_test_run("invariants on cpu", test_invariants_cpu);
  gt_test_run("eps is a cap", test_eps_cap);
  gt_test_run("EOT on a deterministic model", test_eot);
  gt_test_run("oracle gradient of a logit combination", test_oracle_logits_grad);
  gt_test_run("bad configurations", test_bad_configs);
  gt_test_run("cnn fixture: median L2 norms", test_cnn_fixture);
  return gt_test_finish();
}
