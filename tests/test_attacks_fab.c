/* FAB (attacks/fab*.c) and its pieces:
 *  - the hyperplane-and-box projection (gauntlet/hd/hyperplane.h) against brute-force references
 *    on small rows (L2: every KKT active set; Linf: bisection on the radius with an interval
 *    feasibility test; L1: every vertex of the LP), planes that miss the box, box-active cases,
 *    and the box-free closed forms on long rows;
 *  - the oracle's logit-difference gradients (gt_oracle_logit_diff_grads) against the CW loss
 *    gradient, one call of m differences against m calls, EOT and pass counts;
 *  - closed form: on a hand-built linear 4-class classifier, fab and fab-t find the minimal L2,
 *    Linf and L1 perturbation within 1% (the minimum over classes of the distance to the plane
 *    z_k = z_y inside the box, computed by the brute-force references);
 *  - bounded use: with eps set, points closer than eps are broken within eps, farther ones not;
 *  - invariants of every run on a small ReLU network, ref and cpu, every norm, bounded and
 *    unbounded: box, eps, confirmed successes, reported norms, same seed -> same bytes, batch size
 *    -> same per-point results on ref;
 *  - configurations FAB refuses;
 *  - on the committed cnn.onnx fixture: FAB's median L2 norm next to what PGD-L2 needs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/attack.h"
#include "gauntlet/backend.h"
#include "gauntlet/data.h"
#include "gauntlet/hd/hyperplane.h"
#include "gauntlet/hd/logits.h"
#include "gauntlet/hd/project.h"
#include "gauntlet/model.h"
#include "gauntlet/oracle.h"
#include "gt_test.h"
#include "support/attack_bench.h"
#include "support/attack_invariants.h"
#include "support/test_rng.h"
#include "support/toy_models.h"

#define DL 6   /* linear classifier: inputs [N, 1, 2, 3] */
#define KL 4
#define DM 4   /* ReLU network: inputs [N, 1, 2, 2] */
#define KM 5
#define HID 8
#define NPTS GT_TOY_NPTS
#define MAXD 8  /* brute-force references */

static uint64_t g_state = 1;
static double urand(void) { return gt_test_lcg_uniform(&g_state); }

static int quick(void) {
  const char *q = getenv("GAUNTLET_TEST_QUICK");
  return q && *q && strcmp(q, "0") != 0;
}

/* ---- brute-force references: min ||u|| s.t. g.u = r, lo <= u <= hi (lo <= 0 <= hi), d <= MAXD ---- */

static int pow3(int e) {
  int p = 1;
  for (int i = 0; i < e; i++) p *= 3;
  return p;
}

/* L2: the minimiser has, for some split of the coordinates into (at lo, at hi, free), u_free =
 * lambda g_free. Every split is tried; the feasible candidate of least norm is the answer. */
static double ref_l2(const double *g, double r, const double *lo, const double *hi, int d, double *best_u) {
  double best = INFINITY;
  for (int code = 0; code < pow3(d); code++) {
    double u[MAXD] = {0}, fixed = 0.0, gg = 0.0;
    int state[MAXD] = {0}, c = code;
    for (int i = 0; i < d; i++, c /= 3) {
      state[i] = c % 3;
      if (state[i] == 0) u[i] = lo[i];
      if (state[i] == 1) u[i] = hi[i];
      if (state[i] < 2) fixed += g[i] * u[i];
      else gg += g[i] * g[i];
    }
    double lam = 0.0;
    if (gg > 0.0) lam = (r - fixed) / gg;
    else if (fabs(r - fixed) > 1e-13) continue;
    int ok = 1;
    double n2 = 0.0;
    for (int i = 0; i < d; i++) {
      if (state[i] == 2) u[i] = lam * g[i];
      if (u[i] < lo[i] - 1e-13 || u[i] > hi[i] + 1e-13) ok = 0;
      n2 += u[i] * u[i];
    }
    if (ok && n2 < best) {
      best = n2;
      for (int i = 0; i < d; i++) best_u[i] = u[i];
    }
  }
  return sqrt(best);
}

/* Linf: the smallest t for which g.u can reach r with |u_i| <= t inside the box (the reachable
 * values form an interval), by bisection. */
static int linf_feasible(const double *g, double r, const double *lo, const double *hi, int d, double t) {
  double mn = 0.0, mx = 0.0;
  for (int i = 0; i < d; i++) {
    double a = lo[i] > -t ? lo[i] : -t, b = hi[i] < t ? hi[i] : t;
    mn += g[i] * a < g[i] * b ? g[i] * a : g[i] * b;
    mx += g[i] * a > g[i] * b ? g[i] * a : g[i] * b;
  }
  return mn <= r && r <= mx;
}

static double ref_linf(const double *g, double r, const double *lo, const double *hi, int d) {
  if (!linf_feasible(g, r, lo, hi, d, 1.0)) return INFINITY;
  double a = 0.0, b = 1.0;
  for (int it = 0; it < 200; it++) {
    double m = 0.5 * (a + b);
    if (linf_feasible(g, r, lo, hi, d, m)) b = m;
    else a = m;
  }
  return b;
}

/* L1: an LP; its optimum is at a vertex, where every coordinate but one sits at lo, 0 or hi. */
static double ref_l1(const double *g, double r, const double *lo, const double *hi, int d) {
  double best = INFINITY;
  for (int j = 0; j < d; j++) {
    if (g[j] == 0.0) continue;
    for (int code = 0; code < pow3(d - 1); code++) {
      double s = 0.0, cost = 0.0;
      int c = code;
      for (int i = 0; i < d; i++) {
        if (i == j) continue;
        double u = c % 3 == 0 ? lo[i] : (c % 3 == 1 ? 0.0 : hi[i]);
        c /= 3;
        s += g[i] * u;
        cost += fabs(u);
      }
      double uj = (r - s) / g[j];
      if (uj >= lo[j] - 1e-13 && uj <= hi[j] + 1e-13 && cost + fabs(uj) < best) best = cost + fabs(uj);
    }
  }
  if (r == 0.0) best = 0.0;
  return best;
}

