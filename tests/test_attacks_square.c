/* Tests of the Square attack (attacks/square.c, gauntlet/hd/square.h):
 *  - the square-size schedule (AutoAttack's, not rescaled) and the side it gives;
 *  - the L2 bump against an independent transcription of the reference's nested-box procedure;
 *  - the row functions: stripes, the L2 initial norm, the L2 update keeping the norm;
 *  - on hand-built models with image inputs: ||x_adv - x|| <= eps, x_adv in [0,1], confirmed
 *    successes, same seed -> same bytes, batch size and batch composition do not change a point's
 *    result (ref), no gradient is ever asked (the oracle's backward count stays 0), pass counts,
 *    targeted runs, and a linear classifier where the Linf answer is known in closed form;
 *  - on the committed Fashion-MNIST CNN: Square with a few hundred queries breaks a large part of
 *    the points and is not stronger than PGD-20 (white-box wins on a standard model). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/attack.h"
#include "gauntlet/backend.h"
#include "gauntlet/data.h"
#include "gauntlet/hd/logits.h"
#include "gauntlet/hd/project.h"
#include "gauntlet/hd/square.h"
#include "gauntlet/model.h"
#include "gauntlet/oracle.h"
#include "gt_test.h"
#include "support/attack_bench.h"
#include "support/attack_invariants.h"
#include "support/test_rng.h"
#include "support/toy_models.h"

#define NPTS GT_TOY_NPTS
#define MAXD GT_TOY_MAXD

/* ---- schedule and row math ---- */

static void test_schedule(void) {
  /* (iteration, expected p / p_init): halved after 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000. */
  const struct {
    int64_t it;
    double frac;
  } cases[] = {{0, 1},          {10, 1},          {11, 0.5},         {50, 0.5},         {51, 0.25},
               {200, 0.25},     {201, 0.125},     {500, 0.125},      {501, 1.0 / 16},   {1000, 1.0 / 16},
               {1001, 1.0 / 32}, {2000, 1.0 / 32}, {2001, 1.0 / 64},  {4000, 1.0 / 64},  {4001, 1.0 / 128},
               {4999, 1.0 / 128}, {6000, 1.0 / 128}, {6001, 1.0 / 256}, {8000, 1.0 / 256}, {8001, 1.0 / 512},
               {100000, 1.0 / 512}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double p = gt_square_p_selection(GT_SQUARE_P_INIT, cases[i].it);
    GT_CHECK(p == 0.8 * cases[i].frac, "p(%lld) = %g, want %g", (long long)cases[i].it, p, 0.8 * cases[i].frac);
  }
  /* Not rescaled: with a 5000-query budget the schedule still halves at 10, 50, ... (AutoAttack). */
  GT_CHECK(gt_square_p_selection(0.8, 4999) == 0.8 / 128, "last p of a 5000-query run");
  /* Sides: round(sqrt(p h w)); Linf >= 1; L2 >= 3 and odd; capped at min(h, w). */
  const struct {
    gt_norm norm;
    double p;
    int64_t c, h, w, side;
  } sides[] = {
      {GT_NORM_LINF, 0.8, 1, 28, 28, 25},   /* sqrt(627.2) = 25.04 */
      {GT_NORM_LINF, 0.4, 1, 28, 28, 18},   /* 17.71 */
      {GT_NORM_LINF, 0.8 / 64, 1, 28, 28, 3}, /* 3.13 */
      {GT_NORM_LINF, 0.8 / 512, 1, 28, 28, 1}, /* 1.11 */
      {GT_NORM_LINF, 0.8, 3, 32, 32, 29},   /* CIFAR: sqrt(819.2) = 28.62 */
      {GT_NORM_LINF, 0.05, 3, 32, 32, 7},   /* 7.16 */
      {GT_NORM_L2, 0.8, 1, 28, 28, 25},
      {GT_NORM_L2, 0.4, 1, 28, 28, 19},     /* 18 -> odd */
      {GT_NORM_L2, 0.8 / 512, 1, 28, 28, 3}, /* at least 3 */
      {GT_NORM_LINF, 0.8, 1, 2, 2, 2},      /* round(1.79) = 2 */
      {GT_NORM_L2, 0.8, 1, 2, 9, 2},        /* 3, capped at min(h, w) = 2 */
      {GT_NORM_LINF, 1.0, 1, 2, 8, 2},      /* 4, capped */
      {GT_NORM_LINF, 0.25, 1, 1, 25, 1},    /* 2.5 rounds half to even (2), then capped */
      {GT_NORM_LINF, 0.0625, 1, 6, 6, 2},   /* sqrt(2.25) = 1.5: half to even gives 2 */
      {GT_NORM_LINF, 0.25, 1, 5, 5, 2},     /* sqrt(6.25) = 2.5: half to even gives 2 */
  };
  for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
    int64_t s = gt_square_side(sides[i].norm, sides[i].p, sides[i].c, sides[i].h, sides[i].w);
    GT_CHECK(s == sides[i].side, "side case %zu: %lld, want %lld", i, (long long)s, (long long)sides[i].side);
  }
}

