/* The zero-gradient check: a correctly classified point whose CE input gradient is exactly zero
 * in every element gives a gradient attack nothing to follow (saturated or quantised input,
 * a flat region of the model, or CE underflow at a logit margin above ~104 in float32). Only
 * clean-correct points count: misclassified ones need no attack. Costs nothing beyond the probe's
 * one gradient query per point. */
#include "checks/masking_checks.h"

void gt_zero_grad_add(gt_zero_grad_acc *acc, const float *grad, const int32_t *correct, int64_t n, int64_t d) {
  for (int64_t i = 0; i < n; i++) {
    if (!correct[i]) continue;
    acc->correct++;
    const float *g = grad + i * d;
    int64_t j = 0;
    while (j < d && g[j] == 0.0f) j++; /* -0.0 == 0.0; NaN is not zero */
    acc->zero += j == d;
  }
}

int gt_zero_grad_flag(const gt_zero_grad_acc *acc, double share, gt_flag *out) {
  if (acc->correct == 0) return 0;
  double got = (double)acc->zero / (double)acc->correct;
  if (!(got > share)) return 0;
  gt_masking_flag_set(out, GT_FLAG_ZERO_GRADIENTS, got, share,
                      "%lld of %lld correctly classified points have an exactly zero cross-entropy input gradient "
                      "(%.1f%%, threshold %.1f%%)",
                      (long long)acc->zero, (long long)acc->correct, 100.0 * got, 100.0 * share);
  return 1;
}