/* Distance from x to the plane {z : w.(z - a) + f = 0} inside the box, in a norm (brute force). */
static double ref_distance(gt_norm norm, const float *x, const float *w, const float *a, double f, int d,
                           double *u_l2) {
  double g[MAXD], lo[MAXD], hi[MAXD], c = f;
  for (int i = 0; i < d; i++) {
    g[i] = w[i];
    lo[i] = -(double)x[i];
    hi[i] = 1.0 - (double)x[i];
    c += (double)w[i] * ((double)x[i] - (a ? (double)a[i] : 0.0));
  }
  double dummy[MAXD];
  if (norm == GT_NORM_L2) return ref_l2(g, -c, lo, hi, d, u_l2 ? u_l2 : dummy);
  if (norm == GT_NORM_LINF) return ref_linf(g, -c, lo, hi, d);
  return ref_l1(g, -c, lo, hi, d);
}

/* ---- 1. the projection against the references ---- */

static void test_projection_brute_force(void) {
  g_state = 101;
  int n_cases = quick() ? 800 : 3000, box_active = 0, missed = 0, compared = 0;
  double worst[GT_NORM_COUNT] = {0, 0, 0};
  for (int cs = 0; cs < n_cases; cs++) {
    int d = 1 + cs % 6;
    float x[MAXD], w[MAXD], a[MAXD], z[MAXD];
    double sum_w = 0.0;
    for (int i = 0; i < d; i++) {
      double u = urand();
      x[i] = u < 0.15 ? 0.0f : (u < 0.3 ? 1.0f : (float)urand());
      w[i] = urand() < 0.15 ? 0.0f : (float)(2 * urand() - 1);
      if (cs % 5 == 4) w[i] *= (float)pow(10.0, -3.0 * urand()); /* breakpoints over decades */
      a[i] = (float)urand();
      sum_w += fabs(w[i]);
    }
    const float *anchor = cs % 2 ? a : NULL;
    float f = (float)((2 * urand() - 1) * (cs % 7 == 0 ? 2.0 : 0.6) * sum_w);
    if (cs % 11 == 0) { /* the point is on the plane: nothing moves */
      anchor = x;
      f = 0.0f;
    }
    double c = f;
    for (int i = 0; i < d; i++) c += (double)w[i] * ((double)x[i] - (anchor ? (double)anchor[i] : 0.0));
    for (int norm = 0; norm < GT_NORM_COUNT; norm++) {
      double u_ref[MAXD];
      double ref = ref_distance((gt_norm)norm, x, w, anchor, f, d, u_ref);
      gt_hyperplane_project_row((gt_norm)norm, x, w, anchor, f, d, z);
      int in_box = 1;
      for (int i = 0; i < d; i++) in_box &= z[i] >= 0.0f && z[i] <= 1.0f;
      GT_CHECK(in_box, "case %d %s: left the box", cs, gt_norm_name((gt_norm)norm));
      double got = gt_lp_norm_row((gt_norm)norm, z, x, d);
      if (!isfinite(ref)) { /* the plane misses the box: the corner towards it */
        missed++;
        for (int i = 0; i < d; i++) {
          int dir = gt_hyperplane_dir(w[i], c);
          float want = dir > 0 ? 1.0f : (dir < 0 ? 0.0f : x[i]);
          GT_CHECK(z[i] == want, "case %d %s: coordinate %d is %g, the corner is %g", cs,
                   gt_norm_name((gt_norm)norm), i, (double)z[i], (double)want);
        }
        continue;
      }
      compared++;
      double err = fabs(got - ref);
      if (err > worst[norm]) worst[norm] = err;
      GT_CHECK(err <= 1e-6 + 1e-5 * ref, "case %d d=%d %s: norm %.9g, brute force %.9g", cs, d,
               gt_norm_name((gt_norm)norm), got, ref);
      double resid = f;
      for (int i = 0; i < d; i++) resid += (double)w[i] * ((double)z[i] - (anchor ? (double)anchor[i] : 0.0));
      GT_CHECK(fabs(resid) <= 1e-6 * (1.0 + sum_w), "case %d %s: off the plane by %g", cs,
               gt_norm_name((gt_norm)norm), resid);
      if (norm == GT_NORM_L2) {
        int active = 0;
        for (int i = 0; i < d; i++) {
          GT_CHECK(fabs((double)z[i] - (double)x[i] - u_ref[i]) <= 1e-6, "case %d L2: coordinate %d differs", cs, i);
          /* the box-free projection would leave the box here */
          double sum_g2 = 0.0;
          for (int j = 0; j < d; j++) sum_g2 += (double)w[j] * w[j];
          double free_u = sum_g2 > 0.0 ? -c * w[i] / sum_g2 : 0.0;
          active |= (double)x[i] + free_u < -1e-9 || (double)x[i] + free_u > 1.0 + 1e-9;
        }
        box_active += active;
      }
    }
  }
  printf("    %d comparisons, %d planes missing the box, %d L2 cases with the box active; worst |norm - brute "
         "force|: Linf %.2g, L2 %.2g, L1 %.2g\n",
         compared, missed, box_active, worst[GT_NORM_LINF], worst[GT_NORM_L2], worst[GT_NORM_L1]);
  GT_CHECK(box_active >= n_cases / 20, "only %d box-active cases", box_active);
  GT_CHECK(missed >= n_cases / 20, "only %d planes missing the box", missed);
}

/* Long rows: with a small offset the box does not bind and the projection is the box-free one,
 *   L2: u = -c w / ||w||_2^2;  Linf: u = -c sign(w) / ||w||_1;  L1: the largest |w_i| alone moves
 * by -c / w_i; with a large one the box binds and the point still lands on the plane. Timed. */