/* The reference's rectangle bump, transcribed independently: start from zeros and, for box k = 0,
 * 1, ..., max(rows/2, cols/2), add 1/(k+1)^2 on rows [rows/2 - k, rows/2 + k] and columns
 * [cols/2 - k, cols/2 + k] clipped to the rectangle; then scale to unit norm. */
static void reference_bump(int rows, int cols, double *out) {
  for (int i = 0; i < rows * cols; i++) out[i] = 0;
  int ci = rows / 2, cj = cols / 2, big = ci > cj ? ci : cj;
  for (int k = 0; k <= big; k++)
    for (int i = ci - k; i <= ci + k; i++)
      for (int j = cj - k; j <= cj + k; j++)
        if (i >= 0 && i < rows && j >= 0 && j < cols) out[i * cols + j] += 1.0 / ((k + 1.0) * (k + 1.0));
  double nn = 0;
  for (int i = 0; i < rows * cols; i++) nn += out[i] * out[i];
  for (int i = 0; i < rows * cols && nn > 0; i++) out[i] /= sqrt(nn);
}

static void test_eta_matches_reference(void) {
  static double top[40 * 40], bot[40 * 40], eta[40 * 40];
  for (int s = 1; s <= 31; s++) {
    int t = s / 2;
    reference_bump(t, s, top);
    reference_bump(s - t, s, bot);
    double nn = 0;
    for (int i = 0; i < s; i++)
      for (int j = 0; j < s; j++) {
        eta[i * s + j] = i < t ? top[i * s + j] : -bot[(i - t) * s + j];
        nn += eta[i * s + j] * eta[i * s + j];
      }
    gt_square_eta e = gt_square_eta_make(s);
    double got2 = 0, worst = 0;
    for (int i = 0; i < s; i++)
      for (int j = 0; j < s; j++) {
        double want = eta[i * s + j] / sqrt(nn);
        double got = gt_square_eta_at(&e, i, j, 0), got_t = gt_square_eta_at(&e, j, i, 1);
        got2 += got * got;
        double diff = fabs(got - want) > fabs(got_t - want) ? fabs(got - want) : fabs(got_t - want);
        if (diff > worst) worst = diff;
      }
    GT_CHECK(worst < 1e-12, "eta(%d) differs from the reference procedure by %g", s, worst);
    GT_CHECK(fabs(got2 - 1.0) < 1e-12, "eta(%d) has squared norm %.15g", s, got2);
    if (s >= 2) GT_CHECK(gt_square_eta_at(&e, 0, s / 2, 0) > 0 && gt_square_eta_at(&e, s - 1, s / 2, 0) < 0,
                         "eta(%d): upper half positive, lower half negative", s);
  }
}

