/* The probabilities check: outputs that are non-negative and sum to 1 row by row are softmax
 * probabilities, not logits. Losses on them (CE of a softmax of probabilities, margins in [0,1])
 * saturate and hide gradients. Costs nothing: it reads the logits of the probe's first pass. */
#include <math.h>

#include "checks/masking_checks.h"

void gt_probabilities_add(gt_probabilities_acc *acc, const float *logits, int64_t n, int k, float tol) {
  for (int64_t i = 0; i < n; i++) {
    const float *z = logits + i * k;
    double sum = 0.0;
    int nonneg = 1;
    for (int j = 0; j < k; j++) {
      if (!(z[j] >= -tol)) nonneg = 0; /* NaN too */
      sum += (double)z[j];
    }
    acc->rows++;
    if (!nonneg) continue;
    double dev = fabs(sum - 1.0);
    if (dev > acc->max_sum_dev) acc->max_sum_dev = dev;
    if (dev <= (double)tol) acc->prob_rows++;
  }
}

int gt_probabilities_flag(const gt_probabilities_acc *acc, double share, float tol, gt_flag *out) {
  if (acc->rows == 0) return 0;
  double got = (double)acc->prob_rows / (double)acc->rows;
  if (got < share) return 0;
  gt_masking_flag_set(out, GT_FLAG_PROBABILITIES, got, share,
                      "%lld of %lld output rows are non-negative and sum to 1 within %.3g (largest deviation "
                      "%.3g): the model outputs probabilities, not logits",
                      (long long)acc->prob_rows, (long long)acc->rows, (double)tol, acc->max_sum_dev);
  return 1;
}