static void test_projection_long_rows(void) {
  g_state = 202;
  const int64_t d = 3072;
  float *x = malloc(d * sizeof(float)), *w = malloc(d * sizeof(float)), *z = malloc(d * sizeof(float));
  for (int64_t i = 0; i < d; i++) {
    x[i] = (float)(0.3 + 0.4 * urand());
    w[i] = (float)(2 * urand() - 1);
  }
  w[17] = 1.5f; /* the L1 move */
  double n1 = 0.0, n2 = 0.0;
  for (int64_t i = 0; i < d; i++) {
    n1 += fabs(w[i]);
    n2 += (double)w[i] * w[i];
  }
  /* The plane w.z + f = 0 with c = w.x + f about 0.25: a move the box allows in every norm. */
  const float f = (float)(0.25 - gt_hyperplane_value(x, w, NULL, 0.0f, d));
  double c = gt_hyperplane_value(x, w, NULL, f, d);
  for (int norm = 0; norm < GT_NORM_COUNT; norm++) {
    gt_hyperplane_project_row((gt_norm)norm, x, w, NULL, f, d, z);
    double worst = 0.0;
    for (int64_t i = 0; i < d; i++) {
      double u = norm == GT_NORM_L2 ? -c * w[i] / n2
                                    : (norm == GT_NORM_LINF ? (w[i] == 0.0f ? 0.0 : -c / n1 * (w[i] > 0 ? 1 : -1))
                                                            : (i == 17 ? -c / w[i] : 0.0));
      double e = fabs((double)z[i] - ((double)x[i] + u));
      if (e > worst) worst = e;
    }
    GT_CHECK(worst <= 1e-6, "%s box-free closed form: worst coordinate error %g", gt_norm_name((gt_norm)norm), worst);
  }
  /* Box-binding: an offset the free projection cannot reach inside the box. */
  double total = 0.0;
  for (int64_t i = 0; i < d; i++) total += fabs(w[i]) * (w[i] > 0 ? x[i] : 1.0 - x[i]);
  float f_big = (float)(-gt_hyperplane_value(x, w, NULL, 0.0f, d) + 0.8 * total);
  for (int norm = 0; norm < GT_NORM_COUNT; norm++) {
    int reps = norm == GT_NORM_L1 ? 20 : 50;
    double t0 = gt_bench_seconds();
    for (int r = 0; r < reps; r++) gt_hyperplane_project_row((gt_norm)norm, x, w, NULL, f_big, d, z);
    double per_row = (gt_bench_seconds() - t0) / reps;
    double resid = gt_hyperplane_value(z, w, NULL, f_big, d);
    int at_face = 0;
    for (int64_t i = 0; i < d; i++) at_face += z[i] == 0.0f || z[i] == 1.0f;
    printf("    d = %lld, box binding (%d coordinates on a face), %s: %.3f ms per row, residual %.2g\n", (long long)d,
           at_face, gt_norm_name((gt_norm)norm), 1e3 * per_row, resid);
    GT_CHECK(fabs(resid) <= 1e-6 * n1, "%s: the box-bound projection is off the plane by %g", gt_norm_name((gt_norm)norm),
             resid);
    GT_CHECK(at_face > 0, "%s: the box did not bind", gt_norm_name((gt_norm)norm));
  }
  free(x), free(w), free(z);
}

/* ---- models ---- */

static float g_wl[KL * DL], g_bl[KL];

/* Linear classifier on [N, 1, 2, 3], 4 classes, boundaries through the middle of the box:
 * b_k = -W_k . 0.5 + a small offset. */
static gt_graph *linear4_graph(void) {
  uint64_t state = 303;
  for (int k = 0; k < KL; k++) {
    double s = 0.0;
    for (int i = 0; i < DL; i++) {
      g_wl[k * DL + i] = (float)(2 * gt_test_lcg_uniform(&state) - 1);
      s += 0.5 * g_wl[k * DL + i];
    }
    g_bl[k] = (float)(-s + 0.05 * (2 * gt_test_lcg_uniform(&state) - 1));
  }
  return gt_toy_linear_graph(1, 2, 3, KL, g_wl, g_bl);
}

/* x [N,1,2,2] -> flatten -> fc1 [N,8] -> relu -> fc2 [N,5]. */
static gt_graph *mlp_graph(void) {
  return gt_toy_mlp_graph(&(gt_toy_mlp_spec){.c = 1, .h = 2, .w = 2, .hidden = HID, .k = KM, .seed = 99, .w1_range = 2});
}

/* Points in [lo, hi]^d with every 7th label wrong; ids 500, 505, ... */
static void make_points(gt_toy *f, double lo, double hi, uint64_t seed) {
  gt_toy_make_points(f, lo, hi, seed, 500, 5);
}

/* The invariants of a FAB run (attack_invariants.h): with eps > 0, successes within eps. */
static void check_invariants(gt_toy *f, const char *what, const gt_attack_result *r, const float *x_adv) {
  static const gt_toy_expect fab = {.bound = GT_TOY_BROKEN_WITHIN_EPS, .norm = GT_TOY_NORM_CLOSE};
  gt_toy_check_run(f, what, r, x_adv, &fab);
}

/* ---- 2. the oracle's logit differences ---- */

static void *dev_copy(gt_backend *be, const void *src, size_t bytes) {
  gt_error err = {0};
  void *p = NULL;
  be->iface->buffer_alloc(be, bytes, &p, &err);
  if (src) be->iface->copy_to_device(be, p, src, bytes, &err);
  return p;
}

