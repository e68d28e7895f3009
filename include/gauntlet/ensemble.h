/* Ensembles of attacks with a per-sample worst case: the AutoAttack-equivalent `autoattack`.
 *
 * Members run one after another on ONE shared oracle (so pass counts add up). Each member attacks
 * only the points that are still robust after the members before it, always starting from the
 * clean points; a point is broken as soon as any member breaks it, and its x_adv is that member's.
 * The per-attack robust accuracy after each member is kept, in order. */
#ifndef GAUNTLET_ENSEMBLE_H
#define GAUNTLET_ENSEMBLE_H

#include "gauntlet/attack.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_ENSEMBLE_MAX_MEMBERS 8

typedef enum gt_autoattack_version {
  GT_AA_STANDARD, /* APGD-CE, APGD-T (9 targets), FAB-T (9 targets), Square (5000 queries); L1: APGD-CE x5, APGD-T (5) */
  GT_AA_PLUS,     /* APGD-CE x5, APGD-DLR x5, FAB x5, Square, APGD-T, FAB-T */
  GT_AA_RAND,     /* APGD-CE, APGD-DLR, each with EOT over 20 gradient samples */
  GT_AA_VERSION_COUNT
} gt_autoattack_version;

const char *gt_autoattack_version_name(gt_autoattack_version v); /* "standard", "plus", "rand" */
gt_status gt_autoattack_version_parse(const char *text, gt_autoattack_version *out, gt_error *err);

typedef struct gt_ensemble_member {
  const char *attack;      /* registry name */
  gt_attack_config config; /* as the member will run (defaults resolved by its run loop) */
} gt_ensemble_member;

typedef struct gt_ensemble {
  char name[48];           /* "autoattack-standard" */
  int n_members;
  gt_ensemble_member members[GT_ENSEMBLE_MAX_MEMBERS];
  int n_skipped;           /* members of the reference version that do not support the norm */
  const char *skipped[GT_ENSEMBLE_MAX_MEMBERS];
} gt_ensemble;

/* The members and settings of AutoAttack's version for a norm and eps, in the reference order.
 * Every member must be registered; members without support for the norm are listed in skipped
 * (AutoAttack's L1 standard runs APGD only, for the same reason). */
gt_status gt_autoattack_plan(gt_autoattack_version version, gt_norm norm, float eps, uint64_t seed,
                             gt_ensemble *out, gt_error *err);

typedef struct gt_ensemble_result {
  gt_attack_result total;                         /* per point: worst case over the members */
  int n_members;
  const char *member[GT_ENSEMBLE_MAX_MEMBERS];
  int64_t robust_after[GT_ENSEMBLE_MAX_MEMBERS];  /* robust points after member i (cumulative) */
  int64_t attacked[GT_ENSEMBLE_MAX_MEMBERS];      /* points member i ran on */
  double seconds[GT_ENSEMBLE_MAX_MEMBERS];
  gt_oracle_counts passes[GT_ENSEMBLE_MAX_MEMBERS];
} gt_ensemble_result;

void gt_ensemble_result_free(gt_ensemble_result *res);

/* Runs the ensemble on host points. x_adv: HOST [n, d] or NULL (x_adv of broken points, x elsewhere). */
gt_status gt_ensemble_run(const gt_ensemble *e, gt_model *model, const gt_attack_points *pts, float *x_adv,
                          gt_ensemble_result *res, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
