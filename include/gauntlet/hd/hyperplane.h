/* Projection of one row onto a hyperplane intersected with the [0,1] box (host and device): the
 * core step of FAB (Croce & Hein, ICML 2020), which linearises a decision boundary into a plane
 * and moves to the nearest point of that plane the image box allows. Every backend's
 * project_hyperplane vector op (gauntlet/vecops.h) calls gt_hyperplane_project_row.
 *
 * Problem, for a row x in [0,1]^d, a normal w, an anchor a (NULL: the origin) and an offset f:
 *   minimise ||z - x||  subject to  w.(z - a) + f = 0  and  0 <= z <= 1,
 * in the Linf, L2 or L1 norm. Write c = w.(x - a) + f (the plane's function at x, in double) and
 * z = x + delta. The constraint is w.delta = -c; moving coordinate i against the wanted sign only
 * costs norm, so delta_i = s_i u_i with s_i = -sign(c) sign(w_i), u_i >= 0, and u_i is at most the
 * room r_i of the box in that direction (1 - x_i when s_i > 0, x_i otherwise). Each unit of u_i
 * buys |w_i| of progress, and the progress must total |c|. Per norm the minimiser is exact:
 *  - Linf: u_i = min(t, r_i) with the smallest t such that G(t) = sum |w_i| min(t, r_i) = |c|.
 *  - L2:   u_i = min(lambda |w_i|, r_i) (KKT: the clamp of lambda w_i to the box), with lambda
 *          solving G(lambda) = sum w_i^2 min(lambda, r_i / |w_i|) = |c|.
 *  - L1:   fractional knapsack: coordinates by decreasing |w_i| move their whole room until the
 *          rest of the progress fits; the coordinates tied at the threshold |w| = T move the same
 *          fraction rho of their room (every split among tied coordinates has the same L1 cost).
 * Linf and L2 share one solver: G(lambda) = sum_i s_i min(lambda, p_i) is continuous, increasing
 * and piecewise linear with breakpoints p_i (slopes s_i = |w_i| or w_i^2, breakpoints r_i or
 * r_i / |w_i|). It is bracketed by [|c| / sum s_i, max p_i] (G is at most lambda sum s_i) and
 * searched like gt_proj_l1_lambda (gauntlet/hd/project.h): every trial collects the linear piece
 * around it (capped coordinates, slope of the free ones, the nearest breakpoints on each side), and
 * the root of that piece, lambda = (|c| - capped) / slope, is exact when it falls inside it. The
 * first trial is the lower bracket itself, so when the box does not bind (the usual case) one pass
 * finds the answer, the unconstrained projection |c| / ||w||_q. Later trials are geometric means
 * while the bracket spans more than a factor 4 (breakpoints r_i / |w_i| can span many decades),
 * then midpoints. The L1 threshold T is found exactly by a radix select on the float bits of |w_i|,
 * weighted by |w_i| r_i (four counting passes of 256 counters), as gt_dir_l1_threshold does with
 * counts.
 *
 * When the plane misses the box (the whole room buys less than |c|), the answer is the corner
 * reached by moving every useful coordinate through its whole room: the box point nearest to the
 * plane, reached with the least movement. (The reference FAB code returns the box-free projection
 * there and clips it afterwards; see docs/ATTACKS.md.) c == 0 or NaN returns x unchanged.
 * Coordinates with w_i == 0 never move. Preconditions: x in [0,1], d >= 1. The result is clipped
 * to [0,1] (a guard against rounding). Sums are in double, in index order, so host backends agree
 * bit for bit whatever the thread count. */
#ifndef GAUNTLET_HD_HYPERPLANE_H
#define GAUNTLET_HD_HYPERPLANE_H

#include <float.h>
#include <stdint.h>

#include "gauntlet/hd/common.h"
#include "gauntlet/norm.h"

/* Cap on the trials of the Linf / L2 search (each a pass over the row); reached only if rounding
 * keeps every piece root a hair outside its piece, and then the feasible end is returned. */
#define GT_HYPERPLANE_MAX_ITERS 200

/* c = w.(x - a) + f in double (a NULL: w.x + f). */
GT_HD double gt_hyperplane_value(const float *x, const float *w, const float *a, float f, int64_t d) {
  double acc = (double)f;
  for (int64_t i = 0; i < d; i++) acc += (double)w[i] * ((double)x[i] - (a ? (double)a[i] : 0.0));
  return acc;
}

