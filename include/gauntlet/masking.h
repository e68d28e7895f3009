/* Gradient-masking probes: cheap checks on a model that fill gt_flag records (gauntlet/flags.h).
 *
 * Two entry points, so a sweep can run the threat-independent part once per model:
 *  - gt_masking_probe_model: randomness, probabilities, zero_gradients, nonfinite_gradients.
 *    Cost on n = min(opt->n_points, pts->n) points: opt->random_passes forward passes and ONE
 *    backward pass per point (the first pass is the CE gradient query; its logits also serve the
 *    probability and the clean-prediction checks). Defaults: 200 points, 3 forward + 1 backward.
 *  - gt_masking_probe_threat: unbounded_not_zero (eps = the whole input range: Linf 1, L2 sqrt(d),
 *    L1 d; depends on the norm only, opt->unbounded = 0 skips it for the later eps of a norm) and,
 *    when opt->check_iterations is set, iterations_sensitive at eps.
 *    Cost: unbounded: one run of opt->unbounded_attack with opt->unbounded_steps on the n points
 *    (default APGD-CE 100 steps on 100 points: about 100 forward + backward passes per point, less
 *    as points break). iterations (opt-in): each listed attack run twice, with S and 2S steps, on
 *    the n points: 3 S forward + backward passes per point per attack (default APGD-CE, S = 100).
 *
 * Units: accuracies and shares are fractions in [0,1] (gt_flag.evidence and .threshold too).
 * Thresholds and their reasons are in docs/FLAGS.md. Every probe is deterministic given opt->seed.
 *
 * Flags are APPENDED: *n_flags is in/out (flags already in the array, usually 0, then plus the
 * fired ones); more than cap is GT_ERR_LIMIT. A flag that did not fire leaves nothing. */
#ifndef GAUNTLET_MASKING_H
#define GAUNTLET_MASKING_H

#include <stdint.h>

#include "gauntlet/attack.h"
#include "gauntlet/flags.h"
#include "gauntlet/model.h"
#include "gauntlet/norm.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_MASKING_MAX_ATTACKS 8

typedef struct gt_masking_options {
  uint64_t seed;              /* keys the probe attacks; default 0 */
  int64_t n_points;           /* points probed: the first n_points of pts (all when fewer); default 200 */
  int64_t batch;              /* points per pass; 0: the model's max batch */

  /* randomness: random_passes (>= 2) forward passes on the same points; fires when a logit
   * differs by more than random_tol * max(1, |z|). Default 3 passes, tol 1e-4 (deterministic
   * backends give identical logits; the slack absorbs threaded reductions). */
  int random_passes;
  float random_tol;

  /* probabilities: fires when at least prob_share of the rows are non-negative (>= -prob_tol)
   * and sum to 1 within prob_tol. Default share 0.99, tol 1e-3. */
  double prob_share;
  float prob_tol;

  /* zero_gradients: fires when the CE input gradient is exactly 0 (every element) for more than
   * zero_grad_share of the correctly classified points. Default 0.10. nonfinite_gradients fires
   * when any point's gradient holds NaN or Inf (threshold 0). */
  double zero_grad_share;

  /* unbounded_not_zero (probe_threat): 1 runs it (default), 0 skips it. Fires when accuracy over
   * the probed points after the unbounded attack exceeds unbounded_max_acc (default 0.10). */
  int unbounded;
  int64_t unbounded_points;   /* default 100 (capped at n_points) */
  const char *unbounded_attack; /* registry name; default "apgd-ce" */
  int unbounded_steps;        /* default 100 */
  double unbounded_max_acc;

  /* iterations_sensitive (probe_threat, opt-in): 1 runs it; default 0. Each attack of
   * iteration_attacks runs with iteration_steps (0: the attack's default) and with twice that;
   * fires when the robust accuracy (worst case over the listed attacks) moves by more than
   * iteration_max_change (default 0.02) between the two. Default attacks: {"apgd-ce"}. */
  int check_iterations;
  int n_iteration_attacks;
  const char *iteration_attacks[GT_MASKING_MAX_ATTACKS];
  int iteration_steps;
  int64_t iteration_points;   /* default 100 (capped at n_points) */
  double iteration_max_change;
} gt_masking_options;

void gt_masking_options_default(gt_masking_options *opt);

/* Threat-independent probes (see the cost above). pts: host points, the model's input size. */
gt_status gt_masking_probe_model(gt_model *model, const gt_attack_points *pts, const gt_masking_options *opt,
                                 gt_flag *flags, int cap, int *n_flags, gt_error *err);

/* Threat probes for (norm, eps): unbounded_not_zero (norm only) and, opt-in, iterations_sensitive. */
gt_status gt_masking_probe_threat(gt_model *model, const gt_attack_points *pts, gt_norm norm, float eps,
                                  const gt_masking_options *opt, gt_flag *flags, int cap, int *n_flags,
                                  gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
