/* Decisions read off one row of K logits (host and device): the predicted class, the ranking of
 * classes, and whether an attack has succeeded on the row. Every backend's vector ops call these.
 *
 * Order: by value, descending; at equal values the LOWER index ranks first (torch.argmax's rule,
 * gt_argmax_rows' and gt_loss_top4's). A NaN logit never beats another value, so it never ranks
 * first unless it is at index 0 (the result of a NaN row is meaningless but in range). */
#ifndef GAUNTLET_HD_LOGITS_H
#define GAUNTLET_HD_LOGITS_H

#include <stdint.h>

#include "gauntlet/hd/common.h"

GT_HD int gt_logits_argmax(const float *z, int k) {
  int best = 0;
  for (int j = 1; j < k; j++)
    if (z[j] > z[best]) best = j;
  return best;
}

/* Lowest logit, ties to the lower index ("least likely" target). */
GT_HD int gt_logits_argmin(const float *z, int k) {
  int best = 0;
  for (int j = 1; j < k; j++)
    if (z[j] < z[best]) best = j;
  return best;
}

/* Whether class j ranks after class p in the order above. */
GT_HD int gt_logits_ranks_after(const float *z, int j, int p) { return z[j] < z[p] || (z[j] == z[p] && j > p); }

/* out[0..kk) = the kk best-ranked classes, best first (1 <= kk <= k). O(k * kk), no scratch: the
 * r-th is the best class ranking after the (r-1)-th. Slots that no class fills (NaN rows) are -1. */
GT_HD void gt_logits_topk(const float *z, int k, int kk, int32_t *out) {
  int prev = -1;
  for (int r = 0; r < kk; r++) {
    int best = -1;
    for (int j = 0; j < k; j++) {
      if (prev >= 0 && !gt_logits_ranks_after(z, j, prev)) continue;
      if (best < 0 || gt_logits_ranks_after(z, best, j)) best = j;
    }
    out[r] = best;
    if (best < 0) {
      for (int s = r + 1; s < kk; s++) out[s] = -1;
      return;
    }
    prev = best;
  }
}

/* Success of an attack on a row: untargeted (t < 0) when the prediction is not the label y;
 * targeted (t >= 0) when the prediction is t. */
GT_HD int gt_logits_success(const float *z, int k, int y, int t) {
  int pred = gt_logits_argmax(z, k);
  return t >= 0 ? pred == t : pred != y;
}

#endif
