/* One job's attack suite with per-point bookkeeping (sweep/suite.h). */
#include "sweep/suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

gt_status gt_suite_plan(const gt_sweep_config *cfg, gt_norm norm, float eps, int64_t batch, gt_ensemble *out,
                        gt_error *err) {
  if (cfg->use_autoattack) {
    gt_status st = gt_autoattack_plan(cfg->version, norm, eps, cfg->seed, out, err);
    if (st) return st;
  } else {
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", cfg->suite);
    for (int a = 0; a < cfg->n_attacks; a++) {
      gt_ensemble_member *m = &out->members[out->n_members++];
      m->attack = gt_attack_find(cfg->attacks[a].name)->name;
      m->config = cfg->attacks[a].config;
      m->config.norm = norm;
      m->config.eps = eps;
      m->config.seed = cfg->seed;
    }
  }
  for (int m = 0; m < out->n_members; m++) out->members[m].config.batch = batch;
  return GT_OK;
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One member on the still-robust rows. */
static gt_status run_member(const gt_ensemble *plan, int m, gt_model *model, const gt_attack_points *pts, int64_t d,
                            uint8_t *robust, int8_t *broken_by, int32_t *adv_pred, float *x_adv,
                            gt_suite_stats *stats, gt_error *err) {
  int64_t k = 0;
  for (int64_t i = 0; i < pts->n; i++) k += robust[i] != 0;
  stats->attacked[m] = k;
  if (k == 0) return GT_OK;
  size_t rows = (size_t)k;
  int64_t *map = malloc(rows * sizeof *map), *ids = malloc(rows * sizeof *ids);
  int32_t *labels = malloc(rows * sizeof *labels);
  float *x = malloc(rows * (size_t)d * sizeof *x), *adv = malloc(rows * (size_t)d * sizeof *adv);
  gt_oracle *oracle = NULL;
  gt_status st = GT_OK;
  if (!map || !ids || !labels || !x || !adv)
    st = gt_error_set(err, GT_ERR_MEMORY, "out of memory for %lld points of member %s", (long long)k, plan->members[m].attack);
  int64_t j = 0;
  for (int64_t i = 0; !st && i < pts->n; i++) {
    if (!robust[i]) continue;
    map[j] = i;
    ids[j] = pts->ids ? pts->ids[i] : i;
    labels[j] = pts->labels[i];
    memcpy(x + j * d, pts->x + i * d, (size_t)d * sizeof *x);
    j++;
  }
  gt_attack_result r;
  memset(&r, 0, sizeof r);
  const gt_attack *a = gt_attack_find(plan->members[m].attack);
  if (!st) st = gt_oracle_create(model, plan->members[m].config.eot, &oracle, err);
  if (!st) {
    gt_attack_points sub = {.n = k, .x = x, .labels = labels, .ids = ids, .targets = NULL};
    st = gt_attack_run_oracle(a, &plan->members[m].config, oracle, &sub, adv, &r, err);
    if (st) gt_error_prefix(err, "%s: ", a->name);
  }
  for (j = 0; !st && j < k; j++) {
    if (!r.success[j]) continue;
    int64_t i = map[j];
    robust[i] = 0;
    broken_by[i] = (int8_t)m;
    adv_pred[i] = r.adv_pred[j];
    if (x_adv) memcpy(x_adv + i * d, adv + j * d, (size_t)d * sizeof *adv);
  }
  if (!st) {
    gt_oracle_counts c = gt_oracle_get_counts(oracle);
    stats->forward[m] += c.forward;
    stats->backward[m] += c.backward;
  }
  gt_attack_result_free(&r);
  gt_oracle_free(oracle);
  free(map), free(ids), free(labels), free(x), free(adv);
  return st;
}

gt_status gt_suite_run(const gt_ensemble *plan, unsigned mask, gt_model *model, const gt_attack_points *pts,
                       uint8_t *robust, int8_t *broken_by, int32_t *adv_pred, float *x_adv, gt_suite_stats *stats,
                       const gt_suite_hooks *hooks, gt_error *err) {
  memset(stats, 0, sizeof *stats);
  stats->n_members = plan->n_members;
  int64_t d = gt_model_input_numel(model);
  int64_t left = 0;
  for (int64_t i = 0; i < pts->n; i++) left += robust[i] != 0;
  for (int m = 0; m < plan->n_members; m++) {
    if (mask & (1u << m)) {
      if (hooks && hooks->stop && *hooks->stop) {
        stats->stopped = 1;
        return GT_OK;
      }
      if (hooks && hooks->before_member) hooks->before_member(hooks->user, plan->members[m].attack, left);
      double t0 = seconds_now();
      gt_status st = run_member(plan, m, model, pts, d, robust, broken_by, adv_pred, x_adv, stats, err);
      if (st) return st;
      stats->seconds[m] = seconds_now() - t0;
      left = 0;
      for (int64_t i = 0; i < pts->n; i++) left += robust[i] != 0;
    }
    stats->robust_after[m] = left;
  }
  return GT_OK;
}
