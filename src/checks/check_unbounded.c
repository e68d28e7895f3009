/* The unbounded-attack check: with eps = the whole input range (Linf 1, L2 sqrt(d), L1 d: every
 * image in [0,1]^d is reachable) an attack can turn any point into one of another class, so
 * accuracy after it should be about 0. Accuracy well above 0 means the attack cannot find its way
 * on this model: gradient masking, or a broken pipeline.
 *
 * Cost: one run of opt->unbounded_attack (default APGD-CE, 100 steps) on the first
 * min(unbounded_points, n_points) points: up to `steps` forward + backward passes per clean-correct
 * point, fewer as points break (on an unmasked model most break in the first steps). */
#include <math.h>
#include <string.h>

#include "checks/masking_checks.h"

float gt_unbounded_eps(gt_norm norm, int64_t d) {
  switch (norm) {
    case GT_NORM_L2: return (float)sqrt((double)d);
    case GT_NORM_L1: return (float)d;
    default: return 1.0f;
  }
}

gt_status gt_unbounded_check(gt_model *model, const gt_attack_points *pts, gt_norm norm,
                             const gt_masking_options *opt, gt_flag *out, int *fired, gt_error *err) {
  *fired = 0;
  gt_attack_points sub = gt_masking_threat_points(pts, opt, opt->unbounded_points);
  int64_t n = sub.n;
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.norm = norm;
  cfg.eps = gt_unbounded_eps(norm, gt_model_input_numel(model));
  cfg.steps = opt->unbounded_steps;
  cfg.seed = opt->seed;
  cfg.batch = opt->batch;
  gt_attack_result res;
  memset(&res, 0, sizeof res);
  gt_status st = gt_attack_run(opt->unbounded_attack, &cfg, model, &sub, NULL, &res, err);
  if (st != GT_OK) {
    gt_attack_result_free(&res);
    return err ? gt_error_prefix(err, "masking probe: unbounded attack (eps %g): ", (double)cfg.eps) : st;
  }
  double acc = (double)res.n_robust / (double)n;
  if (acc > opt->unbounded_max_acc) {
    *fired = 1;
    gt_masking_flag_set(out, GT_FLAG_UNBOUNDED_NOT_ZERO, acc, opt->unbounded_max_acc,
                        "%lld of %lld points (%.1f%%) stay correctly classified after %s with %d steps at %s eps "
                        "%g, the whole input range (threshold %.1f%%; clean accuracy %.1f%%)",
                        (long long)res.n_robust, (long long)n, 100.0 * acc, opt->unbounded_attack, res.config.steps,
                        gt_norm_name(norm), (double)cfg.eps, 100.0 * opt->unbounded_max_acc,
                        100.0 * (double)res.n_clean_correct / (double)n);
  }
  gt_attack_result_free(&res);
  return GT_OK;
}
