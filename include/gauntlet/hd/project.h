/* Perturbation geometry on one row (one sample of d values), host and device: norms, projections
 * onto an Lp ball around the clean point x0 intersected with the [0,1] box, steepest-ascent
 * directions and the fused ascent step. Every backend's vector ops (gauntlet/vecops.h) call these,
 * so the math exists once. A row function reads its inputs whole before writing `out` only where
 * said; `out` may alias `x` (never `g` or `x0`). Preconditions: x0 in [0,1], d >= 1.
 *
 * Norm sums are accumulated in double, sequentially in index order, so a row's result is the same
 * on every host backend whatever the thread count (a GPU reduces in another order: last-bit
 * differences there are expected).
 *
 * Projections (eps >= 0; eps = +inf means "the box only"):
 *  - Linf: z_i = clamp(x_i, max(x0_i - eps, 0), min(x0_i + eps, 1)). Exact: the set is a box.
 *  - L2:   z = clamp01(x0 + min(1, eps / ||x - x0||_2) (x - x0)). Scale into the ball, then clip
 *          to the box, as AutoAttack and PGD do. Clipping never leaves the ball (x0 is in the box,
 *          so clipping moves every coordinate towards x0), but it is not the exact Euclidean
 *          projection onto ball AND box when the box cuts the ball.
 *  - L1:   the EXACT Euclidean projection onto {z : ||z - x0||_1 <= eps, 0 <= z <= 1}; see
 *          gt_proj_l1_lambda for the algorithm.
 *
 * Steepest-ascent directions of a gradient g (the step is x + alpha * dir):
 *  - Linf: sign(g) (0 where g is 0), so ||dir||_inf = 1.
 *  - L2:   g / (||g||_2 + 1e-12) (AutoAttack's guard against a zero gradient).
 *  - L1:   sparse, as APGD-L1 does: among the coordinates that can still move in the direction of
 *          g inside the box (g_i > 0 and x_i < 1, or g_i < 0 and x_i > 0; finite, non-zero g_i),
 *          take the k with the largest |g_i| (all those tied with the k-th are taken too) and set
 *          dir_i = sign(g_i) / (number taken), so ||dir||_1 = 1 and a step of alpha moves alpha in
 *          L1. No movable coordinate gives dir = 0. */
#ifndef GAUNTLET_HD_PROJECT_H
#define GAUNTLET_HD_PROJECT_H

#include <float.h>
#include <stdint.h>

#include "gauntlet/hd/common.h"
#include "gauntlet/norm.h"

/* AutoAttack's guard in g / (||g||_2 + 1e-12). */
#define GT_DIR_L2_GUARD 1e-12

/* Bisection cap of gt_proj_l1_lambda (each step halves the bracket; 200 exhaust a double). */
#define GT_PROJ_L1_MAX_ITERS 200

/* ---- per element ----
 * The selects below compute both of their values first (v < lo ? lo : (v > hi ? hi : v) written as
 * two plain selects), so that compilers emit branch-free code, vectorised in loops: which face of
 * the box binds and the sign of a gradient are coin flips for a branch predictor. */

/* NaN passes through (neither comparison holds), so a broken input stays visible. */
GT_HD float gt_proj_clamp(float v, float lo, float hi) {
  float upper = v > hi ? hi : v;
  return v < lo ? lo : upper;
}

GT_HD float gt_proj_box(float v) { return gt_proj_clamp(v, 0.0f, 1.0f); }

GT_HD float gt_proj_linf_elem(float x, float x0, float eps) {
  float lo = x0 - eps, hi = x0 + eps;
  return gt_proj_clamp(x, lo > 0.0f ? lo : 0.0f, hi < 1.0f ? hi : 1.0f);
}

/* 1, -1, or 0 (for 0 and NaN). */
GT_HD float gt_proj_sign(float g) {
  float pos = g > 0.0f ? 1.0f : 0.0f;
  return g < 0.0f ? -1.0f : pos;
}

/* One Linf ascent step of an element with its projection: the Linf case of gt_proj_step_row. */
GT_HD float gt_proj_linf_step_elem(float x, float g, float x0, float alpha, float eps) {
  return gt_proj_linf_elem(x + alpha * gt_proj_sign(g), x0, eps);
}

/* ---- norms ---- */

/* The L2 norm's sum: (x - x0)^2 with both turned to double first, summed in index order. A sum of
 * squares (each >= 0 or NaN) is NaN exactly when a term was, and then the norm is NaN. */
