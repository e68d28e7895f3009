/* The sweep's gradient-masking probes (sweep/probes.h). */
#include "sweep/probes.h"

#include "gauntlet/masking.h"

static void options(const gt_sweep_config *cfg, gt_masking_options *opt) {
  gt_masking_options_default(opt);
  opt->seed = cfg->seed;
  opt->n_points = cfg->probe_points;
}

gt_status gt_sweep_probe_model(const gt_sweep_config *cfg, gt_model *model, const gt_attack_points *pts,
                               gt_flag *flags, int cap, int *n_flags, gt_error *err) {
  gt_masking_options opt;
  options(cfg, &opt);
  gt_status st = gt_masking_probe_model(model, pts, &opt, flags, cap, n_flags, err);
  return st ? gt_error_prefix(err, "gradient-masking probe: ") : GT_OK;
}

gt_status gt_sweep_probe_threat(const gt_sweep_config *cfg, gt_model *model, const gt_attack_points *pts, gt_norm norm,
                                float eps, int first_eps, gt_flag *flags, int cap, int *n_flags, gt_error *err) {
  gt_masking_options opt;
  options(cfg, &opt);
  opt.unbounded = first_eps;
  opt.check_iterations = cfg->check_iterations;
  if (!opt.unbounded && !opt.check_iterations) return GT_OK;
  gt_status st = gt_masking_probe_threat(model, pts, norm, eps, &opt, flags, cap, n_flags, err);
  return st ? gt_error_prefix(err, "gradient-masking probe (%s): ", gt_norm_name(norm)) : GT_OK;
}
