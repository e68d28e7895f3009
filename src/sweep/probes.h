/* The sweep's calls of the gradient-masking probes (gauntlet/masking.h) with the config's options:
 * the model probe once per (model, dataset), the threat probe once per threat model (unbounded
 * attack, at its first eps) and, when the config opts in, the doubled-iterations check per eps. */
#ifndef GT_SWEEP_PROBES_H
#define GT_SWEEP_PROBES_H

#include "gauntlet/attack.h"
#include "gauntlet/flags.h"
#include "gauntlet/sweep.h"

gt_status gt_sweep_probe_model(const gt_sweep_config *cfg, gt_model *model, const gt_attack_points *pts,
                               gt_flag *flags, int cap, int *n_flags, gt_error *err);

/* first_eps = 1: the threat model's first eps (runs the unbounded attack). */
gt_status gt_sweep_probe_threat(const gt_sweep_config *cfg, gt_model *model, const gt_attack_points *pts, gt_norm norm,
                                float eps, int first_eps, gt_flag *flags, int cap, int *n_flags, gt_error *err);

#endif