GT_HD double gt_l2_sq(float x, float x0) {
  double v = (double)x - (double)x0;
  return v * v;
}

GT_HD double gt_l2_norm_of(double sum) { return sum != sum ? NAN : sqrt(sum); }

/* ||x - x0||_2 (x0 may be NULL: ||x||_2). */
GT_HD double gt_l2_norm_row(const float *x, const float *x0, int64_t d) {
  double sum = 0.0;
  for (int64_t i = 0; i < d; i++) sum += gt_l2_sq(x[i], x0 ? x0[i] : 0.0f);
  return gt_l2_norm_of(sum);
}

/* ||x - x0|| (x0 may be NULL: ||x||) in double. Linf of a row holding NaN is NaN. */
GT_HD double gt_lp_norm_row(gt_norm norm, const float *x, const float *x0, int64_t d) {
  if (norm == GT_NORM_L2) return gt_l2_norm_row(x, x0, d);
  double acc = 0.0;
  int nan_seen = 0;
  for (int64_t i = 0; i < d; i++) {
    double v = (double)x[i] - (x0 ? (double)x0[i] : 0.0);
    double a = v < 0 ? -v : v;
    if (a != a) nan_seen = 1;
    if (norm == GT_NORM_LINF) {
      if (a > acc) acc = a;
    } else {
      acc += a;
    }
  }
  return nan_seen ? NAN : acc;
}

/* ---- projections ---- */

GT_HD void gt_proj_linf_row(const float *x, const float *x0, float eps, int64_t d, float *out) {
  for (int64_t i = 0; i < d; i++) out[i] = gt_proj_linf_elem(x[i], x0[i], eps);
}

/* The L2 projection in two parts: the factor from the norm n = ||x - x0||_2 (in double), then each
 * element (gauntlet/hd/momentum.h uses them on values it does not store). */
GT_HD float gt_proj_l2_factor(double n, float eps) { return n > (double)eps ? (float)((double)eps / n) : 1.0f; }

GT_HD float gt_proj_l2_elem(float x, float x0, float s) { return gt_proj_box(x0 + s * (x - x0)); }

GT_HD void gt_proj_l2_row(const float *x, const float *x0, float eps, int64_t d, float *out) {
  float s = gt_proj_l2_factor(gt_l2_norm_row(x, x0, d), eps);
  for (int64_t i = 0; i < d; i++) out[i] = gt_proj_l2_elem(x[i], x0[i], s);
}

/* How far coordinate i may move from x0 in the direction of v inside [0,1]. */
GT_HD double gt_proj_l1_room(double v, float x0) {
  double r = v > 0 ? 1.0 - (double)x0 : (double)x0;
  return r > 0 ? r : 0.0;
}

/* The threshold lambda >= 0 of the exact L1-ball-and-box projection of x around x0.
 *
 * Problem: minimise ||z - x||_2^2 subject to ||z - x0||_1 <= eps and 0 <= z <= 1. With u = z - x0
 * and v = x - x0 the box is lo_i <= u_i <= hi_i where lo_i = -x0_i <= 0 <= hi_i = 1 - x0_i.
 * For a multiplier lambda >= 0 of the L1 constraint the Lagrangian separates per coordinate into
 * (u_i - v_i)^2 / 2 + lambda |u_i| over [lo_i, hi_i]; that 1-D problem is convex, so its minimiser
 * is the box clamp of the unconstrained one, the soft threshold: u_i = clamp(sign(v_i) max(|v_i| -
 * lambda, 0), lo_i, hi_i) = sign(v_i) min(max(|v_i| - lambda, 0), c_i), with c_i the room in v_i's
 * direction (hi_i if v_i > 0, -lo_i otherwise). Complementary slackness: lambda = 0 when the
 * clipped point already has L1 mass G(0) <= eps, else lambda solves G(lambda) = eps where
 *   G(lambda) = sum_i min(max(|v_i| - lambda, 0), c_i),
 * a continuous, non-increasing, piecewise-linear function with breakpoints |v_i| - c_i (coordinate
 * i stops being capped) and |v_i| (it reaches 0).
 * Search: bisection on lambda over [0, max |v_i|] (G(max |v_i|) = 0 <= eps). Each pass at a trial m
 * (not itself a breakpoint) also collects the linear piece around m: the capped coordinates
 * (m < |v_i| - c_i, contributing c_i), the free ones (|v_i| - c_i < m < |v_i|, contributing |v_i| -
 * lambda) and the nearest breakpoints below and above m. On that piece G is linear, so
 *   lambda* = (sum_capped c_i + sum_free |v_i| - eps) / n_free
 * is the exact answer when it falls inside the piece; then we stop. Otherwise we halve the bracket.
 * Bisection brings m into the piece that holds the answer, so this ends after about log2(number of
 * breakpoints) passes in practice; if rounding ever keeps lambda* a hair outside its piece, the
 * search runs until the bracket cannot shrink and returns its feasible end (G <= eps). */