static void test_rows(void) {
  enum { C = 3, H = 10, W = 10, Dd = C * H * W };
  static float x0[Dd], a[Dd], b[Dd];
  for (int i = 0; i < Dd; i++) x0[i] = 0.3f + 0.4f * (float)((i * 37) % 101) / 101.0f; /* interior */
  gt_rng_site site = {5, GT_RNG_STREAM_ATTACK, 0, 0, 77};
  /* Linf stripes: every column of a channel moves by the same +-eps. */
  gt_square_linf_init_row(x0, C, H, W, 0.1f, &site, a);
  int stripes = 1, plus = 0;
  for (int ch = 0; ch < C; ch++)
    for (int col = 0; col < W; col++) {
      float d0 = a[(ch * H) * W + col] - x0[(ch * H) * W + col];
      plus += d0 > 0;
      for (int r = 0; r < H; r++) {
        float dr = a[(ch * H + r) * W + col] - x0[(ch * H + r) * W + col];
        if (fabsf(fabsf(dr) - 0.1f) > 1e-6f || (dr > 0) != (d0 > 0)) stripes = 0;
      }
    }
  GT_CHECK(stripes, "Linf init is not vertical stripes of +-eps");
  GT_CHECK(plus > 5 && plus < 25, "Linf init signs: %d of 30 positive", plus);
  /* L2 init: on the sphere of radius eps when the box does not cut. */
  gt_square_l2_init_row(x0, C, H, W, 0.5f, &site, a);
  GT_CHECK_CLOSE(gt_lp_norm_row(GT_NORM_L2, a, x0, Dd), 0.5, 1e-6, 0, "L2 init norm");
  /* L2 update: with one channel the norm stays eps and only W1 u W2 changes; with three it is eps. */
  for (int c = 1; c <= 3; c += 2) {
    gt_square_l2_init_row(x0, c, H, W, 0.5f, &site, a);
    for (uint32_t step = 1; step <= 40; step++) {
      gt_rng_site st = site;
      st.step = step;
      int64_t s = 3 + 2 * (step % 3);
      gt_square_l2_step_row(a, x0, c, H, W, s, 0.5f, &st, b);
      GT_CHECK_CLOSE(gt_lp_norm_row(GT_NORM_L2, b, x0, c * H * W), 0.5, 1e-6, 0, "L2 step norm");
      if (c == 1) {
        int64_t r1 = gt_rng_below(gt_square_word(&st, GT_SQUARE_W_ROW1), (uint32_t)(H - s + 1));
        int64_t c1 = gt_rng_below(gt_square_word(&st, GT_SQUARE_W_COL1), (uint32_t)(W - s + 1));
        int64_t r2 = gt_rng_below(gt_square_word(&st, GT_SQUARE_W_ROW2), (uint32_t)(H - s + 1));
        int64_t c2 = gt_rng_below(gt_square_word(&st, GT_SQUARE_W_COL2), (uint32_t)(W - s + 1));
        double outside = 0;
        for (int r = 0; r < H; r++)
          for (int col = 0; col < W; col++)
            if (!gt_square_in_window(r, col, r1, c1, s) && !gt_square_in_window(r, col, r2, c2, s))
              outside = fmax(outside, fabs((double)b[r * W + col] - a[r * W + col]));
        GT_CHECK(outside < 1e-6, "L2 step moved a pixel outside both windows by %g", outside);
      }
      memcpy(a, b, sizeof(float) * (size_t)(c * H * W));
    }
  }
}

/* ---- hand-built models on images [c, h, w] ---- */

/* Binary linear classifier on [c, h, w]: logit_0 = 0, logit_1 = wv.x + b. */
static gt_graph *linear_graph(int64_t c, int64_t h, int64_t w, const float *wv, float b) {
  int64_t d = c * h * w;
  float W2[2 * MAXD] = {0}, B2[2] = {0, b};
  memcpy(W2 + d, wv, (size_t)d * sizeof(float));
  return gt_toy_linear_graph(c, h, w, 2, W2, B2);
}

/* [3, 4, 4] -> flatten -> fc [16] -> relu -> fc [5]. */
static gt_graph *mlp_graph(void) {
  return gt_toy_mlp_graph(&(gt_toy_mlp_spec){.c = 3, .h = 4, .w = 4, .hidden = 16, .k = 5, .seed = 99, .w1_range = 1});
}

/* Points uniform in [lo, hi] with every 7th label wrong; ids 500, 507, ... */
static void make_points(gt_toy *f, double lo, double hi, uint64_t seed) {
  gt_toy_make_points(f, lo, hi, seed, 500, 7);
}

static int run_square(gt_toy *f, const gt_attack_config *cfg, const gt_attack_points *pts, float *x_adv,
                      gt_attack_result *r) {
  gt_error err = {0};
  return GT_CHECK(gt_attack_run("square", cfg, f->m, pts, x_adv, r, &err) == GT_OK, "square: %s", err.message);
}

