/* APGD's checkpoint schedules and per-row step-size decisions, host side (see apgd_schedule.h).
 * Fractions are taken of the iteration count in double and truncated, as AutoAttack does, so the
 * checkpoints are the same integers as theirs for every count. */
#include "apgd_schedule.h"

#include <math.h>

static int at_least_one(double v) {
  int i = (int)v;
  return i > 1 ? i : 1;
}

int gt_apgd_checkpoints(int n_iter, int *out, int cap) {
  if (n_iter < 1) return 0;
  int interval = at_least_one(0.22 * n_iter);
  int decrease = at_least_one(0.03 * n_iter);
  int min_interval = at_least_one(0.06 * n_iter);
  int count = 0;
  for (int w = interval; w <= n_iter; w += interval) {
    if (out && count < cap) out[count] = w;
    count++;
    interval = interval - decrease > min_interval ? interval - decrease : min_interval;
  }
  return count;
}

int gt_apgd_halve(int32_t rises, int interval, int reduced_last, float best_last, float best) {
  int oscillates = (double)rises <= GT_APGD_RHO * (double)interval;
  int stalled = !reduced_last && best_last >= best;
  return oscillates || stalled;
}

void gt_apgd_l1_stages(int n_iter, int iters[GT_APGD_L1_STAGES]) {
  iters[0] = (int)ceil(0.3 * n_iter);
  iters[1] = iters[0];
  iters[2] = n_iter - iters[0] - iters[1];
}

int gt_apgd_l1_interval(int stage_iters) { return at_least_one(0.04 * stage_iters); }

int32_t gt_apgd_l1_k(double l0, int64_t d) {
  double keep = 1.0 - l0 / (double)d / GT_APGD_L1_K_DIVISOR; /* share of coordinates below the cut */
  double cut = floor(keep * (double)d);
  if (!(cut >= 0.0)) cut = 0.0;
  if (cut > (double)(d - 1)) cut = (double)(d - 1);
  double k = (double)d - cut;
  return k > 2147483647.0 ? 2147483647 : (int32_t)k;
}

int gt_apgd_l1_checkpoint(float l0, float *l0_old, float *alpha, float alpha0, int64_t d, int32_t *k) {
  int restart = (double)l0 < GT_APGD_L1_SHRINK * (double)*l0_old;
  float a = restart ? alpha0 : *alpha / GT_APGD_L1_STEP_DIVISOR;
  float lo = alpha0 * GT_APGD_L1_MIN_STEP_FRACTION;
  *alpha = a < lo ? lo : (a > alpha0 ? alpha0 : a);
  *l0_old = l0;
  *k = gt_apgd_l1_k((double)l0, d);
  return restart;
}