GT_HD double gt_proj_l1_lambda(const float *x, const float *x0, double eps, int64_t d) {
  double mass0 = 0.0, top = 0.0;
  for (int64_t i = 0; i < d; i++) {
    double v = (double)x[i] - (double)x0[i];
    double a = v < 0 ? -v : v;
    double c = gt_proj_l1_room(v, x0[i]);
    mass0 += a < c ? a : c;
    if (a > top) top = a;
  }
  if (!(mass0 > eps)) return 0.0;
  double lo = 0.0, hi = top; /* G(lo) > eps >= G(hi) */
  for (int it = 0; it < GT_PROJ_L1_MAX_ITERS; it++) {
    double m = 0.5 * (lo + hi);
    if (!(m > lo && m < hi)) break;
    double capped = 0.0, free_sum = 0.0, below = 0.0, above = DBL_MAX;
    int64_t n_free = 0;
    int on_breakpoint = 0;
    for (int64_t i = 0; i < d; i++) {
      double v = (double)x[i] - (double)x0[i];
      double a = v < 0 ? -v : v;
      double c = gt_proj_l1_room(v, x0[i]);
      if (a == 0.0 || c == 0.0) continue; /* contributes 0 at every lambda */
      double p1 = a - c, p2 = a;
      if (p1 == m || p2 == m) on_breakpoint = 1;
      if (m < p1) {
        capped += c;
      } else if (m < p2) {
        free_sum += a;
        n_free++;
      }
      if (p1 < m && p1 > below) below = p1;
      if (p1 > m && p1 < above) above = p1;
      if (p2 < m && p2 > below) below = p2;
      if (p2 > m && p2 < above) above = p2;
    }
    if (!on_breakpoint && n_free > 0) {
      double lam = (capped + free_sum - eps) / (double)n_free;
      if (lam >= below && lam <= above) return lam;
    }
    double mass = capped + free_sum - (double)n_free * m;
    if (mass > eps)
      lo = m;
    else
      hi = m;
  }
  return hi;
}

GT_HD void gt_proj_l1_row(const float *x, const float *x0, float eps, int64_t d, float *out) {
  if (!(eps > 0.0f)) {
    for (int64_t i = 0; i < d; i++) out[i] = x0[i];
    return;
  }
  double lam = gt_proj_l1_lambda(x, x0, (double)eps, d);
  for (int64_t i = 0; i < d; i++) {
    double v = (double)x[i] - (double)x0[i];
    double a = v < 0 ? -v : v;
    double c = gt_proj_l1_room(v, x0[i]);
    double u = a - lam;
    if (u < 0) u = 0;
    if (u > c) u = c;
    if (v != v) u = v; /* NaN stays visible */
    out[i] = gt_proj_box((float)((double)x0[i] + (v < 0 ? -u : u)));
  }
}

GT_HD void gt_proj_row(gt_norm norm, const float *x, const float *x0, float eps, int64_t d, float *out) {
  if (norm == GT_NORM_LINF)
    gt_proj_linf_row(x, x0, eps, d, out);
  else if (norm == GT_NORM_L2)
    gt_proj_l2_row(x, x0, eps, d, out);
  else
    gt_proj_l1_row(x, x0, eps, d, out);
}

/* ---- steepest-ascent directions ---- */

/* 1 / (||g||_2 + 1e-12). */
GT_HD float gt_dir_l2_scale(const float *g, int64_t d) {
  return (float)(1.0 / (gt_l2_norm_row(g, (const float *)0, d) + GT_DIR_L2_GUARD));
}

/* Selection key of coordinate i for the sparse L1 direction: the bits of |g_i| (monotone in |g_i|
 * for non-negative floats) when the coordinate can move along g inside the box, else 0. */
GT_HD uint32_t gt_dir_l1_key(float g, float x) {
  int movable = (g > 0.0f && x < 1.0f) || (g < 0.0f && x > 0.0f);
  float a = g < 0.0f ? -g : g;
  if (!movable || !(a <= FLT_MAX)) return 0u;
#if defined(__CUDA_ARCH__)
  return __float_as_uint(a);
#else
  union {
    float f;
    uint32_t u;
  } bits;
  bits.f = a;
  return bits.u;
#endif
}

