/* Reliability flags the sweep computes from its own results (gauntlet/flags.h):
 *  - single_step_beats_iterative: FGSM broke points that every iterative gradient attack of the
 *    suite missed (members that ran after FGSM are run on those points to find out);
 *  - black_box_beats_white_box: the score-based attack broke more than 0.2 points (percentage
 *    points of robust accuracy) that every white-box attack missed;
 *  - non_monotone_eps: points broken at a smaller eps that the suite does not break again at a
 *    larger one (the uncarried curve would rise with eps there). */
#ifndef GT_SWEEP_RESULT_FLAGS_H
#define GT_SWEEP_RESULT_FLAGS_H

#include <stdint.h>

#include "gauntlet/flags.h"
#include "sweep/suite.h"

#define GT_BLACK_BOX_THRESHOLD 0.002 /* 0.2 points of robust accuracy, as a fraction */

/* broken_by [n]: member that broke each point at this job (-1: not broken here). Appends fired
 * flags; n_total is the number of evaluated points (shares are of it). */
gt_status gt_sweep_beats_flags(const gt_ensemble *plan, gt_model *model, const gt_attack_points *pts,
                               const int8_t *broken_by, gt_flag *flags, int cap, int *n_flags, gt_error *err);

/* Re-attacks up to max_points of the carried points (carried[i] = 1) at this eps with the whole
 * suite; rebroken[i] = 1 for those broken again (adv_pred and x_adv rows filled). */
gt_status gt_sweep_recheck(const gt_ensemble *plan, gt_model *model, const gt_attack_points *pts,
                           const uint8_t *carried, int max_points, uint8_t *rebroken, int32_t *adv_pred, float *x_adv,
                           int64_t *rechecked, int64_t *missed, const gt_suite_hooks *hooks, gt_error *err);

#endif
