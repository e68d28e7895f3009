/* What the minimum-norm attacks (attacks/cw.c, deepfool.c, fmn.c) share: the meaning of eps for
 * them, their common configuration checks, and the bookkeeping of the best (smallest) adversarial
 * point found per row.
 *
 * eps of a minimum-norm attack is a CAP, not a radius to search in: the attack looks for the
 * smallest perturbation it can, and a row counts as broken only when that perturbation's norm is
 * <= eps (then x_adv, the smallest adversarial point found, is within eps). eps = 0 (the default:
 * "not set") or +inf means no cap: every adversarial point found counts, and res.norm gives the
 * whole accuracy-vs-eps curve of one run (robust accuracy at e = share of rows with no success or
 * norm > e).
 *
 * The best point lives in a device buffer [cap, d] indexed by BATCH row (never compacted), its
 * norm in a host array [cap]: attacks that keep iterating after a success (FMN, C&W) record every
 * adversarial iterate that is closer than the best so far, and write the best points out at the
 * end of the batch. */
#ifndef GAUNTLET_ATTACKS_MINNORM_H
#define GAUNTLET_ATTACKS_MINNORM_H

#include <stdint.h>

#include "gauntlet/attack.h"
#include "gauntlet/oracle.h"
#include "gauntlet/workset.h"

/* The cap of a configuration: eps when 0 < eps < inf, else +inf (no cap). */
float gt_minnorm_cap(const gt_attack_config *cfg);

/* Shared checks and defaults: eps >= 0 (NaN refused; 0 and +inf mean no cap), steps (0 ->
 * default_steps; 1..1000000), restarts (the three attacks are deterministic: at most 1), no random
 * start, and the loss: these attacks always use the logit difference, so CE (the configuration's
 * default) and CW are accepted and recorded as CW (targeted: CW_TARGETED); other losses are refused. */
gt_status gt_minnorm_resolve(const char *attack, gt_attack_config *cfg, int default_steps, gt_error *err);

typedef struct gt_minnorm_best {
  float *x;       /* [cap, d] device: best adversarial point of each batch row */
  float *norm;    /* HOST [cap]: its norm in the attack's norm; +inf while none is found */
  /* private */
  float *tmp;     /* [cap, d] device */
  int32_t *idx_dev, *idx2_dev, *idx_h, *idx2_h;
  int64_t cap, d;
} gt_minnorm_best;

gt_status gt_minnorm_best_create(gt_oracle *o, gt_minnorm_best *b, gt_error *err);
void gt_minnorm_best_free(gt_oracle *o, gt_minnorm_best *b);

/* No best point yet for batch rows 0..n-1. */
void gt_minnorm_best_reset(gt_minnorm_best *b, int64_t n);

/* For every active row i of the working set with adv_h[i] != 0 and norm_h[i] < the best norm of
 * its batch row ws->pos[i]: row i of x_src ([ws->n, d] device, active order) becomes the best point. */
gt_status gt_minnorm_best_update(gt_minnorm_best *b, gt_oracle *o, const gt_workset *ws, const float *x_src,
                                 const int32_t *adv_h, const float *norm_h, gt_error *err);

/* After gt_workset_end: every batch row whose best norm is <= cap gets its best point in
 * batch->x_adv and success 1. */
gt_status gt_minnorm_best_finish(gt_minnorm_best *b, gt_oracle *o, gt_attack_batch *batch, float cap, gt_error *err);

/* gt_workset_retire for attacks that stop at their first adversarial iterate (DeepFool): rows with
 * done_h[i] retire with row i of x_src, but those whose norm_h[i] is beyond cap are then marked
 * unbroken (their x_adv is ignored by the run loop). scratch_h: HOST [ws->n] int32. */
gt_status gt_minnorm_retire_capped(gt_workset *ws, const int32_t *done_h, const float *x_src, const float *norm_h,
                                   float cap, int32_t *scratch_h, gt_error *err);

#endif