static void test_oracle_diffs(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 41);
  gt_error err = {0};
  gt_backend *be = f.be;
  const int n = 7, m = KM - 1;
  int32_t labels[7], argc_[7], all[(KM - 1) * 7];
  float z[7 * KM];
  gt_toy_logits(&f, f.x, n, z);
  for (int i = 0; i < n; i++) {
    labels[i] = gt_logits_argmax(z + i * KM, KM);
    int best = -1;
    for (int j = 0; j < KM; j++)
      if (j != labels[i] && (best < 0 || z[i * KM + j] > z[i * KM + best])) best = j;
    argc_[i] = best;
    for (int j = 0; j < m; j++) all[j * n + i] = j < labels[i] ? j : j + 1;
  }
  float *x = dev_copy(be, f.x, (size_t)(n * DM) * 4);
  int32_t *lab = dev_copy(be, labels, sizeof labels), *cl1 = dev_copy(be, argc_, sizeof argc_),
          *cla = dev_copy(be, all, sizeof all);
  float *g_cw = dev_copy(be, NULL, (size_t)(n * DM) * 4), *loss = dev_copy(be, NULL, (size_t)n * 4);
  float *g1 = dev_copy(be, NULL, (size_t)(m * n * DM) * 4), *d1 = dev_copy(be, NULL, (size_t)(m * n) * 4);
  float *ga = dev_copy(be, NULL, (size_t)(m * n * DM) * 4), *da = dev_copy(be, NULL, (size_t)(m * n) * 4);
  float *lg = dev_copy(be, NULL, (size_t)(n * KM) * 4);
  gt_oracle *o = NULL, *o3 = NULL;
  GT_CHECK(gt_oracle_create(f.m, 1, &o, &err) == GT_OK, "%s", err.message);
  GT_CHECK(gt_oracle_create(f.m, 3, &o3, &err) == GT_OK, "%s", err.message);
  float h_cw[7 * DM], h_loss[7], h_g[(KM - 1) * 7 * DM], h_d[(KM - 1) * 7], h_ga[(KM - 1) * 7 * DM],
      h_da[(KM - 1) * 7], h_lg[7 * KM];
  /* CW = max_{j != y} z_j - z_y: its gradient is that of z_c - z_y for the runner-up c. */
  GT_CHECK(gt_oracle_loss_grad(o, x, n, GT_LOSS_CW, lab, NULL, loss, g_cw, NULL, &err) == GT_OK, "%s", err.message);
  gt_oracle_counts c0 = gt_oracle_get_counts(o);
  GT_CHECK(gt_oracle_logit_diff_grads(o, x, n, lab, cl1, 1, d1, g1, lg, &err) == GT_OK, "%s", err.message);
  gt_oracle_counts c1 = gt_oracle_get_counts(o);
  GT_CHECK(c1.forward - c0.forward == n && c1.backward - c0.backward == n, "one difference: %lld fwd %lld bwd",
           (long long)(c1.forward - c0.forward), (long long)(c1.backward - c0.backward));
  be->iface->copy_to_host(be, h_cw, g_cw, sizeof h_cw, &err);
  be->iface->copy_to_host(be, h_loss, loss, sizeof h_loss, &err);
  be->iface->copy_to_host(be, h_g, g1, (size_t)(n * DM) * 4, &err);
  be->iface->copy_to_host(be, h_d, d1, (size_t)n * 4, &err);
  be->iface->copy_to_host(be, h_lg, lg, sizeof h_lg, &err);
  for (int i = 0; i < n * DM; i++) GT_CHECK_CLOSE(h_g[i], h_cw[i], 1e-6, 1e-6, "gradient of z_c - z_y vs CW");
  for (int i = 0; i < n; i++) GT_CHECK_CLOSE(h_d[i], h_loss[i], 1e-6, 1e-6, "z_c - z_y vs CW loss");
  GT_CHECK(memcmp(h_lg, z, sizeof h_lg) == 0, "logits of the first pass");
  /* m differences in one call == m calls of one. */
  c0 = gt_oracle_get_counts(o);
  GT_CHECK(gt_oracle_logit_diff_grads(o, x, n, lab, cla, m, da, ga, NULL, &err) == GT_OK, "%s", err.message);
  c1 = gt_oracle_get_counts(o);
  GT_CHECK(c1.forward - c0.forward == n && c1.backward - c0.backward == (int64_t)m * n, "%d differences: counts", m);
  be->iface->copy_to_host(be, h_ga, ga, sizeof h_ga, &err);
  be->iface->copy_to_host(be, h_da, da, sizeof h_da, &err);
  for (int j = 0; j < m; j++) {
    GT_CHECK(gt_oracle_logit_diff_grads(o, x, n, lab, cla + j * n, 1, d1 + j * n, g1 + (size_t)j * n * DM, NULL, &err) ==
                 GT_OK,
             "%s", err.message);
  }
  be->iface->copy_to_host(be, h_g, g1, sizeof h_g, &err);
  be->iface->copy_to_host(be, h_d, d1, sizeof h_d, &err);
  GT_CHECK(memcmp(h_g, h_ga, sizeof h_g) == 0, "m differences in one call differ from m calls");
  GT_CHECK(memcmp(h_d, h_da, sizeof h_d) == 0, "differences in one call differ from m calls");
  for (int j = 0; j < m; j++)
    for (int i = 0; i < n; i++)
      GT_CHECK(h_da[j * n + i] == z[i * KM + all[j * n + i]] - z[i * KM + labels[i]], "difference %d of row %d", j, i);
  /* EOT 3 on a deterministic model: the same means, three times the passes. */
  c0 = gt_oracle_get_counts(o3);
  GT_CHECK(gt_oracle_logit_diff_grads(o3, x, n, lab, cla, m, d1, g1, NULL, &err) == GT_OK, "%s", err.message);
  c1 = gt_oracle_get_counts(o3);
  GT_CHECK(c1.forward - c0.forward == 3 * n && c1.backward - c0.backward == 3 * m * n, "EOT 3 counts");
  be->iface->copy_to_host(be, h_g, g1, sizeof h_g, &err);
  be->iface->copy_to_host(be, h_d, d1, sizeof h_d, &err);
  for (int i = 0; i < m * n * DM; i++) GT_CHECK_CLOSE(h_g[i], h_ga[i], 1e-6, 1e-5, "EOT gradient");
  for (int i = 0; i < m * n; i++) GT_CHECK_CLOSE(h_d[i], h_da[i], 1e-6, 1e-5, "EOT difference");
  /* Refusals. */
  GT_CHECK(gt_oracle_logit_diff_grads(o, x, n, lab, cla, 0, da, ga, NULL, &err) == GT_ERR_USAGE, "m = 0 accepted");
  GT_CHECK(gt_oracle_logit_diff_grads(o, x, n, lab, cla, KM + 1, da, ga, NULL, &err) == GT_ERR_USAGE, "m > k accepted");
  int32_t bad[7];
  memcpy(bad, argc_, sizeof bad);
  bad[3] = KM;
  be->iface->copy_to_device(be, cl1, bad, sizeof bad, &err);
  GT_CHECK(gt_oracle_logit_diff_grads(o, x, n, lab, cl1, 1, d1, g1, NULL, &err) == GT_ERR_USAGE &&
               strstr(err.message, "class"),
           "class %d accepted: %s", KM, err.message);
  gt_oracle_free(o);
  gt_oracle_free(o3);
  void *bufs[] = {x, lab, cl1, cla, g_cw, loss, g1, d1, ga, da, lg};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) be->iface->buffer_free(be, bufs[i]);
  gt_toy_close(&f);
}

