/* The non-finite gradient check: any NaN or Inf in a point's loss or input gradient. Attacks that
 * step along such a gradient stall or leave the box; a single point is enough to flag it
 * (threshold 0). Costs nothing beyond the probe's one gradient query per point. */
#include <math.h>

#include "checks/masking_checks.h"

void gt_nonfinite_add(gt_nonfinite_acc *acc, const float *loss, const float *grad, int64_t n, int64_t d) {
  for (int64_t i = 0; i < n; i++) {
    int64_t bad = !isfinite(loss[i]);
    const float *g = grad + i * d;
    for (int64_t j = 0; j < d; j++) bad += !isfinite(g[j]);
    acc->rows++;
    acc->bad += bad > 0;
    acc->bad_elems += bad;
  }
}

int gt_nonfinite_flag(const gt_nonfinite_acc *acc, gt_flag *out) {
  if (acc->bad == 0) return 0;
  double got = (double)acc->bad / (double)acc->rows;
  gt_masking_flag_set(out, GT_FLAG_NONFINITE_GRADIENTS, got, 0.0,
                      "%lld of %lld points have NaN or Inf in their loss or input gradient (%lld values in all)",
                      (long long)acc->bad, (long long)acc->rows, (long long)acc->bad_elems);
  return 1;
}