/* The invariants of a score-based run (attack_invariants.h); max_fwd is the most passes a point
 * may spend. */
static void check_invariants(gt_toy *f, const char *what, const gt_attack_result *r, const float *x_adv,
                             int64_t max_fwd) {
  const gt_toy_expect scores_only = {.bound = GT_TOY_ALL_WITHIN_EPS, .scores_only_max_forward = max_fwd};
  gt_toy_check_run(f, what, r, x_adv, &scores_only);
}

static int same_point(const gt_attack_result *a, int64_t i, const gt_attack_result *b, int64_t j, const float *xa,
                      const float *xb, int64_t d) {
  return a->success[i] == b->success[j] && a->adv_pred[i] == b->adv_pred[j] && a->norm[i] == b->norm[j] &&
         a->forward[i] == b->forward[j] && a->backward[i] == b->backward[j] &&
         !memcmp(xa + i * d, xb + j * d, (size_t)d * sizeof(float));
}

static int same_results(const gt_attack_result *a, const gt_attack_result *b, const float *xa, const float *xb,
                        int64_t d) {
  if (a->n != b->n) return 0;
  for (int64_t i = 0; i < a->n; i++)
    if (!same_point(a, i, b, i, xa, xb, d)) return 0;
  return 1;
}

static void invariants_on(const char *backend) {
  gt_toy f;
  if (!gt_toy_open(&f, backend, mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 7);
  const gt_norm norms[2] = {GT_NORM_LINF, GT_NORM_L2};
  const float eps[2] = {0.1f, 0.5f};
  for (int nm = 0; nm < 2; nm++) {
    char what[96];
    snprintf(what, sizeof what, "%s square %s", backend, gt_norm_name(norms[nm]));
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = norms[nm];
    cfg.eps = eps[nm];
    cfg.steps = 150;
    cfg.seed = 5;
    cfg.batch = 8;
    static float xa[NPTS * MAXD], xb[NPTS * MAXD], xc[NPTS * MAXD], xs[NPTS * MAXD];
    gt_attack_result a, b, big, other;
    if (!run_square(&f, &cfg, &(gt_attack_points){0}, NULL, &a)) continue; /* an empty run is valid */
    gt_attack_result_free(&a);
    gt_attack_points pts = gt_toy_points(&f);
    if (!run_square(&f, &cfg, &pts, xa, &a)) continue;
    GT_CHECK(a.config.steps == 150 && a.config.loss == GT_LOSS_CW, "%s: resolved config", what);
    check_invariants(&f, what, &a, xa, cfg.steps + 1);
    GT_CHECK(a.n_robust < a.n_clean_correct, "%s: broke nothing (%lld robust of %lld)", what, (long long)a.n_robust,
             (long long)a.n_clean_correct);
    GT_CHECK(a.n_robust > 0, "%s: eps too large for a meaningful test, everything broke", what);
    /* Same seed, same bytes; another seed, other draws. */
    run_square(&f, &cfg, &pts, xb, &b);
    GT_CHECK(same_results(&a, &b, xa, xb, f.d), "%s: a second run with the same seed differs", what);
    cfg.seed = 6;
    run_square(&f, &cfg, &pts, xs, &other);
    GT_CHECK(!same_results(&a, &other, xa, xs, f.d), "%s: seeds 5 and 6 gave identical runs", what);
    cfg.seed = 5;
    /* A larger batch changes nothing per point (ref: every row's math is its own). */
    cfg.batch = NPTS;
    run_square(&f, &cfg, &pts, xc, &big);
    if (!strcmp(backend, "ref"))
      GT_CHECK(same_results(&a, &big, xa, xc, f.d), "%s: batch 8 and batch 37 give different results", what);
    /* Neither does the company: every other point alone, with its original id. */
    if (!strcmp(backend, "ref")) {
      static float sx[NPTS * MAXD], sxa[NPTS * MAXD];
      int32_t sl[NPTS];
      int64_t sid[NPTS], n_sub = 0;
      for (int i = 1; i < NPTS; i += 2) {
        memcpy(sx + n_sub * f.d, f.x + i * f.d, (size_t)f.d * sizeof(float));
        sl[n_sub] = f.labels[i];
        sid[n_sub++] = f.ids[i];
      }
      gt_attack_points sub = {.n = n_sub, .x = sx, .labels = sl, .ids = sid};
      gt_attack_result rs;
      cfg.batch = 5;
      if (run_square(&f, &cfg, &sub, sxa, &rs)) {
        for (int64_t j = 0; j < n_sub; j++)
          GT_CHECK(same_point(&a, 2 * j + 1, &rs, j, xa, sxa, f.d), "%s: point %lld changed in another batch", what,
                   (long long)(2 * j + 1));
        gt_attack_result_free(&rs);
      }
    }
    gt_attack_result_free(&a);
    gt_attack_result_free(&b);
    gt_attack_result_free(&big);
    gt_attack_result_free(&other);
  }
  gt_toy_close(&f);
}

static void test_invariants_ref(void) { invariants_on("ref"); }
static void test_invariants_cpu(void) { invariants_on("cpu"); }

/* Never a gradient: run on an oracle of our own and read its meter. Surviving points spend
 * exactly queries + 1 forward passes per restart (the initial point and every update). */
static void test_scores_only_and_passes(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 8);
  gt_error err = {0};
  gt_oracle *o = NULL;
  if (!GT_CHECK(gt_oracle_create(f.m, 1, &o, &err) == GT_OK, "%s", err.message)) {
    gt_toy_close(&f);
    return;
  }
  const gt_attack *sq = gt_attack_find("square");
  GT_CHECK(sq && sq->access == GT_ACCESS_SCORES && sq->goal == GT_GOAL_BOUNDED, "square's descriptor");
  GT_CHECK(sq && sq->norms == (GT_NORM_BIT(GT_NORM_LINF) | GT_NORM_BIT(GT_NORM_L2)), "square's norms");
  for (int nm = 0; sq && nm < 2; nm++) {
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = nm ? GT_NORM_L2 : GT_NORM_LINF;
    cfg.eps = nm ? 0.2f : 0.03f; /* small: many points survive every query */
    cfg.steps = 40;
    cfg.restarts = 2;
    gt_attack_points pts = gt_toy_points(&f);
    gt_attack_result r;
    static float xa[NPTS * MAXD];
    if (!GT_CHECK(gt_attack_run_oracle(sq, &cfg, o, &pts, xa, &r, &err) == GT_OK, "%s", err.message)) continue;
    gt_oracle_counts cnt = gt_oracle_get_counts(o);
    GT_CHECK(cnt.backward == 0, "the oracle ran %lld backward passes", (long long)cnt.backward);
    check_invariants(&f, "passes", &r, xa, 2 * 41);
    int survivors = 0, broken = 0;
    for (int i = 0; i < NPTS; i++) {
      if (r.clean_correct[i] && !r.success[i]) {
        survivors++;
        GT_CHECK(r.forward[i] == 2 * 41, "survivor %d spent %lld passes, want 82", i, (long long)r.forward[i]);
      }
      broken += r.success[i];
    }
    GT_CHECK(survivors > 0 && broken > 0, "%s: %d survivors, %d broken: the eps does not test both",
             gt_norm_name(cfg.norm), survivors, broken);
    gt_attack_result_free(&r);
  }
  gt_oracle_free(o);
  gt_toy_close(&f);
}