/* The smallest key taken by the sparse L1 direction (keys >= it are taken; 0 means none) and, in
 * *taken, how many coordinates that is. The k-th largest key is found exactly by a radix select on
 * its 4 bytes, most significant first: each pass counts, among the keys that match the bytes fixed
 * so far, how many have each value of the next byte (256 counters), and fixes the byte where the
 * count from the top reaches k. 5 passes over the row, no scratch beyond the counters.
 * k < 1 counts as 1. */
GT_HD uint32_t gt_dir_l1_threshold(const float *g, const float *x, int64_t k, int64_t d, int64_t *taken) {
  if (k < 1) k = 1;
  int64_t movable = 0;
  for (int64_t i = 0; i < d; i++) movable += gt_dir_l1_key(g[i], x[i]) > 0u;
  if (movable <= k) {
    *taken = movable;
    return movable > 0 ? 1u : 0u;
  }
  uint32_t prefix = 0u, mask = 0u;
  int64_t need = k; /* rank still to find among the keys matching prefix */
  for (int shift = 24; shift >= 0; shift -= 8) {
    int64_t hist[256];
    for (int b = 0; b < 256; b++) hist[b] = 0;
    for (int64_t i = 0; i < d; i++) {
      uint32_t key = gt_dir_l1_key(g[i], x[i]);
      if (key > 0u && (key & mask) == prefix) hist[(key >> shift) & 0xFFu]++;
    }
    int b = 255;
    int64_t above = 0;
    while (b > 0 && above + hist[b] < need) above += hist[b--];
    prefix |= (uint32_t)b << shift;
    mask |= 0xFFu << shift;
    need -= above;
  }
  int64_t count = 0;
  for (int64_t i = 0; i < d; i++) count += gt_dir_l1_key(g[i], x[i]) >= prefix;
  *taken = count;
  return prefix;
}

/* dir = steepest-ascent direction of g at x (x and k are read by L1 only). */
GT_HD void gt_dir_row(gt_norm norm, const float *g, const float *x, int64_t k, int64_t d, float *dir) {
  if (norm == GT_NORM_LINF) {
    for (int64_t i = 0; i < d; i++) dir[i] = gt_proj_sign(g[i]);
  } else if (norm == GT_NORM_L2) {
    float s = gt_dir_l2_scale(g, d);
    for (int64_t i = 0; i < d; i++) dir[i] = g[i] * s;
  } else {
    int64_t taken = 0;
    uint32_t t = gt_dir_l1_threshold(g, x, k, d, &taken);
    float w = taken > 0 ? 1.0f / (float)taken : 0.0f;
    for (int64_t i = 0; i < d; i++) {
      uint32_t key = gt_dir_l1_key(g[i], x[i]);
      dir[i] = (t > 0u && key >= t) ? gt_proj_sign(g[i]) * w : 0.0f;
    }
  }
}

/* ---- the fused ascent step ---- */

/* out = P(x + alpha * dir(g, x)): one ascent step of size alpha (in the norm's own units) followed
 * by the projection onto the eps-ball around x0 and the box. out may alias x. */
GT_HD void gt_proj_step_row(gt_norm norm, const float *x, const float *g, const float *x0, float alpha, float eps,
                            int64_t k, int64_t d, float *out) {
  if (norm == GT_NORM_LINF) {
    for (int64_t i = 0; i < d; i++) out[i] = gt_proj_linf_step_elem(x[i], g[i], x0[i], alpha, eps);
  } else if (norm == GT_NORM_L2) {
    float s = alpha * gt_dir_l2_scale(g, d);
    for (int64_t i = 0; i < d; i++) out[i] = x[i] + s * g[i];
    gt_proj_l2_row(out, x0, eps, d, out);
  } else {
    int64_t taken = 0;
    uint32_t t = gt_dir_l1_threshold(g, x, k, d, &taken);
    float w = taken > 0 ? alpha / (float)taken : 0.0f;
    for (int64_t i = 0; i < d; i++) {
      uint32_t key = gt_dir_l1_key(g[i], x[i]);
      out[i] = x[i] + ((t > 0u && key >= t) ? gt_proj_sign(g[i]) * w : 0.0f);
    }
    gt_proj_l1_row(out, x0, eps, d, out);
  }
}

#endif
