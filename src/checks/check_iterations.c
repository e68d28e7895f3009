/* The iteration-sensitivity check (opt-in): the iterative attacks run with S steps and again with
 * 2 S steps at the same eps and seed. Converged attacks give the same robust accuracy (worst case
 * over the listed attacks, per point); a move of more than opt->iteration_max_change means the
 * reported number depends on the budget, so it is not yet a robust accuracy.
 *
 * Cost: per listed attack, S + 2 S = 3 S forward + backward passes per still-robust point on the
 * first min(iteration_points, n_points) points (default APGD-CE, S = 100: up to 300 per point),
 * which is why the sweep runs it only on request. */
#include <stdlib.h>
#include <string.h>

#include "checks/masking_checks.h"

/* Runs every listed attack with steps[a] steps (0: the attack's default), ORs the successes into
 * broken [n], and leaves the resolved step counts in steps[]. */
static gt_status run_budget(gt_model *model, const gt_attack_points *pts, gt_norm norm, float eps,
                            const gt_masking_options *opt, int *steps, int32_t *broken, int64_t *clean_correct,
                            gt_error *err) {
  for (int a = 0; a < opt->n_iteration_attacks; a++) {
    gt_attack_config cfg;
    gt_attack_config_init(&cfg);
    cfg.norm = norm;
    cfg.eps = eps;
    cfg.seed = opt->seed;
    cfg.batch = opt->batch;
    cfg.steps = steps[a];
    gt_attack_result res;
    memset(&res, 0, sizeof res);
    gt_status st = gt_attack_run(opt->iteration_attacks[a], &cfg, model, pts, NULL, &res, err);
    if (st != GT_OK) {
      gt_attack_result_free(&res);
      return err ? gt_error_prefix(err, "masking probe: iteration check with %d steps: ", cfg.steps) : st;
    }
    for (int64_t i = 0; i < pts->n; i++) broken[i] |= res.success[i];
    *clean_correct = res.n_clean_correct;
    steps[a] = res.config.steps;
    gt_attack_result_free(&res);
  }
  return GT_OK;
}

static double robust_share(const int32_t *broken, int64_t n, int64_t clean_correct) {
  int64_t b = 0;
  for (int64_t i = 0; i < n; i++) b += broken[i] != 0;
  return (double)(clean_correct - b) / (double)n;
}

gt_status gt_iterations_check(gt_model *model, const gt_attack_points *pts, gt_norm norm, float eps,
                              const gt_masking_options *opt, gt_flag *out, int *fired, gt_error *err) {
  *fired = 0;
  gt_attack_points sub = gt_masking_threat_points(pts, opt, opt->iteration_points);
  int64_t n = sub.n;
  int32_t *broken1 = calloc((size_t)n, sizeof(int32_t)), *broken2 = calloc((size_t)n, sizeof(int32_t));
  gt_status st = GT_OK;
  if (!broken1 || !broken2)
    st = gt_error_set(err, GT_ERR_MEMORY, "masking probe: out of memory for %lld points", (long long)n);
  int64_t cc1 = 0, cc2 = 0;
  int steps[GT_MASKING_MAX_ATTACKS], s1 = 0;
  for (int a = 0; a < opt->n_iteration_attacks; a++) steps[a] = opt->iteration_steps;
  if (st == GT_OK) st = run_budget(model, &sub, norm, eps, opt, steps, broken1, &cc1, err);
  if (st == GT_OK) {
    s1 = steps[0];
    for (int a = 0; a < opt->n_iteration_attacks && st == GT_OK; a++) {
      if (steps[a] > 500000)
        st = gt_error_set(err, GT_ERR_LIMIT, "masking probe: %s: %d steps cannot be doubled", opt->iteration_attacks[a],
                          steps[a]);
      steps[a] *= 2;
    }
  }
  if (st == GT_OK) st = run_budget(model, &sub, norm, eps, opt, steps, broken2, &cc2, err);
  int s2 = steps[0];
  if (st == GT_OK) {
    double a1 = robust_share(broken1, n, cc1), a2 = robust_share(broken2, n, cc2);
    double change = a1 > a2 ? a1 - a2 : a2 - a1;
    if (change > opt->iteration_max_change) {
      *fired = 1;
      gt_masking_flag_set(out, GT_FLAG_ITERATIONS_SENSITIVE, change, opt->iteration_max_change,
                          "robust accuracy at %s eps %g moved from %.1f%% with %d step%s to %.1f%% with %d steps "
                          "on %lld points (%s%s; threshold %.1f points)",
                          gt_norm_name(norm), (double)eps, 100.0 * a1, s1, s1 == 1 ? "" : "s", 100.0 * a2, s2,
                          (long long)n,
                          opt->iteration_attacks[0], opt->n_iteration_attacks > 1 ? " and others" : "",
                          100.0 * opt->iteration_max_change);
    }
  }
  free(broken1);
  free(broken2);
  return st;
}