/* Binary linear classifier on [1, 6, 6] with mixed-sign weights and the boundary through the
 * middle of the box: the Linf distance of x to the boundary is |f(x)| / ||w||_1, and the box does
 * not interfere for points in [0.4, 0.6]. With enough queries Square reaches the optimal vertex
 * (the last phase moves single pixels), so every point closer than 0.9 eps breaks and none beyond
 * eps does. */
static void test_linear_linf_closed_form(void) {
  enum { H = 6, W = 6, Dd = H * W };
  float wv[Dd];
  uint64_t state = 4242;
  double w1 = 0, half = 0;
  for (int j = 0; j < Dd; j++) {
    wv[j] = (float)((gt_test_lcg_uniform(&state) < 0.5 ? -1 : 1) * (0.5 + gt_test_lcg_uniform(&state)));
    w1 += fabs(wv[j]);
    half += 0.5 * wv[j];
  }
  gt_toy f;
  if (!gt_toy_open(&f, "ref", linear_graph(1, H, W, wv, (float)-half))) return;
  make_points(&f, 0.4, 0.6, 12);
  const float eps_list[3] = {0.003f, 0.006f, 0.01f};
  for (int e = 0; e < 3; e++) {
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.eps = eps_list[e];
    cfg.steps = 2000;
    gt_attack_points pts = gt_toy_points(&f);
    static float xa[NPTS * MAXD];
    gt_attack_result r;
    if (!run_square(&f, &cfg, &pts, xa, &r)) continue;
    check_invariants(&f, "linear", &r, xa, 2001);
    int near = 0, far = 0;
    for (int i = 0; i < NPTS; i++) {
      if (!r.clean_correct[i]) continue;
      double fx = -half;
      for (int j = 0; j < Dd; j++) fx += (double)wv[j] * f.x[i * Dd + j];
      double dist = fabs(fx) / w1;
      if (dist < 0.9 * cfg.eps) {
        near++;
        GT_CHECK(r.success[i], "eps %g: point %d at distance %g survived", (double)cfg.eps, i, dist);
      } else if (dist > 1.0001 * cfg.eps) {
        far++;
        GT_CHECK(!r.success[i], "eps %g: point %d at distance %g was broken", (double)cfg.eps, i, dist);
      }
    }
    GT_CHECK(near > 0 && far > 0, "eps %g: %d points below and %d beyond the threshold", (double)cfg.eps, near, far);
    gt_attack_result_free(&r);
  }
  gt_toy_close(&f);
}

