/* Tests of the shared row math for attacks: the Philox4x32-10 RNG (Random123 known-answer vectors,
 * draw layout, statistics), the projections (the exact L1-ball-and-box projection against an
 * independent Dykstra reference in double on small vectors), the steepest-ascent directions, and
 * the logits helpers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/hd/logits.h"
#include "gauntlet/hd/project.h"
#include "gauntlet/hd/rng.h"
#include "gt_test.h"
#include "support/test_rng.h"

/* ---- a tiny deterministic generator for test data (not the one under test) ---- */
static uint64_t g_state = 1;
static double urand(void) { return gt_test_lcg_uniform(&g_state); }

/* ---- RNG ---- */

static void test_philox_kat(void) {
  /* Random123's kat_vectors, "philox4x32 10" lines: counter, key, expected output. */
  static const uint32_t cases[3][10] = {
      {0, 0, 0, 0, 0, 0, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
      {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu,
       0xa20bc7c6u, 0x6d5451fdu},
      {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu,
       0x5001e420u, 0x24126ea1u},
  };
  for (int c = 0; c < 3; c++) {
    uint32_t out[4];
    gt_philox4x32_10(cases[c], cases[c] + 4, out);
    for (int j = 0; j < 4; j++)
      GT_CHECK(out[j] == cases[c][6 + j], "case %d word %d: %08x, want %08x", c, j, out[j], cases[c][6 + j]);
  }
}

static void test_rng_layout(void) {
  gt_rng_site s = {0x0123456789abcdefull, GT_RNG_STREAM_START, 7, 3, 12345};
  /* The counter packing documented in rng.h. */
  uint32_t a[4], b[4];
  gt_rng_block(&s, 5, a);
  uint32_t ctr[4] = {5, 3, (GT_RNG_STREAM_START << 24) | 7u, 12345u};
  uint32_t key[2] = {0x89abcdefu, 0x01234567u};
  gt_philox4x32_10(ctr, key, b);
  GT_CHECK(memcmp(a, b, sizeof a) == 0, "gt_rng_block does not follow the documented counter layout");
  /* Element j of a row is draw j, whatever the row length. */
  float row[11];
  gt_rng_fill_row(GT_RNG_NORMAL, &s, 11, row);
  for (int j = 0; j < 11; j++) {
    float one = gt_rng_draw_at(GT_RNG_NORMAL, &s, (uint64_t)j);
    GT_CHECK(memcmp(&one, &row[j], sizeof one) == 0, "draw %d: %g vs %g", j, (double)one, (double)row[j]);
  }
  float shorter[6];
  gt_rng_fill_row(GT_RNG_NORMAL, &s, 6, shorter);
  GT_CHECK(memcmp(shorter, row, sizeof shorter) == 0, "a shorter row is not a prefix of a longer one");
  /* Each field of the site changes the draws. */
  gt_rng_site other[5] = {s, s, s, s, s};
  other[0].seed ^= 1;
  other[1].stream = GT_RNG_STREAM_TARGET;
  other[2].restart = 8;
  other[3].step = 4;
  other[4].sample = 12346;
  for (int f = 0; f < 5; f++) {
    float r2[11];
    gt_rng_fill_row(GT_RNG_UNIFORM, &other[f], 11, r2);
    float r1[11];
    gt_rng_fill_row(GT_RNG_UNIFORM, &s, 11, r1);
    GT_CHECK(memcmp(r1, r2, sizeof r1) != 0, "changing field %d of the site left the draws unchanged", f);
  }
}

static void stats(gt_rng_dist dist, int64_t count, double *mean, double *var, double *m4, double *lo, double *hi) {
  gt_rng_site s = {42, GT_RNG_STREAM_ATTACK, 0, 0, 0};
  double sum = 0, sum2 = 0, sum4 = 0;
  *lo = INFINITY;
  *hi = -INFINITY;
  float buf[1024];
  for (int64_t done = 0; done < count; done += 1024) {
    s.sample = (uint64_t)(done / 1024);
    gt_rng_fill_row(dist, &s, 1024, buf);
    for (int j = 0; j < 1024; j++) {
      double v = buf[j];
      sum += v;
      sum2 += v * v;
      sum4 += v * v * v * v;
      if (v < *lo) *lo = v;
      if (v > *hi) *hi = v;
    }
  }
  *mean = sum / (double)count;
  *var = sum2 / (double)count - *mean * *mean;
  *m4 = sum4 / (double)count;
}

static void test_rng_statistics(void) {
  const int64_t count = 1 << 20;
  double mean, var, m4, lo, hi;
  stats(GT_RNG_UNIFORM, count, &mean, &var, &m4, &lo, &hi);
  GT_CHECK_CLOSE(mean, 0.5, 0.002, 0, "uniform mean");
  GT_CHECK_CLOSE(var, 1.0 / 12.0, 0.001, 0, "uniform variance");
  GT_CHECK(lo >= 0.0 && hi < 1.0, "uniform range [%g, %g]", lo, hi);
  stats(GT_RNG_UNIFORM_SYM, count, &mean, &var, &m4, &lo, &hi);
  GT_CHECK_CLOSE(mean, 0.0, 0.003, 0, "symmetric uniform mean");
  GT_CHECK_CLOSE(var, 1.0 / 3.0, 0.003, 0, "symmetric uniform variance");
  GT_CHECK(lo >= -1.0 && hi < 1.0, "symmetric uniform range [%g, %g]", lo, hi);
  stats(GT_RNG_NORMAL, count, &mean, &var, &m4, &lo, &hi);
  GT_CHECK_CLOSE(mean, 0.0, 0.005, 0, "normal mean");
  GT_CHECK_CLOSE(var, 1.0, 0.01, 0, "normal variance");
  GT_CHECK_CLOSE(m4, 3.0, 0.06, 0, "normal fourth moment");
  GT_CHECK(lo > -6.0 && hi < 6.0 && lo < -4.0 && hi > 4.0, "normal range [%g, %g]", lo, hi);
  stats(GT_RNG_SIGN, count, &mean, &var, &m4, &lo, &hi);
  GT_CHECK_CLOSE(mean, 0.0, 0.005, 0, "sign mean");
  GT_CHECK(lo == -1.0 && hi == 1.0 && fabs(var + mean * mean - 1.0) < 1e-12, "signs are not +-1");
  /* Integers below a range: in range and about uniform. */
  int counts[7] = {0};
  gt_rng_site s = {9, GT_RNG_STREAM_TARGET, 0, 0, 0};
  for (uint32_t b = 0; b < 70000 / 4; b++) {
    uint32_t w[4];
    gt_rng_block(&s, b, w);
    for (int j = 0; j < 4; j++) {
      uint32_t v = gt_rng_below(w[j], 7);
      GT_CHECK(v < 7, "gt_rng_below gave %u", v);
      if (v < 7) counts[v]++;
    }
  }
  for (int v = 0; v < 7; v++) GT_CHECK(abs(counts[v] - 10000) < 500, "value %d drawn %d times of 70000", v, counts[v]);
}

/* ---- projections ---- */

/* Euclidean projection of w (double, d entries) onto the L1 ball of radius r around 0 by the
 * sort-based method of Duchi et al. (2008); the reference's building block. */
static int cmp_desc(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? 1 : (x > y ? -1 : 0);
}

static void ref_l1_ball(const double *w, int d, double r, double *out) {
  double mass = 0, mu[64];
  if (r <= 0) {
    for (int i = 0; i < d; i++) out[i] = 0.0;
    return;
  }
  for (int i = 0; i < d; i++) {
    mu[i] = fabs(w[i]);
    mass += mu[i];
  }
  if (mass <= r) {
    memcpy(out, w, (size_t)d * sizeof(double));
    return;
  }
  qsort(mu, (size_t)d, sizeof(double), cmp_desc);
  double cum = 0, theta = 0;
  for (int j = 0; j < d; j++) {
    cum += mu[j];
    double t = (cum - r) / (double)(j + 1);
    if (mu[j] - t > 0) theta = t;
  }
  for (int i = 0; i < d; i++) {
    double a = fabs(w[i]) - theta;
    out[i] = a > 0 ? (w[i] < 0 ? -a : a) : 0.0;
  }
}

/* Projection onto (L1 ball of radius eps around x0) AND [0,1]^d by Dykstra's alternating
 * projections, in the coordinates u = z - x0. Independent of the threshold algorithm under test. */
static void ref_l1_box(const float *x, const float *x0, float eps, int d, double *z) {
  double y[64], p[64] = {0}, q[64] = {0}, a[64], t[64];
  for (int i = 0; i < d; i++) y[i] = (double)x[i] - (double)x0[i];
  for (int it = 0; it < 200000; it++) {
    double change = 0;
    for (int i = 0; i < d; i++) t[i] = y[i] + p[i];
    ref_l1_ball(t, d, (double)eps, a);
    for (int i = 0; i < d; i++) {
      p[i] = t[i] - a[i];
      double lo = -(double)x0[i], hi = 1.0 - (double)x0[i];
      double v = a[i] + q[i];
      double c = v < lo ? lo : (v > hi ? hi : v);
      q[i] = v - c;
      change += fabs(c - y[i]);
      y[i] = c;
    }
    if (change < 1e-15 && it > 1000) break;
  }
  for (int i = 0; i < d; i++) z[i] = (double)x0[i] + y[i];
}

static double l1_dist(const float *z, const float *x0, int d) {
  double s = 0;
  for (int i = 0; i < d; i++) s += fabs((double)z[i] - (double)x0[i]);
  return s;
}

static void random_case(int d, float *x0, float *x, float *eps) {
  for (int i = 0; i < d; i++) {
    double u = urand();
    /* A third of the coordinates sit on a face of the box. */
    x0[i] = u < 0.17 ? 0.0f : (u < 0.33 ? 1.0f : (float)urand());
    double scale = urand() < 0.5 ? 0.2 : 1.5;
    x[i] = (float)((double)x0[i] + scale * (2.0 * urand() - 1.0));
  }
  double e = urand();
  *eps = e < 0.1 ? 0.0f : (e < 0.2 ? 5.0f : (float)(2.0 * urand()));
}

static void test_l1_projection_vs_reference(void) {
  g_state = 2024;
  double worst = 0;
  int n_cases = 3000;
  for (int c = 0; c < n_cases; c++) {
    int d = 1 + c % 6;
    float x0[6], x[6], eps, z[6];
    double want[6];
    random_case(d, x0, x, &eps);
    if (c % 10 == 3) /* already inside: a tiny move around x0 */
      for (int i = 0; i < d; i++) x[i] = x0[i] + (x0[i] < 0.5f ? 1e-3f : -1e-3f);
    gt_proj_l1_row(x, x0, eps, d, z);
    ref_l1_box(x, x0, eps, d, want);
    double diff = 0;
    for (int i = 0; i < d; i++) {
      diff = fmax(diff, fabs((double)z[i] - want[i]));
      GT_CHECK(z[i] >= 0.0f && z[i] <= 1.0f, "case %d: z[%d] = %g is outside the box", c, i, (double)z[i]);
    }
    if (diff > worst) worst = diff;
    GT_CHECK(diff < 2e-6, "case %d (d %d, eps %g): max |z - reference| = %g", c, d, (double)eps, diff);
    GT_CHECK(l1_dist(z, x0, d) <= (double)eps * (1 + 1e-6) + 1e-6, "case %d: ||z - x0||_1 = %.9g > eps %.9g", c,
             l1_dist(z, x0, d), (double)eps);
    /* Optimality: no random feasible point is closer to x (variational inequality). */
    for (int probe = 0; probe < 8; probe++) {
      float w[6];
      for (int i = 0; i < d; i++) w[i] = (float)urand();
      gt_proj_l1_row(w, x0, eps, d, w); /* feasible, whatever its optimality */
      double lhs = 0;
      for (int i = 0; i < d; i++) lhs += ((double)x[i] - (double)z[i]) * ((double)w[i] - (double)z[i]);
      GT_CHECK(lhs <= 1e-5, "case %d: feasible point with (x - z).(w - z) = %g > 0", c, lhs);
    }
  }
  fprintf(stderr, "  L1 projection: %d random cases, worst deviation from the Dykstra reference %.3g\n", n_cases,
          worst);
}

static void test_l1_projection_special(void) {
  float x0[5] = {0.0f, 1.0f, 0.5f, 0.25f, 0.75f};
  float inside[5] = {0.01f, 0.99f, 0.5f, 0.26f, 0.75f};
  float z[5];
  gt_proj_l1_row(inside, x0, 1.0f, 5, z);
  GT_CHECK(memcmp(z, inside, sizeof z) == 0, "a point inside the ball and the box moved");
  float far[5] = {2.0f, -3.0f, 0.9f, 0.3f, 0.7f};
  gt_proj_l1_row(far, x0, 0.0f, 5, z);
  GT_CHECK(memcmp(z, x0, sizeof z) == 0, "eps 0 did not return x0");
  /* Box-active only: the clipped point has L1 mass 0.4 + 0.05 + 0.05 = 0.5 <= eps = 10. */
  gt_proj_l1_row(far, x0, 10.0f, 5, z);
  float clipped[5] = {1.0f, 0.0f, 0.9f, 0.3f, 0.7f};
  for (int i = 0; i < 5; i++) GT_CHECK_CLOSE(z[i], clipped[i], 1e-7, 0, "box clip when the ball is inactive");
  /* Coordinates that cannot move (x0 on the face, x beyond it) take none of the budget. */
  float x0b[3] = {1.0f, 0.5f, 0.5f};
  float xb[3] = {5.0f, 0.9f, 0.5f};
  gt_proj_l1_row(xb, x0b, 0.1f, 3, z);
  GT_CHECK_CLOSE(z[0], 1.0f, 0, 0, "pinned coordinate");
  GT_CHECK_CLOSE(z[1], 0.6f, 1e-6, 0, "the free coordinate takes the whole budget");
  /* A large row against the reference (bisection with many breakpoints). */
  g_state = 77;
  enum { D = 60 };
  float bx0[D], bx[D], bz[D];
  double want[D];
  for (int i = 0; i < D; i++) {
    bx0[i] = (float)urand();
    bx[i] = bx0[i] + (float)(0.6 * (2 * urand() - 1));
  }
  gt_proj_l1_row(bx, bx0, 2.5f, D, bz);
  ref_l1_box(bx, bx0, 2.5f, D, want);
  for (int i = 0; i < D; i++) GT_CHECK_CLOSE(bz[i], want[i], 2e-6, 0, "d = 60 row");
  /* Aliasing out == x is allowed. */
  float alias[D];
  memcpy(alias, bx, sizeof alias);
  gt_proj_l1_row(alias, bx0, 2.5f, D, alias);
  GT_CHECK(memcmp(alias, bz, sizeof bz) == 0, "in-place projection differs");
}

static void test_linf_l2_projection(void) {
  GT_CHECK(gt_proj_linf_elem(0.9f, 0.5f, 0.1f) == 0.6f, "linf clip above");
  GT_CHECK(gt_proj_linf_elem(0.0f, 0.05f, 0.1f) == 0.0f, "linf box below");
  GT_CHECK(gt_proj_linf_elem(0.97f, 0.95f, 0.1f) == 0.97f, "linf inside");
  GT_CHECK(gt_proj_linf_elem(2.0f, 0.95f, 0.1f) == 1.0f, "linf box above");
  GT_CHECK(isnan(gt_proj_linf_elem(NAN, 0.5f, 0.1f)), "NaN must stay visible");
  float x0[4] = {0.5f, 0.5f, 0.5f, 0.5f};
  float x[4] = {0.8f, 0.9f, 0.5f, 0.5f}; /* ||x - x0||_2 = 0.5 */
  float z[4];
  gt_proj_l2_row(x, x0, 0.25f, 4, z);
  GT_CHECK_CLOSE(gt_lp_norm_row(GT_NORM_L2, z, x0, 4), 0.25, 1e-6, 0, "L2 projection radius");
  GT_CHECK_CLOSE(z[0], 0.5 + 0.3 * 0.5, 1e-6, 0, "L2 projection direction");
  gt_proj_l2_row(x, x0, 1.0f, 4, z);
  GT_CHECK(memcmp(z, x, sizeof z) == 0, "inside the L2 ball: unchanged");
  /* Clipping after scaling stays in the ball. */
  float x0c[2] = {0.95f, 0.5f}, xc[2] = {3.0f, 0.5f};
  gt_proj_l2_row(xc, x0c, 0.5f, 2, z);
  GT_CHECK(z[0] == 1.0f && gt_lp_norm_row(GT_NORM_L2, z, x0c, 2) <= 0.5, "L2 then box: %g", (double)z[0]);
  float v[3] = {3.0f, -4.0f, 0.0f};
  GT_CHECK(gt_lp_norm_row(GT_NORM_LINF, v, NULL, 3) == 4.0, "Linf norm");
  GT_CHECK(gt_lp_norm_row(GT_NORM_L2, v, NULL, 3) == 5.0, "L2 norm");
  GT_CHECK(gt_lp_norm_row(GT_NORM_L1, v, NULL, 3) == 7.0, "L1 norm");
}

static void test_directions(void) {
  float g[6] = {0.5f, -2.0f, 0.0f, 3.0f, -3.0f, 1.0f};
  float x[6] = {0.5f, 0.5f, 0.5f, 1.0f, 0.2f, 0.5f}; /* coordinate 3 sits on the top face */
  float dir[6];
  gt_dir_row(GT_NORM_LINF, g, x, 1, 6, dir);
  float want_sign[6] = {1, -1, 0, 1, -1, 1};
  GT_CHECK(memcmp(dir, want_sign, sizeof dir) == 0, "Linf direction is not sign(g)");
  gt_dir_row(GT_NORM_L2, g, x, 1, 6, dir);
  GT_CHECK_CLOSE(gt_lp_norm_row(GT_NORM_L2, dir, NULL, 6), 1.0, 1e-6, 0, "L2 direction has unit norm");
  GT_CHECK_CLOSE(dir[1] * 3.0f, g[1] * dir[3], 1e-6, 0, "L2 direction is parallel to g");
  /* L1, k = 1: coordinate 3 has the largest |g| but cannot move up; 4 (|g| = 3) is taken. */
  int64_t taken = 0;
  gt_dir_row(GT_NORM_L1, g, x, 1, 6, dir);
  float want1[6] = {0, 0, 0, 0, -1, 0};
  GT_CHECK(memcmp(dir, want1, sizeof dir) == 0, "L1 k=1: [%g %g %g %g %g %g]", (double)dir[0], (double)dir[1],
           (double)dir[2], (double)dir[3], (double)dir[4], (double)dir[5]);
  /* k = 2: coordinates 4 and 1 (|g| 3 and 2), each 1/2. */
  gt_dir_row(GT_NORM_L1, g, x, 2, 6, dir);
  float want2[6] = {0, -0.5f, 0, 0, -0.5f, 0};
  GT_CHECK(memcmp(dir, want2, sizeof dir) == 0, "L1 k=2");
  GT_CHECK(gt_dir_l1_threshold(g, x, 2, 6, &taken) > 0 && taken == 2, "taken %lld", (long long)taken);
  /* Ties with the k-th are all taken. */
  float gt2[4] = {1.0f, 1.0f, 1.0f, 0.5f}, xt[4] = {0.5f, 0.5f, 0.5f, 0.5f};
  gt_dir_row(GT_NORM_L1, gt2, xt, 2, 4, dir);
  GT_CHECK(dir[0] == 1.0f / 3 && dir[1] == 1.0f / 3 && dir[2] == 1.0f / 3 && dir[3] == 0.0f, "ties");
  /* k beyond the movable count: every movable coordinate. */
  gt_dir_row(GT_NORM_L1, g, x, 100, 6, dir);
  GT_CHECK_CLOSE(gt_lp_norm_row(GT_NORM_L1, dir, NULL, 6), 1.0, 1e-6, 0, "L1 direction has unit L1 norm");
  GT_CHECK(dir[2] == 0.0f && dir[3] == 0.0f, "zero-gradient and pinned coordinates stay");
  /* Nothing movable: zero direction. */
  float gz[2] = {1.0f, -1.0f}, xz[2] = {1.0f, 0.0f};
  gt_dir_row(GT_NORM_L1, gz, xz, 1, 2, dir);
  GT_CHECK(dir[0] == 0.0f && dir[1] == 0.0f, "no movable coordinate");
}

static void test_step(void) {
  g_state = 5;
  for (int norm = 0; norm < GT_NORM_COUNT; norm++) {
    for (int c = 0; c < 200; c++) {
      int d = 1 + c % 9;
      float x0[9], x[9], g[9], out[9];
      for (int i = 0; i < d; i++) {
        x0[i] = (float)urand();
        x[i] = gt_proj_box(x0[i] + (float)(0.1 * (2 * urand() - 1)));
        g[i] = (float)(2 * urand() - 1);
      }
      float eps = (float)(0.3 * urand());
      gt_proj_step_row((gt_norm)norm, x, g, x0, 0.2f, eps, 2, d, out);
      double dist = gt_lp_norm_row((gt_norm)norm, out, x0, d);
      GT_CHECK(dist <= eps * (1 + 1e-6) + 1e-6, "%s step: distance %g > eps %g", gt_norm_name((gt_norm)norm), dist,
               (double)eps);
      for (int i = 0; i < d; i++) GT_CHECK(out[i] >= 0.0f && out[i] <= 1.0f, "step left the box");
      float again[9];
      memcpy(again, x, sizeof again);
      gt_proj_step_row((gt_norm)norm, again, g, x0, 0.2f, eps, 2, d, again);
      GT_CHECK(memcmp(again, out, (size_t)d * sizeof(float)) == 0, "in-place step differs");
    }
  }
}

static void test_logits(void) {
  float z[5] = {1.0f, 3.0f, 3.0f, -1.0f, 2.0f};
  GT_CHECK(gt_logits_argmax(z, 5) == 1, "argmax tie goes to the lower index");
  GT_CHECK(gt_logits_argmin(z, 5) == 3, "argmin");
  int32_t top[5];
  gt_logits_topk(z, 5, 5, top);
  int32_t want[5] = {1, 2, 4, 0, 3};
  GT_CHECK(memcmp(top, want, sizeof top) == 0, "topk: %d %d %d %d %d", top[0], top[1], top[2], top[3], top[4]);
  float flat[4] = {0, 0, 0, 0};
  gt_logits_topk(flat, 4, 3, top);
  GT_CHECK(top[0] == 0 && top[1] == 1 && top[2] == 2, "all-equal logits rank by index");
  GT_CHECK(gt_logits_success(z, 5, 0, -1) == 1 && gt_logits_success(z, 5, 1, -1) == 0, "untargeted success");
  GT_CHECK(gt_logits_success(z, 5, 0, 1) == 1 && gt_logits_success(z, 5, 0, 2) == 0, "targeted success");
}

int main(void) {
  gt_test_run("philox4x32-10 known answers", test_philox_kat);
  gt_test_run("rng counter layout", test_rng_layout);
  gt_test_run("rng statistics", test_rng_statistics);
  gt_test_run("L1 ball and box projection vs Dykstra", test_l1_projection_vs_reference);
  gt_test_run("L1 projection special cases", test_l1_projection_special);
  gt_test_run("Linf and L2 projections, norms", test_linf_l2_projection);
  gt_test_run("steepest-ascent directions", test_directions);
  gt_test_run("fused ascent step", test_step);
  gt_test_run("logits helpers", test_logits);
  return gt_test_finish();
}