/* ---- 3. closed form on the linear classifier ---- */

/* Minimal perturbation of point i of the linear classifier in a norm, inside the box: the minimum
 * over classes k != y of the distance to the plane (w_k - w_y).z + b_k - b_y = 0 (brute force).
 * *k_free: the class with the least box-free distance |margin| / ||w_k - w_y||_q; *free_ok: its
 * box-free distance is the answer (the box does not bind). *by_class [KL]: each class's distance. */
static double linear_min_distance(const gt_toy *f, int i, gt_norm norm, int *k_free, int *free_ok, double *by_class) {
  const float *x = f->x + i * DL;
  int y = f->labels[i];
  double best = INFINITY, best_free = INFINITY, free_of_best = INFINITY;
  for (int k = 0; k < KL; k++) {
    by_class[k] = INFINITY;
    if (k == y) continue;
    float w[DL];
    double q = 0.0;
    for (int j = 0; j < DL; j++) {
      w[j] = g_wl[k * DL + j] - g_wl[y * DL + j];
      double a = fabs(w[j]);
      if (norm == GT_NORM_L2) q += a * a;
      else if (norm == GT_NORM_LINF) q += a;
      else if (a > q) q = a;
    }
    if (norm == GT_NORM_L2) q = sqrt(q);
    double off = (double)g_bl[k] - (double)g_bl[y], margin = off;
    for (int j = 0; j < DL; j++) margin += (double)w[j] * x[j];
    by_class[k] = ref_distance(norm, x, w, NULL, off, DL, NULL);
    double free_dist = fabs(margin) / q;
    if (by_class[k] < best) best = by_class[k];
    if (free_dist < best_free) {
      best_free = free_dist;
      *k_free = k;
      free_of_best = by_class[k];
    }
  }
  *free_ok = fabs(free_of_best - best_free) <= 1e-9 * (1.0 + best_free) && fabs(best - best_free) <= 1e-9 * (1.0 + best);
  return best;
}

/* The top-2 class of point i (FAB-T's first target). */
static int second_class(gt_toy *f, int i) {
  float z[KL];
  gt_toy_logits(f, f->x + i * DL, 1, z);
  int32_t top[2];
  gt_logits_topk(z, KL, 2, top);
  return top[1];
}

static void test_closed_form(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", linear4_graph())) return;
  make_points(&f, 0.3, 0.7, 51);
  const char *names[2] = {"fab", "fab-t"};
  for (int a = 0; a < 2; a++)
    for (int norm = 0; norm < GT_NORM_COUNT; norm++) {
      gt_attack_config cfg;
      gt_attack_config_init(&cfg);
      cfg.norm = (gt_norm)norm;
      cfg.eps = 0.0f; /* unbounded: minimum norm */
      float xa[NPTS * DL];
      gt_attack_result r;
      if (!gt_toy_attack_ok(&f, names[a], &cfg, xa, &r)) continue;
      char what[64];
      snprintf(what, sizeof what, "%s %s unbounded", names[a], gt_norm_name((gt_norm)norm));
      check_invariants(&f, what, &r, xa);
      double worst = 0.0, mean = 0.0;
      int exact = 0, loose = 0;
      for (int i = 0; i < NPTS; i++) {
        if (!r.clean_correct[i]) continue;
        int k_free = -1, free_ok = 0;
        double by_class[KL];
        double ref = linear_min_distance(&f, i, (gt_norm)norm, &k_free, &free_ok, by_class);
        if (!isfinite(ref)) {
          GT_CHECK(!r.success[i], "%s: point %d broken, but no boundary is reachable", what, i);
          continue;
        }
        if (!GT_CHECK(r.success[i], "%s: point %d (distance %g) not broken", what, i, ref)) continue;
        double got = r.norm[i];
        GT_CHECK(got >= ref * (1 - 1e-5) - 1e-7, "%s: point %d at %.9g, below the minimum %.9g", what, i, got, ref);
        /* fab: the nearest linearised boundary is the nearest one when the box does not bind;
         * fab-t: its first target must be that class, else it may stop at a farther boundary. */
        int comparable = free_ok && (a == 0 || k_free == second_class(&f, i));
        if (comparable) {
          double rel = (got - ref) / ref;
          if (rel > worst) worst = rel;
          mean += rel;
          exact++;
          GT_CHECK(rel <= 0.01, "%s: point %d at %.9g, minimum %.9g (+%.3f%%)", what, i, got, ref, 100 * rel);
        } else {
          loose++;
          if (a == 1) {
            int t = second_class(&f, i);
            GT_CHECK(got <= by_class[t] * 1.01 + 1e-7, "%s: point %d at %.9g beyond its target's boundary %.9g",
                     what, i, got, by_class[t]);
          }
        }
      }
      printf("    %-6s %-4s: %d points at the closed form, worst +%.4f%%, mean +%.4f%% (%d others checked as "
             "bounds)\n",
             names[a], gt_norm_name((gt_norm)norm), exact, 100 * worst, exact ? 100 * mean / exact : 0.0, loose);
      GT_CHECK(exact >= 12, "%s: only %d points compared", what, exact);
      gt_attack_result_free(&r);
    }
  gt_toy_close(&f);
}