static void test_targeted(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 21);
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.norm = GT_NORM_LINF;
  cfg.eps = 0.3f;
  cfg.steps = 100;
  cfg.targeted = GT_TARGET_TOP;
  cfg.n_target_ranks = 2;
  cfg.require_target_hit = 1;
  gt_attack_points pts = gt_toy_points(&f);
  static float xa[NPTS * MAXD];
  gt_attack_result r;
  if (!run_square(&f, &cfg, &pts, xa, &r)) {
    gt_toy_close(&f);
    return;
  }
  GT_CHECK(r.config.loss == GT_LOSS_CW_TARGETED, "targeted loss %s", gt_loss_name(r.config.loss));
  check_invariants(&f, "targeted", &r, xa, 2 * 101);
  int hits = 0;
  for (int i = 0; i < NPTS; i++)
    if (r.success[i]) {
      hits++;
      GT_CHECK(r.target[i] >= 0 && r.target[i] != f.labels[i], "point %d: target %d", i, r.target[i]);
    }
  GT_CHECK(hits > 0, "no target reached");
  gt_attack_result_free(&r);
  gt_toy_close(&f);
}

static void test_bad_configs(void) {
  gt_toy f;
  if (!gt_toy_open(&f, "ref", mlp_graph())) return;
  make_points(&f, 0.0, 1.0, 3);
  gt_attack_points pts = gt_toy_points(&f);
  gt_error err = {0};
  gt_attack_result r;
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.eps = 0.1f;
  cfg.norm = GT_NORM_L1;
  GT_CHECK(gt_attack_run("square", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "L1"),
           "L1: %s", err.message);
  cfg.norm = GT_NORM_LINF;
  cfg.eot = 3;
  GT_CHECK(gt_attack_run("square", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "EOT"),
           "EOT 3: %s", err.message);
  cfg.eot = 0;
  cfg.steps = -4;
  GT_CHECK(gt_attack_run("square", &cfg, f.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "queries"),
           "-4 queries: %s", err.message);
  /* eps 0 breaks nothing and moves nothing; the defaults are 5000 queries and one restart. */
  cfg.eps = 0.0f;
  cfg.steps = 3;
  static float xa[NPTS * MAXD];
  GT_CHECK(gt_attack_run("square", &cfg, f.m, &pts, xa, &r, &err) == GT_OK, "%s", err.message);
  GT_CHECK(r.n_robust == r.n_clean_correct && !memcmp(xa, f.x, sizeof(float) * (size_t)(NPTS * f.d)),
           "eps 0 changed something");
  gt_attack_result_free(&r);
  gt_attack_config def;
  gt_attack_config_init(&def);
  def.eps = 0.1f;
  pts.n = 0;
  GT_CHECK(gt_attack_run("square", &def, f.m, &pts, NULL, &r, &err) == GT_OK && r.config.steps == 5000 &&
               r.config.restarts == 1,
           "defaults: %d queries, %d restarts (%s)", r.config.steps, r.config.restarts, err.message);
  gt_attack_result_free(&r);
  gt_toy_close(&f);
}

