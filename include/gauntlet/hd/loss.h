/* Per-sample loss formulas on one row of K logits: the value and its gradient dloss/dz.
 * Every backend (ref, cpu, cuda) calls these, so a loss is defined exactly once.
 *
 * Orientation: every loss is one the attacker MAXIMISES (see gauntlet/loss.h).
 * Sorting: the DLR and C&W losses read the largest logits. They use gt_loss_top4, which orders
 * by value, descending, and breaks ties by the LOWER INDEX FIRST; the gradient flows to exactly
 * the logits that this order selects, so ties give a deterministic (one-sided) subgradient.
 * max_{i!=y} z_i is the 2nd-ranked logit when y is ranked 1st, else the 1st-ranked one; its
 * value is the true maximum over i != y whatever the tie-breaking.
 *
 * Preconditions (checked by the backends' loss entry, not here): k >= gt_loss_min_classes(kind),
 * 0 <= y, t < k. dz, when non-NULL, has k entries and is overwritten (not accumulated). */
#ifndef GAUNTLET_HD_LOSS_H
#define GAUNTLET_HD_LOSS_H

#include "gauntlet/hd/common.h"
#include "gauntlet/loss.h"

/* Added to the DLR denominators (AutoAttack's constant) so that equal logits give 0, not 0/0. */
#define GT_LOSS_DLR_EPS 1e-12f

/* Indices of the min(k, 4) largest logits, largest first, lower index first at equal values;
 * unused slots (k < 4) are -1. One pass, no allocation (a thread per row on a GPU). */
GT_HD void gt_loss_top4(const float *z, int k, int top[4]) {
  for (int j = 0; j < 4; j++) top[j] = -1;
  for (int i = 0; i < k; i++) {
    /* Strict '>' keeps an earlier (lower) index ahead of a later one with the same value. */
    int pos = 0;
    while (pos < 4 && top[pos] >= 0 && !(z[i] > z[top[pos]])) pos++;
    if (pos == 4) continue;
    for (int j = 3; j > pos; j--) top[j] = top[j - 1];
    top[pos] = i;
  }
}

/* The index that realises max_{i != skip} z_i, given top from gt_loss_top4 (k >= 2). */
GT_HD int gt_loss_best_other(const int top[4], int skip) { return top[0] == skip ? top[1] : top[0]; }

/* logsumexp(z) = m + log1p(rest) with m the max logit (first one at ties) and
 * rest = sum over the other i of exp(z_i - m): no overflow, and a confidently classified sample
 * keeps its tiny loss (log1p(1e-9) is 1e-9 in float, log(1 + 1e-9) is 0). */
GT_HD void gt_loss_lse_parts(const float *z, int k, float *m_out, float *rest_out) {
  int top = 0;
  for (int i = 1; i < k; i++)
    if (z[i] > z[top]) top = i;
  float m = z[top], rest = 0.0f;
  for (int i = 0; i < k; i++)
    if (i != top) rest += expf(z[i] - m);
  *m_out = m;
  *rest_out = rest;
}

/* CE = logsumexp(z) - z_y = (m - z_y) + log1p(rest). dloss/dz_i = softmax(z)_i - [i == y]. */
GT_HD float gt_loss_ce(const float *z, int k, int y, float *dz) {
  float m, rest;
  gt_loss_lse_parts(z, k, &m, &rest);
  if (dz) {
    for (int i = 0; i < k; i++) dz[i] = expf(z[i] - m) / (1.0f + rest);
    dz[y] -= 1.0f;
  }
  return (m - z[y]) + log1pf(rest);
}

/* Targeted CE = z_t - logsumexp(z) (log-probability of t). dloss/dz_i = [i == t] - softmax(z)_i. */
GT_HD float gt_loss_ce_targeted(const float *z, int k, int t, float *dz) {
  float m, rest;
  gt_loss_lse_parts(z, k, &m, &rest);
  if (dz) {
    for (int i = 0; i < k; i++) dz[i] = -expf(z[i] - m) / (1.0f + rest);
    dz[t] += 1.0f;
  }
  return (z[t] - m) - log1pf(rest);
}