/* ---- 4. bounded use ---- */

static void test_bounded(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", linear4_graph())) return;
  make_points(&f, 0.3, 0.7, 61);
  for (int norm = 0; norm < GT_NORM_COUNT; norm++) {
    double refs[NPTS];
    int n_ref = 0;
    for (int i = 0; i < NPTS; i++) {
      int k_free, free_ok;
      double by_class[KL];
      if (i % 7 == 6) continue; /* clean-misclassified (make_points) */
      double d = linear_min_distance(&f, i, (gt_norm)norm, &k_free, &free_ok, by_class);
      if (isfinite(d)) refs[n_ref++] = d;
    }
    /* eps: the median distance */
    for (int a = 0; a < n_ref; a++)
      for (int b = a + 1; b < n_ref; b++)
        if (refs[b] < refs[a]) {
          double t = refs[a];
          refs[a] = refs[b];
          refs[b] = t;
        }
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = (gt_norm)norm;
    cfg.eps = (float)refs[n_ref / 2];
    float xa[NPTS * DL];
    gt_attack_result r;
    if (!gt_toy_attack_ok(&f, "fab", &cfg, xa, &r)) continue;
    char what[64];
    snprintf(what, sizeof what, "fab %s eps %g", gt_norm_name((gt_norm)norm), (double)cfg.eps);
    check_invariants(&f, what, &r, xa);
    int below = 0, above = 0;
    for (int i = 0; i < NPTS; i++) {
      if (!r.clean_correct[i]) continue;
      int k_free, free_ok;
      double by_class[KL];
      double d = linear_min_distance(&f, i, (gt_norm)norm, &k_free, &free_ok, by_class);
      if (d > cfg.eps) {
        above++;
        GT_CHECK(!r.success[i], "%s: point %d at distance %g broken", what, i, d);
      } else if (d < cfg.eps / 1.02 && free_ok) {
        below++;
        GT_CHECK(r.success[i], "%s: point %d at distance %g survived", what, i, d);
      }
    }
    GT_CHECK(below >= 5 && above >= 5, "%s: %d points below and %d above eps", what, below, above);
    gt_attack_result_free(&r);
  }
  gt_toy_close(&f);
}

/* ---- 5. invariants on a small ReLU network ---- */

