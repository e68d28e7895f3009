/* One job's attack suite: the members (AutoAttack's plan or the config's list) run in order, each
 * on the points still robust after the ones before it (per-sample worst case, always from the
 * clean point), with per-point bookkeeping of which member broke what, so the sweep can carry
 * broken points to larger eps and compute its result flags. */
#ifndef GT_SWEEP_SUITE_H
#define GT_SWEEP_SUITE_H

#include <stdint.h>

#include "gauntlet/ensemble.h"
#include "gauntlet/sweep.h"

/* The members for one (threat model, eps); batch = the model's max batch. */
gt_status gt_suite_plan(const gt_sweep_config *cfg, gt_norm norm, float eps, int64_t batch, gt_ensemble *out,
                        gt_error *err);

typedef struct gt_suite_stats {
  int n_members;
  int64_t robust_after[GT_ENSEMBLE_MAX_MEMBERS]; /* points of pts still robust after member m (all points) */
  int64_t attacked[GT_ENSEMBLE_MAX_MEMBERS];
  double seconds[GT_ENSEMBLE_MAX_MEMBERS];
  int64_t forward[GT_ENSEMBLE_MAX_MEMBERS], backward[GT_ENSEMBLE_MAX_MEMBERS]; /* samples through the model */
  int stopped;                                    /* *stop was set: later members did not run */
} gt_suite_stats;

typedef struct gt_suite_hooks {
  volatile sig_atomic_t *stop;                    /* checked before each member */
  void (*before_member)(void *user, const char *attack, int64_t points);
  void *user;
} gt_suite_hooks;

/* Runs the members whose bit is set in mask, in plan order, on the points with robust[i] = 1.
 * A point a member breaks gets robust[i] = 0, broken_by[i] = m, adv_pred[i] and its row of x_adv
 * (host [n, d]); other entries are left alone. */
gt_status gt_suite_run(const gt_ensemble *plan, unsigned mask, gt_model *model, const gt_attack_points *pts,
                       uint8_t *robust, int8_t *broken_by, int32_t *adv_pred, float *x_adv, gt_suite_stats *stats,
                       const gt_suite_hooks *hooks, gt_error *err);

#endif