/* Direction of the move of a coordinate with normal w_i when the plane's function is c at x:
 * +1 (up), -1 (down), 0 (w_i is 0 or not finite: never moves). */
GT_HD int gt_hyperplane_dir(float w, double c) {
  if (!(w != 0.0f) || !(w - w == 0.0f)) return 0;
  return (w > 0.0f) == (c < 0.0) ? 1 : -1;
}

/* Room of the box from x in direction dir (0 for dir 0). */
GT_HD double gt_hyperplane_room(float x, int dir) {
  double r = dir > 0 ? 1.0 - (double)x : (dir < 0 ? (double)x : 0.0);
  return r > 0.0 ? r : 0.0;
}

/* Slope s and breakpoint p of coordinate i in G (Linf, L2); s = 0 when it cannot move. */
GT_HD void gt_hyperplane_piece(gt_norm norm, float w, float x, double c, double *s, double *p) {
  int dir = gt_hyperplane_dir(w, c);
  double r = gt_hyperplane_room(x, dir), aw = w < 0.0f ? -(double)w : (double)w;
  if (dir == 0 || !(r > 0.0)) {
    *s = 0.0;
    *p = 0.0;
  } else if (norm == GT_NORM_LINF) {
    *s = aw;
    *p = r;
  } else {
    *s = aw * aw;
    *p = r / aw;
  }
}

/* Movement u_i of a coordinate for the Linf / L2 solution lambda: the whole room once lambda has
 * reached the coordinate's breakpoint (compared as gt_hyperplane_piece computes it, so that the
 * corner is reached exactly), else lambda (Linf) or lambda |w_i| (L2). */
GT_HD double gt_hyperplane_move(gt_norm norm, float w, float x, double c, double lambda) {
  double s, p;
  gt_hyperplane_piece(norm, w, x, c, &s, &p);
  if (s == 0.0) return 0.0;
  double r = gt_hyperplane_room(x, gt_hyperplane_dir(w, c)), aw = w < 0.0f ? -(double)w : (double)w;
  if (lambda >= p) return r;
  double u = norm == GT_NORM_LINF ? lambda : lambda * aw;
  return u < r ? u : r;
}

/* lambda of the Linf / L2 solution (the top breakpoint, i.e. the corner, when the plane misses
 * the box; 0 when nothing can move). */
GT_HD double gt_hyperplane_lambda(gt_norm norm, const float *x, const float *w, double c, int64_t d) {
  double target = c < 0.0 ? -c : c, total = 0.0, slope_all = 0.0, top = 0.0;
  for (int64_t i = 0; i < d; i++) {
    double s, p;
    gt_hyperplane_piece(norm, w[i], x[i], c, &s, &p);
    if (s == 0.0) continue;
    total += s * p;
    slope_all += s;
    if (p > top) top = p;
  }
  if (!(total > target) || !(slope_all > 0.0)) return top;
  double lo = target / slope_all, hi = top; /* G(lo) <= |c| < G(hi) */
  if (!(lo < hi)) return hi;
  for (int it = 0; it < GT_HYPERPLANE_MAX_ITERS; it++) {
    double m = it == 0 ? lo : (lo > 0.0 && hi > 4.0 * lo ? sqrt(lo * hi) : 0.5 * (lo + hi));
    if (it > 0 && !(m > lo && m < hi)) break;
    double capped = 0.0, slope = 0.0, below = 0.0, above = DBL_MAX;
    int on_breakpoint = 0;
    for (int64_t i = 0; i < d; i++) {
      double s, p;
      gt_hyperplane_piece(norm, w[i], x[i], c, &s, &p);
      if (s == 0.0) continue;
      if (p < m) {
        capped += s * p;
        if (p > below) below = p;
      } else if (p > m) {
        slope += s;
        if (p < above) above = p;
      } else {
        capped += s * p;
        on_breakpoint = 1;
      }
    }
    if (!on_breakpoint && slope > 0.0) {
      double lam = (target - capped) / slope;
      if (lam >= below && lam <= above) return lam;
    }
    if (capped + slope * m < target)
      lo = m;
    else
      hi = m;
  }
  return hi;
}

/* Selection key of coordinate i for L1: the bits of |w_i| (monotone for non-negative floats) when
 * it can move, else 0. */
