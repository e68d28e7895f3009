/* The randomness check: the same points through the model several times must give the same
 * logits. A randomised model (dropout left on, noise layers) answers differently each time, and
 * plain gradient attacks then follow one noisy sample of its gradient (use EOT instead). Costs
 * nothing beyond the repeated forward passes the probe runs (opt->random_passes - 1 per point). */
#include <math.h>

#include "checks/masking_checks.h"
#include "gauntlet/hd/logits.h"

/* |a - b| relative to max(1, |a|); equal values (inf == inf, NaN vs NaN) are no change, a
 * non-finite value against anything else is an infinite change. */
static double rel_change(float a, float b) {
  if (a == b || (isnan(a) && isnan(b))) return 0.0;
  if (!isfinite(a) || !isfinite(b)) return INFINITY;
  double scale = fabs((double)a) > 1.0 ? fabs((double)a) : 1.0;
  return fabs((double)a - (double)b) / scale;
}

void gt_randomness_compare(gt_randomness_acc *acc, const float *first, const float *again, int64_t n, int k,
                           float tol, int32_t *mark) {
  for (int64_t i = 0; i < n; i++) {
    const float *z0 = first + i * k, *z1 = again + i * k;
    for (int j = 0; j < k; j++) {
      double r = rel_change(z0[j], z1[j]);
      if (r > acc->max_rel) acc->max_rel = r;
      if (r > (double)tol) mark[i] |= 1;
    }
    if (gt_logits_argmax(z0, k) != gt_logits_argmax(z1, k)) mark[i] |= 2;
  }
}

void gt_randomness_count(gt_randomness_acc *acc, const int32_t *mark, int64_t n) {
  acc->rows += n;
  for (int64_t i = 0; i < n; i++) {
    acc->changed += (mark[i] & 1) != 0;
    acc->flipped += (mark[i] & 2) != 0;
  }
}

int gt_randomness_flag(const gt_randomness_acc *acc, int passes, float tol, gt_flag *out) {
  if (acc->rows == 0 || acc->changed == 0) return 0;
  gt_masking_flag_set(out, GT_FLAG_RANDOMNESS, acc->max_rel, (double)tol,
                      "%lld of %lld points got different logits in %d forward passes (largest relative change "
                      "%.3g, tolerance %.3g); %lld predicted classes changed",
                      (long long)acc->changed, (long long)acc->rows, passes, acc->max_rel, (double)tol,
                      (long long)acc->flipped);
  return 1;
}
