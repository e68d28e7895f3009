/* Test helper: the invariants every attack run on a toy point set (toy_models.h) must keep, with
 * the differences between kinds of attack spelled out in gt_toy_expect.
 *
 * Always checked: GT_TOY_NPTS results; robust <= clean-correct and the robust count matches the
 * per-point flags; no unconfirmed, non-finite or over-eps point; every x_adv row in [0,1]; a
 * broken point was clean-correct and re-evaluates (by the test's own forward pass) as
 * misclassified, or as its target when the run required hitting it; an unbroken point comes back
 * as the clean point; a clean-misclassified point is never attacked (0 forward passes). */
#ifndef GAUNTLET_TEST_ATTACK_INVARIANTS_H
#define GAUNTLET_TEST_ATTACK_INVARIANTS_H

#include "support/toy_models.h"

typedef enum gt_toy_bound {
  GT_TOY_ALL_WITHIN_EPS,    /* bounded attacks: every returned point within eps (+1e-6) */
  GT_TOY_BROKEN_WITHIN_EPS, /* broken points within eps (+1e-6) when eps is finite and > 0 (FAB) */
  GT_TOY_BROKEN_WITHIN_CAP, /* minimum-norm attacks: broken points at distance in (0, cap (1 + 1e-6) + 1e-7] */
} gt_toy_bound;

typedef enum gt_toy_norm_report {
  GT_TOY_NORM_ANY,   /* the reported norms are not checked */
  GT_TOY_NORM_CLOSE, /* a broken point reports its measured distance within 1e-6 (absolute and relative) */
  GT_TOY_NORM_EXACT, /* a broken point reports its measured distance exactly (as a float) */
} gt_toy_norm_report;

typedef struct gt_toy_expect {
  gt_toy_bound bound;
  double cap;                      /* GT_TOY_BROKEN_WITHIN_CAP; +inf: no cap */
  gt_toy_norm_report norm;
  int unbroken_norm_zero;          /* an unbroken point reports norm 0 */
  int bookkeeping;                 /* clean_correct agrees with clean_pred, adv_pred with the re-evaluation,
                                      per-point passes fit in the totals, which count the clean pass */
  int64_t scores_only_max_forward; /* > 0: a score-based attack: no backward pass anywhere, at most this
                                      many forward passes per point */
} gt_toy_expect;

void gt_toy_check_run(gt_toy *t, const char *what, const gt_attack_result *r, const float *x_adv,
                      const gt_toy_expect *e);

/* Two runs gave the same bytes: per-point results, targets, passes and x_adv rows of d floats. */
int gt_toy_same_results(const gt_attack_result *a, const gt_attack_result *b, const float *xa, const float *xb,
                        int64_t d);

#endif