static void invariants_on(const char *backend) {
  gt_toy f;
  if (!gt_toy_open(&f, backend, mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 71);
  const char *names[2] = {"fab", "fab-t"};
  const float eps[GT_NORM_COUNT] = {0.15f, 0.3f, 0.4f};
  for (int a = 0; a < 2; a++)
    for (int norm = 0; norm < GT_NORM_COUNT; norm++)
      for (int bounded = 0; bounded < 2; bounded++) {
        char what[96];
        snprintf(what, sizeof what, "%s %s %s %s", backend, names[a], gt_norm_name((gt_norm)norm),
                 bounded ? "bounded" : "unbounded");
        gt_attack_config cfg;
        gt_attack_config_init(&cfg);
        cfg.norm = (gt_norm)norm;
        cfg.eps = bounded ? eps[norm] : 0.0f;
        cfg.steps = 30;
        cfg.seed = 9;
        cfg.batch = 8;
        cfg.restarts = norm == GT_NORM_L2 ? 2 : 1; /* random restarts */
        if (a == 1) cfg.n_target_ranks = 0;
        float xa[NPTS * DM], xb[NPTS * DM], xc[NPTS * DM];
        gt_attack_result r1, r2, r3;
        if (!gt_toy_attack_ok(&f, names[a], &cfg, xa, &r1)) continue;
        check_invariants(&f, what, &r1, xa);
        if (a == 1)
          GT_CHECK(r1.config.targeted == GT_TARGET_TOP && r1.config.n_target_ranks == KM - 1,
                   "%s: fab-t ran %s with %d ranks (9 capped at classes - 1)",
                   what, gt_target_mode_name(r1.config.targeted), r1.config.n_target_ranks);
        GT_CHECK(r1.n_robust < r1.n_clean_correct, "%s: nothing broken", what);
        if (!bounded) GT_CHECK(r1.n_robust <= 2, "%s: %lld points survive an unbounded run", what, (long long)r1.n_robust);
        gt_toy_attack_ok(&f, names[a], &cfg, xb, &r2);
        GT_CHECK(gt_toy_same_results(&r1, &r2, xa, xb, DM), "%s: the same seed gave different results", what);
        cfg.batch = NPTS;
        gt_toy_attack_ok(&f, names[a], &cfg, xc, &r3);
        if (!strcmp(backend, "ref"))
          GT_CHECK(gt_toy_same_results(&r1, &r3, xa, xc, DM), "%s: batch 8 and batch 37 differ", what);
        else
          check_invariants(&f, what, &r3, xc);
        gt_attack_result_free(&r1);
        gt_attack_result_free(&r2);
        gt_attack_result_free(&r3);
      }
  gt_toy_close(&f);
}

static void test_invariants_ref(void) { invariants_on("ref"); }
static void test_invariants_cpu(void) { invariants_on("cpu"); }

/* Targeted modes of fab: the target class to hit; restarts and seeds; pass counts. */
static void test_targets_restarts_passes(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 81);
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.norm = GT_NORM_L2;
  cfg.eps = 0.0f;
  cfg.steps = 20;
  cfg.targeted = GT_TARGET_TOP;
  cfg.n_target_ranks = 2;
  cfg.require_target_hit = 1;
  float xa[NPTS * DM], xb[NPTS * DM];
  gt_attack_result r, r2;
  if (gt_toy_attack_ok(&f, "fab", &cfg, xa, &r)) {
    check_invariants(&f, "fab targeted, hit", &r, xa);
    GT_CHECK(r.n_robust < r.n_clean_correct, "targeted fab with hit broke nothing");
    gt_attack_result_free(&r);
  }
  /* Untargeted passes of a point that never breaks within a tiny eps: per step one forward and
   * k - 1 backward for the Jacobian plus one forward for the new iterate; no final search. */
  gt_attack_config_init(&cfg);
  cfg.norm = GT_NORM_LINF;
  cfg.eps = 1e-4f;
  cfg.steps = 6;
  if (gt_toy_attack_ok(&f, "fab", &cfg, xa, &r)) {
    int survivors = 0;
    for (int i = 0; i < NPTS; i++)
      if (r.clean_correct[i] && !r.success[i]) {
        survivors++;
        int64_t fwd_base = 6 * 2, fwd_search = fwd_base + 2 + 3;
        GT_CHECK(r.backward[i] == 6 * (KM - 1) && (r.forward[i] == fwd_base || r.forward[i] == fwd_search),
                 "point %d: %lld forward, %lld backward", i, (long long)r.forward[i], (long long)r.backward[i]);
      }
    GT_CHECK(survivors > 0, "no survivor to count passes on");
    /* EOT 2 on a deterministic model: the same outcome, the Jacobian's passes twice. */
    cfg.eot = 2;
    if (gt_toy_attack_ok(&f, "fab", &cfg, xb, &r2)) {
      for (int i = 0; i < NPTS; i++) {
        GT_CHECK(r2.success[i] == r.success[i] && r2.norm[i] == r.norm[i], "EOT 2 changed point %d", i);
        if (r.clean_correct[i] && !r.success[i])
          GT_CHECK(r2.backward[i] == 2 * r.backward[i] && r2.forward[i] == r.forward[i] + 6,
                   "EOT 2 passes of point %d: %lld / %lld", i, (long long)r2.forward[i], (long long)r2.backward[i]);
      }
      gt_attack_result_free(&r2);
    }
    gt_attack_result_free(&r);
  }
  /* Restarts: different seeds draw different starts; more restarts never give larger norms. */
  gt_attack_config_init(&cfg);
  cfg.norm = GT_NORM_LINF;
  cfg.steps = 10;
  cfg.restarts = 3;
  cfg.seed = 1;
  if (gt_toy_attack_ok(&f, "fab", &cfg, xa, &r)) {
    check_invariants(&f, "fab 3 restarts", &r, xa);
    cfg.seed = 2;
    if (gt_toy_attack_ok(&f, "fab", &cfg, xb, &r2)) {
      GT_CHECK(memcmp(xa, xb, sizeof xa) != 0, "seeds 1 and 2 gave the same points");
      gt_attack_result_free(&r2);
    }
    cfg.restarts = 1;
    cfg.seed = 1;
    if (gt_toy_attack_ok(&f, "fab", &cfg, xb, &r2)) {
      int worse = 0;
      for (int i = 0; i < NPTS; i++)
        if (r2.success[i] && (!r.success[i] || r.norm[i] > r2.norm[i] * (1 + 1e-6f))) worse++;
      GT_CHECK(worse == 0, "%d points got a larger norm with 3 restarts than with 1", worse);
      gt_attack_result_free(&r2);
    }
    gt_attack_result_free(&r);
  }
  gt_toy_close(&f);
}

