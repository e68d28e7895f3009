/* APGD's momentum step on one row (Croce & Hein 2020), host and device; the math of the
 * momentum_step vector op (gauntlet/vecops.h). From the iterate x = x_k, its predecessor
 * xp = x_{k-1} and the gradient g at x_k:
 *   z       = P(x + alpha dir(g))                                  (gt_proj_step_row)
 *   x_{k+1} = P(x + a (z - x) + (1 - a)(x - xp))                   (first step: x_{k+1} = z)
 * and then xp = x_k. The combination is evaluated as a z + (2(1 - a) x - (1 - a) xp), the
 * grouping APGD used when it ran these as separate vector ops (ascent step, two axpby, a
 * projection), so the bytes are the same as theirs.
 * Linf: one pass, element by element. L2: the projections need row norms (of g, of the step, of
 * the combination), so the row takes four passes, with the combination parked in xp between the
 * last two: no scratch. Norms accumulate in double in index order (gt_lp_norm_row).
 * Linf and L2 only: APGD-L1 has no momentum. x, xp, g and x0 are distinct rows. */
#ifndef GAUNTLET_HD_MOMENTUM_H
#define GAUNTLET_HD_MOMENTUM_H

#include "gauntlet/hd/project.h"

/* The coefficients a, 2(1 - a) and -(1 - a), in float. */
typedef struct gt_momentum {
  float a, keep, back;
} gt_momentum;

GT_HD gt_momentum gt_momentum_coefs(float a) {
  gt_momentum c;
  c.a = a;
  c.keep = 2.0f * (1.0f - a);
  c.back = -(1.0f - a);
  return c;
}

/* The combination before its projection. */
GT_HD float gt_momentum_mix(gt_momentum c, float z, float x, float xp) { return c.a * z + (c.back * xp + c.keep * x); }

GT_HD float gt_momentum_linf_elem(gt_momentum c, int first, float x, float xp, float g, float x0, float alpha,
                                  float eps) {
  float z = gt_proj_linf_step_elem(x, g, x0, alpha, eps);
  return first ? z : gt_proj_linf_elem(gt_momentum_mix(c, z, x, xp), x0, eps);
}

/* The L2 step on one row. Passes: the gradient's norm; the step's norm; z and the combination u,
 * which goes into xp (its old value read first) with u's norm; the projection of u into x and the
 * old x into xp. */
GT_HD void gt_momentum_l2_row(gt_momentum c, int first, float *x, float *xp, const float *g, const float *x0,
                              float alpha, float eps, int64_t d) {
  float s = alpha * gt_dir_l2_scale(g, d);
  double sum = 0.0;
  for (int64_t i = 0; i < d; i++) sum += gt_l2_sq(x[i] + s * g[i], x0[i]);
  float fz = gt_proj_l2_factor(gt_l2_norm_of(sum), eps); /* z_i = gt_proj_l2_elem(x_i + s g_i, x0_i, fz) */
  if (first) {
    for (int64_t i = 0; i < d; i++) {
      float z = gt_proj_l2_elem(x[i] + s * g[i], x0[i], fz);
      xp[i] = x[i];
      x[i] = z;
    }
    return;
  }
  sum = 0.0;
  for (int64_t i = 0; i < d; i++) {
    float u = gt_momentum_mix(c, gt_proj_l2_elem(x[i] + s * g[i], x0[i], fz), x[i], xp[i]);
    xp[i] = u;
    sum += gt_l2_sq(u, x0[i]);
  }
  float fu = gt_proj_l2_factor(gt_l2_norm_of(sum), eps);
  for (int64_t i = 0; i < d; i++) {
    float next = gt_proj_l2_elem(xp[i], x0[i], fu);
    xp[i] = x[i];
    x[i] = next;
  }
}

/* The whole step on one row of d values; norm is Linf or L2. */
GT_HD void gt_momentum_row(gt_norm norm, gt_momentum c, int first, float *x, float *xp, const float *g,
                           const float *x0, float alpha, float eps, int64_t d) {
  if (norm == GT_NORM_L2) {
    gt_momentum_l2_row(c, first, x, xp, g, x0, alpha, eps, d);
    return;
  }
  for (int64_t i = 0; i < d; i++) {
    float next = gt_momentum_linf_elem(c, first, x[i], xp[i], g[i], x0[i], alpha, eps);
    xp[i] = x[i];
    x[i] = next;
  }
}

#endif