/* ---- strength on the committed CNN ---- */

static void test_cnn_strength(void) {
  enum { N = 50 };
  gt_bench b;
  if (!gt_bench_open(&b, &(gt_bench_spec){.model = "cnn", .backend = "cpu", .max_batch = N, .n = N,
                                          .skip_without_data = 1})) {
    gt_bench_close(&b);
    return;
  }
  const char *names[3] = {"square", "pgd", "apgd-ce"};
  int64_t robust[3] = {-1, -1, -1}, clean = -1, d = b.d;
  float *xa = malloc((size_t)(N * d) * sizeof(float));
  for (int a = 0; xa && a < 3; a++) {
    if (!gt_attack_find(names[a])) continue; /* apgd-ce when it is registered */
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = GT_NORM_LINF;
    cfg.eps = 0.1f;
    cfg.steps = a == 0 ? 300 : 20;
    gt_attack_result r;
    if (!gt_bench_run(&b, names[a], &cfg, xa, &r)) continue;
    robust[a] = r.n_robust;
    clean = r.n_clean_correct;
    GT_CHECK(r.n_unconfirmed == 0 && r.n_over_eps == 0 && r.n_nonfinite == 0, "%s: unconfirmed / over eps", names[a]);
    for (int i = 0; i < N; i++) {
      double dist = gt_lp_norm_row(GT_NORM_LINF, xa + i * d, b.ds->images + i * d, d);
      GT_CHECK(dist <= 0.1 + 1e-6, "%s: point %d at %g", names[a], i, dist);
    }
    if (a == 0) GT_CHECK(r.total.backward == 0, "square ran %lld backward passes", (long long)r.total.backward);
    gt_attack_result_free(&r);
  }
  printf("    cnn, first %d test points, Linf eps 0.1: clean %lld, robust after square-300 %lld, pgd-20 %lld",
         N, (long long)clean, (long long)robust[0], (long long)robust[1]);
  if (robust[2] >= 0) printf(", apgd-ce-20 %lld", (long long)robust[2]);
  printf("\n");
  fflush(stdout);
  /* Square breaks a large part of the clean-correct points ... */
  GT_CHECK(robust[0] >= 0 && clean - robust[0] >= clean / 2, "square broke %lld of %lld", (long long)(clean - robust[0]),
           (long long)clean);
  /* ... but not more than the white-box attacks (beyond 2 points of noise). */
  GT_CHECK(robust[0] + 2 >= robust[1], "square (%lld robust) beats pgd-20 (%lld)", (long long)robust[0],
           (long long)robust[1]);
  if (robust[2] >= 0)
    GT_CHECK(robust[0] + 2 >= robust[2], "square (%lld robust) beats apgd-ce (%lld)", (long long)robust[0],
             (long long)robust[2]);
  free(xa);
  gt_bench_close(&b);
}

int main(void) {
  gt_test_run("square-size schedule and side", test_schedule);
  gt_test_run("L2 bump equals the reference procedure", test_eta_matches_reference);
  gt_test_run("row functions: stripes, L2 norm kept", test_rows);
  gt_test_run("invariants on ref", test_invariants_ref);
  gt_test_run("invariants on cpu", test_invariants_cpu);
  gt_test_run("scores only; pass counts", test_scores_only_and_passes);
  gt_test_run("linear classifier: the Linf closed form", test_linear_linf_closed_form);
  gt_test_run("targeted", test_targeted);
  gt_test_run("bad configurations and defaults", test_bad_configs);
  gt_test_run("cnn: square breaks points, white-box stays stronger", test_cnn_strength);
  return gt_test_finish();
}