static void test_bad_configs(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 91);
  gt_attack_points pts = gt_toy_points(&f);
  gt_error err = {0};
  gt_attack_result r;
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.eps = -0.1f;
  GT_CHECK(gt_attack_run("fab", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "eps"),
           "negative eps: %s", err.message);
  cfg.eps = NAN;
  GT_CHECK(gt_attack_run("fab", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE, "NaN eps accepted");
  cfg.eps = 0.1f;
  cfg.step_size = 0.01f;
  GT_CHECK(gt_attack_run("fab", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "step size"),
           "step size: %s", err.message);
  cfg.step_size = 0.0f;
  cfg.random_start = 0;
  cfg.restarts = 2;
  GT_CHECK(gt_attack_run("fab-t", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "restart"),
           "restarts without random starts: %s", err.message);
  cfg.restarts = 1;
  cfg.steps = -3;
  GT_CHECK(gt_attack_run("fab", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE, "negative steps accepted");
  const gt_attack *a = gt_attack_find("fab"), *t = gt_attack_find("fab-t");
  GT_CHECK(a && t && a->goal == GT_GOAL_MIN_NORM && t->goal == GT_GOAL_MIN_NORM && a->norms == 7u && t->norms == 7u,
           "fab / fab-t descriptors");
  /* +inf eps: unbounded, like 0. */
  gt_attack_config_init(&cfg);
  cfg.eps = INFINITY;
  cfg.steps = 5;
  GT_CHECK(gt_attack_run("fab", &cfg, f.m, &pts, NULL, &r, &err) == GT_OK, "%s", err.message);
  GT_CHECK(r.n_robust < r.n_clean_correct, "eps +inf broke nothing");
  gt_attack_result_free(&r);
  gt_toy_close(&f);
}

/* ---- 6. the cnn fixture: FAB-L2 norms next to PGD-L2 ---- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y ? 1 : 0);
}

static void test_cnn_fixture(void) {
  int64_t n = quick() ? 10 : 30;
  int steps = quick() ? 20 : 100; /* 100: FAB's default */
  gt_bench b; /* 1 thread: steady under load */
  if (!gt_bench_open(&b, &(gt_bench_spec){.model = "cnn", .backend = "cpu", .threads = 1, .max_batch = 64, .n = n,
                                          .skip_without_data = 1})) {
    gt_bench_close(&b);
    return;
  }
  const gt_dataset *ds = b.ds;
  gt_error err = {0};
  gt_attack_result fab;
  memset(&fab, 0, sizeof fab);
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.norm = GT_NORM_L2;
  cfg.steps = steps;
  double t0 = gt_bench_seconds();
  int ok = gt_bench_run(&b, "fab", &cfg, NULL, &fab);
  double t_fab = gt_bench_seconds() - t0;
  /* PGD-L2 (10 steps) on a grid of radii, each radius on the points the smaller ones left: the
   * smallest radius that breaks each point. */
  static const float grid[] = {0.25f, 0.5f, 0.75f, 1.0f, 1.5f, 2.5f};
  const int n_grid = (int)(sizeof grid / sizeof grid[0]);
  int64_t d = b.d, c = 0, left = 0;
  double *need = malloc((size_t)n * sizeof(double)), *fnorm = malloc((size_t)n * sizeof(double));
  float *xs = malloc((size_t)(n * d) * sizeof(float));
  int32_t *ls = malloc((size_t)n * sizeof(int32_t));
  int64_t *ids = malloc((size_t)n * sizeof(int64_t)), *pick = malloc((size_t)n * sizeof(int64_t));
  for (int64_t i = 0; i < n; i++) need[i] = INFINITY;
  t0 = gt_bench_seconds();
  for (int e = 0; ok && e < n_grid; e++) {
    left = 0;
    for (int64_t i = 0; i < n; i++)
      if (fab.clean_correct[i] && !isfinite(need[i])) {
        memcpy(xs + left * d, ds->images + i * d, (size_t)d * sizeof(float));
        ls[left] = ds->labels[i];
        ids[left] = i;
        pick[left++] = i;
      }
    if (left == 0) break;
    gt_attack_points pts = {.n = left, .x = xs, .labels = ls, .ids = ids, .targets = NULL};
    gt_attack_config pc;
    gt_attack_config_init(&pc);
    pc.norm = GT_NORM_L2;
    pc.eps = grid[e];
    gt_attack_result pr;
    ok = GT_CHECK(gt_attack_run("pgd", &pc, b.m, &pts, NULL, &pr, &err) == GT_OK, "%s", err.message);
    for (int64_t j = 0; ok && j < left; j++)
      if (pr.success[j]) need[pick[j]] = grid[e];
    if (ok) gt_attack_result_free(&pr);
  }
  double t_pgd = gt_bench_seconds() - t0;
  if (ok) {
    int64_t broken_pgd = 0, broken_fab = 0;
    for (int64_t i = 0; i < n; i++) {
      if (!fab.clean_correct[i]) continue;
      fnorm[c] = fab.success[i] ? fab.norm[i] : INFINITY;
      need[c] = need[i];
      broken_fab += fab.success[i];
      broken_pgd += isfinite(need[i]);
      c++;
    }
    qsort(fnorm, (size_t)c, sizeof(double), cmp_double);
    qsort(need, (size_t)c, sizeof(double), cmp_double);
    double med_fab = fnorm[c / 2], med_pgd = need[c / 2];
    printf("    cnn L2, %lld points (%lld clean-correct): fab (%d steps) breaks %lld, median norm %.4f, %.1f s, %lld fwd "
           "%lld bwd; pgd-10 on the grid breaks %lld, median radius needed %.2f (%.1f s)\n",
           (long long)n, (long long)c, steps, (long long)broken_fab, med_fab, t_fab, (long long)fab.total.forward,
           (long long)fab.total.backward, (long long)broken_pgd, med_pgd, t_pgd);
    GT_CHECK(fab.n_unconfirmed == 0 && fab.n_nonfinite == 0, "fab: %lld unconfirmed, %lld non-finite",
             (long long)fab.n_unconfirmed, (long long)fab.n_nonfinite);
    GT_CHECK(broken_fab >= broken_pgd, "fab broke %lld points, pgd %lld", (long long)broken_fab, (long long)broken_pgd);
    GT_CHECK(med_fab <= 1.25 * med_pgd && med_fab >= 0.35 * med_pgd, "median L2: fab %.4f vs pgd %.2f", med_fab,
             med_pgd);
  }
  free(need), free(fnorm), free(xs), free(ls), free(ids), free(pick);
  gt_attack_result_free(&fab);
  gt_bench_close(&b);
}

int main(void) {
  gt_test_run("hyperplane-and-box projection vs brute force", test_projection_brute_force);
  gt_test_run("projection on long rows: closed forms, box binding, time", test_projection_long_rows);
  gt_test_run("oracle logit-difference gradients", test_oracle_diffs);
  gt_test_run("closed form: minimal L2, Linf, L1 perturbations of a linear classifier", test_closed_form);
  gt_test_run("bounded use: the eps threshold", test_bounded);
  gt_test_run("invariants on ref", test_invariants_ref);
  gt_test_run("invariants on cpu", test_invariants_cpu);
  gt_test_run("targets, restarts, pass counts", test_targets_restarts_passes);
  gt_test_run("bad configurations", test_bad_configs);
  gt_test_run("cnn fixture: fab-L2 median norm vs pgd-L2", test_cnn_fixture);
  return gt_test_finish();
}
