/* Names and explanations of the reliability flags (gauntlet/flags.h): one table, so the JSON, the
 * HTML report and the docs say the same thing. */
#include "gauntlet/flags.h"

#include <string.h>

typedef struct flag_text {
  const char *name;
  const char *explanation;
} flag_text;

static const flag_text flag_texts[GT_FLAG_KIND_COUNT] = {
    [GT_FLAG_RANDOMNESS] = {"randomness",
                            "Two forward passes on the same input gave different logits: the model is randomised "
                            "(dropout at test time, noise layers). Gradient attacks then see a noisy gradient; "
                            "evaluate with EOT (the autoattack 'rand' version) before trusting the number."},
    [GT_FLAG_PROBABILITIES] = {"probabilities",
                               "The outputs are non-negative and sum to 1: the model ends in a softmax. Losses "
                               "computed on probabilities saturate and hide gradients; export the logits (drop the "
                               "final softmax) and evaluate again."},
    [GT_FLAG_ZERO_GRADIENTS] = {"zero_gradients",
                                "The input gradient is exactly zero for many correctly classified points: the model "
                                "saturates or quantises its input (gradient masking). Gradient-based robust accuracy "
                                "overstates robustness; try the black-box attack, BPDA or a smoother surrogate."},
    [GT_FLAG_NONFINITE_GRADIENTS] = {"nonfinite_gradients",
                                     "The input gradient contains NaN or Inf: a numerically unstable layer (log of 0, "
                                     "division by a tiny value). Attacks following it stall; fix the model's numerics."},
    [GT_FLAG_SINGLE_STEP_BEATS] = {"single_step_beats_iterative",
                                   "A single-step attack (FGSM) broke points that every iterative attack missed. "
                                   "Iterative attacks should be strictly stronger; this is a classic sign of gradient "
                                   "masking or an attack stuck in a bad local optimum."},
    [GT_FLAG_NON_MONOTONE_EPS] = {"non_monotone_eps",
                                  "Robust accuracy went up when eps grew. A larger ball contains the smaller one, so "
                                  "this can only come from attacks that failed to converge; treat every number of "
                                  "this model as an upper bound."},
    [GT_FLAG_UNBOUNDED_NOT_ZERO] = {"unbounded_not_zero",
                                    "An attack allowed to change the input arbitrarily (eps = the whole input range) "
                                    "left accuracy well above 0. Any classifier can be fooled without a bound, so the "
                                    "attacks are not working on this model (gradient masking or a broken pipeline)."},
    [GT_FLAG_BLACK_BOX_BEATS] = {"black_box_beats_white_box",
                                 "The score-based black-box attack (Square) broke more points than the white-box "
                                 "gradient attacks, by more than 0.2 points. White-box attacks see strictly more; "
                                 "their gradients are likely masked."},
    [GT_FLAG_ITERATIONS_SENSITIVE] = {"iterations_sensitive",
                                      "Doubling the attack iterations changed robust accuracy by more than the "
                                      "threshold: the attacks have not converged. Report the stronger number and run "
                                      "with more iterations or restarts."},
    [GT_FLAG_SMOKE] = {"smoke_preset",
                       "A smoke-preset run: a short attack on few points for per-commit checks. It is not a full "
                       "evaluation and its robust accuracy is an upper bound."},
};

const char *gt_flag_name(gt_flag_kind kind) {
  if ((int)kind < 0 || kind >= GT_FLAG_KIND_COUNT) return NULL;
  return flag_texts[kind].name;
}

const char *gt_flag_explanation(gt_flag_kind kind) {
  if ((int)kind < 0 || kind >= GT_FLAG_KIND_COUNT) return NULL;
  return flag_texts[kind].explanation;
}

int gt_flag_parse(const char *name, gt_flag_kind *out) {
  if (!name) return -1;
  for (int k = 0; k < GT_FLAG_KIND_COUNT; k++) {
    if (strcmp(flag_texts[k].name, name) == 0) {
      *out = (gt_flag_kind)k;
      return 0;
    }
  }
  return -1;
}
