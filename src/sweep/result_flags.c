/* Result flags of a sweep job (sweep/result_flags.h). */
#include "sweep/result_flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_single_step(const char *name) { return !strcmp(name, "fgsm") || !strcmp(name, "fgm"); }

/* Points broken by a member of a_mask that no member of b_mask breaks: members of b_mask that ran
 * after the first a-member are run on them (attacks are deterministic per point, so those that ran
 * before and missed would miss again). */
static gt_status count_beaten(const gt_ensemble *plan, unsigned a_mask, unsigned b_mask, gt_model *model,
                              const gt_attack_points *pts, const int8_t *broken_by, int64_t *beaten, gt_error *err) {
  int first_a = -1;
  for (int m = 0; m < plan->n_members && first_a < 0; m++)
    if (a_mask & (1u << m)) first_a = m;
  unsigned rerun = b_mask & ~((2u << first_a) - 1u);
  size_t n = (size_t)(pts->n > 0 ? pts->n : 1);
  uint8_t *robust = calloc(n, 1);
  int8_t *by = malloc(n);
  int32_t *pred = malloc(n * sizeof *pred);
  if (!robust || !by || !pred) {
    free(robust), free(by), free(pred);
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory for the flag checks");
  }
  for (int64_t i = 0; i < pts->n; i++) robust[i] = broken_by[i] >= 0 && (a_mask & (1u << broken_by[i]));
  gt_status st = GT_OK;
  if (rerun) {
    gt_suite_stats stats;
    st = gt_suite_run(plan, rerun, model, pts, robust, by, pred, NULL, &stats, NULL, err);
  }
  *beaten = 0;
  for (int64_t i = 0; i < pts->n; i++) *beaten += robust[i];
  free(robust), free(by), free(pred);
  return st;
}

static void add_flag(gt_flag *flags, int cap, int *n, gt_flag_kind kind, double evidence, double threshold,
                     const char *detail) {
  if (*n >= cap) return;
  gt_flag *f = &flags[(*n)++];
  f->kind = kind;
  f->evidence = evidence;
  f->threshold = threshold;
  snprintf(f->detail, sizeof f->detail, "%s", detail);
}

gt_status gt_sweep_beats_flags(const gt_ensemble *plan, gt_model *model, const gt_attack_points *pts,
                               const int8_t *broken_by, gt_flag *flags, int cap, int *n_flags, gt_error *err) {
  unsigned single = 0, iterative = 0, black = 0, white = 0;
  for (int m = 0; m < plan->n_members; m++) {
    const gt_attack *a = gt_attack_find(plan->members[m].attack);
    if (a->access == GT_ACCESS_GRADIENT) white |= 1u << m;
    else black |= 1u << m;
    if (a->access == GT_ACCESS_GRADIENT) *(is_single_step(a->name) ? &single : &iterative) |= 1u << m;
  }
  double n = pts->n > 0 ? (double)pts->n : 1;
  char detail[256];
  int64_t beaten = 0;
  gt_status st = GT_OK;
  if (single && iterative) {
    st = count_beaten(plan, single, iterative, model, pts, broken_by, &beaten, err);
    if (!st && beaten > 0) {
      snprintf(detail, sizeof detail, "FGSM broke %lld of %lld points that every iterative attack missed",
               (long long)beaten, (long long)pts->n);
      add_flag(flags, cap, n_flags, GT_FLAG_SINGLE_STEP_BEATS, beaten / n, 0, detail);
    }
  }
  if (!st && black && white) {
    st = count_beaten(plan, black, white, model, pts, broken_by, &beaten, err);
    if (!st && beaten / n > GT_BLACK_BOX_THRESHOLD) {
      snprintf(detail, sizeof detail,
               "the black-box attack broke %lld of %lld points (%.2f points of robust accuracy) that every white-box "
               "attack missed",
               (long long)beaten, (long long)pts->n, 100.0 * beaten / n);
      add_flag(flags, cap, n_flags, GT_FLAG_BLACK_BOX_BEATS, beaten / n, GT_BLACK_BOX_THRESHOLD, detail);
    }
  }
  return st;
}

gt_status gt_sweep_recheck(const gt_ensemble *plan, gt_model *model, const gt_attack_points *pts,
                           const uint8_t *carried, int max_points, uint8_t *rebroken, int32_t *adv_pred, float *x_adv,
                           int64_t *rechecked, int64_t *missed, const gt_suite_hooks *hooks, gt_error *err) {
  size_t n = (size_t)(pts->n > 0 ? pts->n : 1);
  uint8_t *robust = calloc(n, 1);
  int8_t *by = malloc(n);
  if (!robust || !by) {
    free(robust), free(by);
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory for the eps recheck");
  }
  *rechecked = 0;
  for (int64_t i = 0; i < pts->n && *rechecked < max_points; i++)
    if (carried[i]) robust[i] = 1, ++*rechecked;
  gt_status st = GT_OK;
  if (*rechecked > 0) {
    gt_suite_stats stats;
    st = gt_suite_run(plan, (1u << plan->n_members) - 1u, model, pts, robust, by, adv_pred, x_adv, &stats, hooks, err);
  }
  *missed = 0;
  for (int64_t i = 0; i < pts->n; i++) {
    rebroken[i] = 0;
    if (carried[i] && robust[i]) ++*missed;
  }
  int64_t seen = 0;
  for (int64_t i = 0; i < pts->n && seen < *rechecked; i++)
    if (carried[i]) rebroken[i] = !robust[i], seen++;
  free(robust), free(by);
  return st;
}