GT_HD void gt_loss_zero(float *dz, int k) {
  for (int i = 0; i < k; i++) dz[i] = 0.0f;
}

/* DLR = -(z_y - z_o) / D with o = argmax_{i!=y}, D = z_pi1 - z_pi3 + eps (k >= 3).
 * With num = z_o - z_y: dL/dz_o += 1/D, dL/dz_y -= 1/D, dL/dz_pi1 -= num/D^2, dL/dz_pi3 += num/D^2
 * (o may be pi1 and y may be pi1: the terms add up). */
GT_HD float gt_loss_dlr(const float *z, int k, int y, float *dz) {
  int top[4];
  gt_loss_top4(z, k, top);
  int o = gt_loss_best_other(top, y);
  float num = z[o] - z[y];
  float den = z[top[0]] - z[top[2]] + GT_LOSS_DLR_EPS;
  if (dz) {
    gt_loss_zero(dz, k);
    dz[o] += 1.0f / den;
    dz[y] -= 1.0f / den;
    dz[top[0]] -= num / (den * den);
    dz[top[2]] += num / (den * den);
  }
  return num / den;
}

/* Targeted DLR = -(z_y - z_t) / D with D = z_pi1 - (z_pi3 + z_pi4)/2 + eps (k >= 4).
 * With num = z_t - z_y: dL/dz_t += 1/D, dL/dz_y -= 1/D, dL/dz_pi1 -= num/D^2,
 * dL/dz_pi3 += num/(2 D^2), dL/dz_pi4 += num/(2 D^2). t == y gives the constant 0. */
GT_HD float gt_loss_dlr_targeted(const float *z, int k, int y, int t, float *dz) {
  int top[4];
  gt_loss_top4(z, k, top);
  float num = z[t] - z[y];
  float den = z[top[0]] - 0.5f * (z[top[2]] + z[top[3]]) + GT_LOSS_DLR_EPS;
  if (dz) {
    float q = num / (den * den);
    gt_loss_zero(dz, k);
    dz[t] += 1.0f / den;
    dz[y] -= 1.0f / den;
    dz[top[0]] -= q;
    dz[top[2]] += 0.5f * q;
    dz[top[3]] += 0.5f * q;
  }
  return num / den;
}

/* C&W margin = max_{i!=y} z_i - z_y: > 0 exactly when some other class beats y. */
GT_HD float gt_loss_cw(const float *z, int k, int y, float *dz) {
  int top[4];
  gt_loss_top4(z, k, top);
  int o = gt_loss_best_other(top, y);
  if (dz) {
    gt_loss_zero(dz, k);
    dz[o] += 1.0f;
    dz[y] -= 1.0f;
  }
  return z[o] - z[y];
}

/* Targeted C&W margin = z_t - max_{i!=t} z_i: > 0 exactly when t beats every other class. */
GT_HD float gt_loss_cw_targeted(const float *z, int k, int t, float *dz) {
  int top[4];
  gt_loss_top4(z, k, top);
  int o = gt_loss_best_other(top, t);
  if (dz) {
    gt_loss_zero(dz, k);
    dz[t] += 1.0f;
    dz[o] -= 1.0f;
  }
  return z[t] - z[o];
}

/* Dispatch on the loss kind; t is read only by targeted kinds. Unknown kinds give NaN. */
GT_HD float gt_loss_row(gt_loss_kind kind, const float *z, int k, int y, int t, float *dz) {
  switch (kind) {
    case GT_LOSS_CE: return gt_loss_ce(z, k, y, dz);
    case GT_LOSS_CE_TARGETED: return gt_loss_ce_targeted(z, k, t, dz);
    case GT_LOSS_DLR: return gt_loss_dlr(z, k, y, dz);
    case GT_LOSS_DLR_TARGETED: return gt_loss_dlr_targeted(z, k, y, t, dz);
    case GT_LOSS_CW: return gt_loss_cw(z, k, y, dz);
    case GT_LOSS_CW_TARGETED: return gt_loss_cw_targeted(z, k, t, dz);
    case GT_LOSS_COUNT: break;
  }
  return NAN;
}

#endif
