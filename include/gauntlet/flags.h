/* Gradient-masking and reliability flags: the sanity checks of Carlini et al. 2019 that a sweep
 * runs by default. A fired flag marks the leaderboard entry `unreliable` and says why.
 *
 * Two families fill the same record:
 * - result flags, computed by the sweep from its own results (src/sweep): a single-step attack
 *   breaks points the iterative ones missed, accuracy not monotone in eps, the black-box attack
 *   beats the white-box ones;
 * - probe flags, computed by probing the model (src/checks, gauntlet/masking.h): randomness,
 *   probability outputs, zero or non-finite input gradients, an unbounded attack that leaves
 *   accuracy well above 0, sensitivity to doubling the iterations (opt-in). */
#ifndef GAUNTLET_FLAGS_H
#define GAUNTLET_FLAGS_H

#ifdef __cplusplus
extern "C" {
#endif

#define GT_MAX_FLAGS 12

typedef enum gt_flag_kind {
  GT_FLAG_RANDOMNESS,             /* repeated forward passes on the same input disagree */
  GT_FLAG_PROBABILITIES,          /* outputs are non-negative and sum to 1: a softmax in the model */
  GT_FLAG_ZERO_GRADIENTS,         /* input gradients are zero for a large share of points */
  GT_FLAG_NONFINITE_GRADIENTS,    /* input gradients contain NaN or Inf */
  GT_FLAG_SINGLE_STEP_BEATS,      /* FGSM breaks points that every iterative attack missed */
  GT_FLAG_NON_MONOTONE_EPS,       /* robust accuracy rises with eps */
  GT_FLAG_UNBOUNDED_NOT_ZERO,     /* eps = whole input range leaves accuracy well above 0 */
  GT_FLAG_BLACK_BOX_BEATS,        /* Square beats the white-box attacks by > 0.2 points */
  GT_FLAG_ITERATIONS_SENSITIVE,   /* doubling iterations changes robust accuracy (opt-in check) */
  GT_FLAG_SMOKE,                  /* a smoke-preset run, not a full evaluation */
  GT_FLAG_KIND_COUNT
} gt_flag_kind;

typedef struct gt_flag {
  gt_flag_kind kind;
  double evidence;        /* the measured number (a share of points, a difference in points, ...) */
  double threshold;       /* the value it was compared with */
  char detail[256];       /* one sentence with the numbers: "31 of 200 points have a zero input gradient" */
} gt_flag;

/* Stable JSON name of a flag ("zero_gradients"); NULL for an invalid kind. */
const char *gt_flag_name(gt_flag_kind kind);
/* What the flag means and what to do about it, for the docs and the HTML report. */
const char *gt_flag_explanation(gt_flag_kind kind);
/* Kind from its JSON name; returns 0 on success, -1 if unknown. */
int gt_flag_parse(const char *name, gt_flag_kind *out);

#ifdef __cplusplus
}
#endif
#endif