GT_HD uint32_t gt_hyperplane_l1_key(float w, float x, double c) {
  int dir = gt_hyperplane_dir(w, c);
  if (dir == 0 || !(gt_hyperplane_room(x, dir) > 0.0)) return 0u;
  float a = w < 0.0f ? -w : w;
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

/* Progress bought by moving coordinate i through its whole room: |w_i| r_i. */
GT_HD double gt_hyperplane_l1_weight(float w, float x, double c) {
  double aw = w < 0.0f ? -(double)w : (double)w;
  return aw * gt_hyperplane_room(x, gt_hyperplane_dir(w, c));
}

/* The L1 threshold key T (coordinates with keys above T move fully, those at T move the fraction
 * *rho of their room, the others stay); T = 1 and rho = 1 when the plane misses the box (every
 * movable coordinate moves fully); T = 0 when nothing can move. */
GT_HD uint32_t gt_hyperplane_l1_threshold(const float *x, const float *w, double c, int64_t d, double *rho) {
  double target = c < 0.0 ? -c : c, total = 0.0;
  for (int64_t i = 0; i < d; i++)
    if (gt_hyperplane_l1_key(w[i], x[i], c) > 0u) total += gt_hyperplane_l1_weight(w[i], x[i], c);
  *rho = 1.0;
  if (!(total > 0.0)) return 0u;
  if (!(total > target)) return 1u;
  uint32_t prefix = 0u, mask = 0u;
  double need = target; /* progress still to find among the keys matching prefix */
  for (int shift = 24; shift >= 0; shift -= 8) {
    double hist[256];
    for (int b = 0; b < 256; b++) hist[b] = 0.0;
    for (int64_t i = 0; i < d; i++) {
      uint32_t key = gt_hyperplane_l1_key(w[i], x[i], c);
      if (key > 0u && (key & mask) == prefix) hist[(key >> shift) & 0xFFu] += gt_hyperplane_l1_weight(w[i], x[i], c);
    }
    int b = 255;
    double above = 0.0;
    while (b > 0 && above + hist[b] < need) above += hist[b--];
    prefix |= (uint32_t)b << shift;
    mask |= 0xFFu << shift;
    need -= above;
  }
  if (prefix == 0u) return 1u; /* rounding kept every bucket short: move everything (rho = 1) */
  double w_above = 0.0, w_at = 0.0;
  for (int64_t i = 0; i < d; i++) {
    uint32_t key = gt_hyperplane_l1_key(w[i], x[i], c);
    if (key > prefix)
      w_above += gt_hyperplane_l1_weight(w[i], x[i], c);
    else if (key == prefix && key > 0u)
      w_at += gt_hyperplane_l1_weight(w[i], x[i], c);
  }
  double r = w_at > 0.0 ? (target - w_above) / w_at : 0.0;
  *rho = r < 0.0 ? 0.0 : (r > 1.0 ? 1.0 : r);
  return prefix;
}

/* out = the projection of x onto {z : w.(z - a) + f = 0} intersected with [0,1]^d in the norm (see
 * the top of this file). out may alias x (never w or a). */
GT_HD void gt_hyperplane_project_row(gt_norm norm, const float *x, const float *w, const float *a, float f, int64_t d,
                                     float *out) {
  double c = gt_hyperplane_value(x, w, a, f, d);
  if (c == 0.0 || c != c) { /* on the plane already, or no plane at all */
    if (out != x)
      for (int64_t i = 0; i < d; i++) out[i] = x[i];
    return;
  }
  if (norm == GT_NORM_L1) {
    double rho = 1.0;
    uint32_t t = gt_hyperplane_l1_threshold(x, w, c, d, &rho);
    for (int64_t i = 0; i < d; i++) {
      int dir = gt_hyperplane_dir(w[i], c);
      uint32_t key = gt_hyperplane_l1_key(w[i], x[i], c);
      double r = gt_hyperplane_room(x[i], dir);
      double u = (t > 0u && key > t) ? r : ((t > 0u && key == t) ? rho * r : 0.0);
      double z = (double)x[i] + (dir > 0 ? u : -u);
      out[i] = (float)(z < 0.0 ? 0.0 : (z > 1.0 ? 1.0 : z));
    }
    return;
  }
  double lam = gt_hyperplane_lambda(norm, x, w, c, d);
  for (int64_t i = 0; i < d; i++) {
    int dir = gt_hyperplane_dir(w[i], c);
    double u = dir == 0 ? 0.0 : gt_hyperplane_move(norm, w[i], x[i], c, lam);
    double z = (double)x[i] + (dir > 0 ? u : -u);
    out[i] = (float)(z < 0.0 ? 0.0 : (z > 1.0 ? 1.0 : z));
  }
}

#endif
