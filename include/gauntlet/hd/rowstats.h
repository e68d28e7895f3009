/* Per-sample statistics that attacks read for their control logic, host and device: a running
 * maximum with a counter of rises (APGD's best-loss and oscillation bookkeeping) and the number of
 * coordinates in which a point differs from another (the L0 size of a perturbation, which APGD-L1
 * adapts its sparsity to). Every backend's vector ops (gauntlet/vecops.h) call these, so the rules
 * exist once. */
#ifndef GAUNTLET_HD_ROWSTATS_H
#define GAUNTLET_HD_ROWSTATS_H

#include <stdint.h>

#include "gauntlet/hd/common.h"

/* One sample's running maximum: returns 1 and stores v in *best when v > *best, else 0. When last
 * is given (then rises is too), *rises counts v > *last and *last becomes v. A NaN value never
 * improves nor rises (every comparison with it is false); it still becomes *last. */
GT_HD int gt_track_max_elem(float v, float *best, float *last, int32_t *rises) {
  int improved = v > *best;
  if (improved) *best = v;
  if (last) {
    if (v > *last) (*rises)++;
    *last = v;
  }
  return improved;
}

/* Number of coordinates i < d with x_i != x0_i (x0 NULL: x_i != 0). NaN counts as different. */
GT_HD int64_t gt_l0_count_row(const float *x, const float *x0, int64_t d) {
  int64_t count = 0;
  for (int64_t i = 0; i < d; i++) count += x[i] != (x0 ? x0[i] : 0.0f);
  return count;
}

#endif
