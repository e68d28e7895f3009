/* The ensemble runner and the AutoAttack plans (gauntlet/ensemble.h). */
#include "gauntlet/ensemble.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const version_names[GT_AA_VERSION_COUNT] = {"standard", "plus", "rand"};

const char *gt_autoattack_version_name(gt_autoattack_version v) {
  return (int)v >= 0 && v < GT_AA_VERSION_COUNT ? version_names[v] : "?";
}

gt_status gt_autoattack_version_parse(const char *text, gt_autoattack_version *out, gt_error *err) {
  for (int v = 0; v < GT_AA_VERSION_COUNT; v++)
    if (!strcmp(text, version_names[v])) {
      *out = (gt_autoattack_version)v;
      return GT_OK;
    }
  return gt_error_set(err, GT_ERR_USAGE, "unknown autoattack version '%s' (standard, plus, rand)", text);
}

/* Appends a member if the attack is registered and supports the norm; records it as skipped when
 * the norm is the only obstacle. */
static gt_status add_member(gt_ensemble *e, const char *attack, const gt_attack_config *cfg, gt_error *err) {
  const gt_attack *a = gt_attack_find(attack);
  if (!a) return gt_error_set(err, GT_ERR_INTERNAL, "ensemble %s: attack '%s' is not registered", e->name, attack);
  if (!(a->norms & GT_NORM_BIT(cfg->norm))) {
    e->skipped[e->n_skipped++] = a->name;
    return GT_OK;
  }
  gt_ensemble_member *m = &e->members[e->n_members++];
  m->attack = a->name;
  m->config = *cfg;
  return GT_OK;
}

gt_status gt_autoattack_plan(gt_autoattack_version version, gt_norm norm, float eps, uint64_t seed,
                             gt_ensemble *out, gt_error *err) {
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "autoattack-%s", gt_autoattack_version_name(version));
  gt_attack_config base;
  gt_attack_config_init(&base);
  base.norm = norm;
  base.eps = eps;
  base.seed = seed;
  base.steps = 100;
  base.restarts = 1;
  gt_attack_config ce = base, dlr = base, apgd_t = base, fab = base, fab_t = base, square = base;
  dlr.loss = GT_LOSS_DLR;
  apgd_t.loss = GT_LOSS_DLR; /* the run loop turns it into targeted DLR */
  apgd_t.targeted = GT_TARGET_TOP;
  apgd_t.n_target_ranks = 9;
  fab_t.targeted = GT_TARGET_TOP;
  fab_t.n_target_ranks = 9;
  square.steps = 5000; /* queries */
  gt_status st = GT_OK;
  switch (version) {
    case GT_AA_STANDARD:
      if (norm == GT_NORM_L1) {
        ce.restarts = 5;
        apgd_t.n_target_ranks = 5;
      }
      st = add_member(out, "apgd-ce", &ce, err);
      if (st == GT_OK) st = add_member(out, "apgd-t", &apgd_t, err);
      if (st == GT_OK) st = add_member(out, "fab-t", &fab_t, err);
      if (st == GT_OK) st = add_member(out, "square", &square, err);
      break;
    case GT_AA_PLUS:
      ce.restarts = 5;
      dlr.restarts = 5;
      fab.restarts = 5;
      st = add_member(out, "apgd-ce", &ce, err);
      if (st == GT_OK) st = add_member(out, "apgd-dlr", &dlr, err);
      if (st == GT_OK) st = add_member(out, "fab", &fab, err);
      if (st == GT_OK) st = add_member(out, "square", &square, err);
      if (st == GT_OK) st = add_member(out, "apgd-t", &apgd_t, err);
      if (st == GT_OK) st = add_member(out, "fab-t", &fab_t, err);
      break;
    case GT_AA_RAND:
      ce.eot = 20;
      dlr.eot = 20;
      st = add_member(out, "apgd-ce", &ce, err);
      if (st == GT_OK) st = add_member(out, "apgd-dlr", &dlr, err);
      break;
    default:
      return gt_error_set(err, GT_ERR_USAGE, "unknown autoattack version %d", (int)version);
  }
  if (st == GT_OK && out->n_members == 0)
    st = gt_error_set(err, GT_ERR_USAGE, "autoattack %s has no attack for the %s norm",
                      gt_autoattack_version_name(version), gt_norm_name(norm));
  return st;
}

void gt_ensemble_result_free(gt_ensemble_result *res) {
  if (!res) return;
  gt_attack_result_free(&res->total);
  memset(res, 0, sizeof *res);
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The points still robust after the members so far: their rows of x, labels and original ids. */
typedef struct subset {
  int64_t n;
  int64_t *rows; /* index into the ensemble's points */
  float *x;
  int32_t *labels;
  int64_t *ids;
  float *x_adv;
} subset;

static void subset_free(subset *s) {
  free(s->rows);
  free(s->x);
  free(s->labels);
  free(s->ids);
  free(s->x_adv);
  memset(s, 0, sizeof *s);
}

static gt_status subset_build(const gt_attack_points *pts, int64_t d, const gt_attack_result *total, subset *s,
                              gt_error *err) {
  memset(s, 0, sizeof *s);
  size_t m = (size_t)(pts->n > 0 ? pts->n : 1);
  s->rows = malloc(m * sizeof(int64_t));
  s->x = malloc(m * (size_t)d * sizeof(float));
  s->labels = malloc(m * sizeof(int32_t));
  s->ids = malloc(m * sizeof(int64_t));
  s->x_adv = malloc(m * (size_t)d * sizeof(float));
  if (!s->rows || !s->x || !s->labels || !s->ids || !s->x_adv) {
    subset_free(s);
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory for the ensemble's subset of %lld points", (long long)pts->n);
  }
  for (int64_t i = 0; i < pts->n; i++) {
    if (!total->clean_correct[i] || total->success[i]) continue;
    s->rows[s->n] = i;
    memcpy(s->x + s->n * d, pts->x + i * d, (size_t)d * sizeof(float));
    s->labels[s->n] = pts->labels[i];
    s->ids[s->n] = pts->ids ? pts->ids[i] : i;
    s->n++;
  }
  return GT_OK;
}

/* Folds a member's result on the subset into the ensemble's per-point worst case. */
static void merge_member(gt_attack_result *total, const subset *s, const gt_attack_result *r, int64_t d,
                         float *x_adv) {
  for (int64_t j = 0; j < s->n; j++) {
    int64_t i = s->rows[j];
    total->forward[i] += r->forward[j];
    total->backward[i] += r->backward[j];
    if (!r->success[j]) continue;
    total->success[i] = 1;
    total->adv_pred[i] = r->adv_pred[j];
    total->target[i] = r->target[j];
    total->norm[i] = r->norm[j];
    if (r->norm[j] > total->max_norm) total->max_norm = r->norm[j];
    total->n_robust--;
    if (x_adv) memcpy(x_adv + i * d, s->x_adv + j * d, (size_t)d * sizeof(float));
  }
  total->n_unconfirmed += r->n_unconfirmed;
  total->n_nonfinite += r->n_nonfinite;
  total->n_over_eps += r->n_over_eps;
}

gt_status gt_ensemble_run(const gt_ensemble *e, gt_model *model, const gt_attack_points *pts, float *x_adv,
                          gt_ensemble_result *res, gt_error *err) {
  memset(res, 0, sizeof *res);
  if (e->n_members < 1) return gt_error_set(err, GT_ERR_USAGE, "ensemble %s has no members", e->name);
  int eot = e->members[0].config.eot;
  for (int i = 1; i < e->n_members; i++)
    if (e->members[i].config.eot != eot)
      return gt_error_set(err, GT_ERR_USAGE, "ensemble %s: members must share one EOT setting", e->name);
  gt_oracle *oracle = NULL;
  gt_status st = gt_oracle_create(model, eot, &oracle, err);
  if (st != GT_OK) return st;
  int64_t d = gt_model_input_numel(model);
  res->n_members = e->n_members;
  /* The first member runs on every point: its clean pass gives clean predictions for all. */
  double t0 = seconds_now();
  const gt_attack *first = gt_attack_find(e->members[0].attack);
  st = gt_attack_run_oracle(first, &e->members[0].config, oracle, pts, x_adv, &res->total, err);
  if (st != GT_OK) {
    gt_oracle_free(oracle);
    return gt_error_prefix(err, "%s, member %s: ", e->name, first->name);
  }
  res->member[0] = first->name;
  res->attacked[0] = res->total.n_clean_correct;
  res->robust_after[0] = res->total.n_robust;
  res->seconds[0] = seconds_now() - t0;
  res->passes[0] = res->total.total;
  for (int m = 1; m < e->n_members && st == GT_OK; m++) {
    const gt_attack *a = gt_attack_find(e->members[m].attack);
    res->member[m] = a->name;
    t0 = seconds_now();
    gt_oracle_counts before = gt_oracle_get_counts(oracle);
    subset s;
    st = subset_build(pts, d, &res->total, &s, err);
    if (st != GT_OK) break;
    res->attacked[m] = s.n;
    if (s.n > 0) {
      gt_attack_points sub = {.n = s.n, .x = s.x, .labels = s.labels, .ids = s.ids, .targets = NULL};
      gt_attack_result r;
      memset(&r, 0, sizeof r);
      st = gt_attack_run_oracle(a, &e->members[m].config, oracle, &sub, s.x_adv, &r, err);
      if (st == GT_OK) merge_member(&res->total, &s, &r, d, x_adv);
      else gt_error_prefix(err, "%s, member %s: ", e->name, a->name);
      gt_attack_result_free(&r);
    }
    subset_free(&s);
    gt_oracle_counts after = gt_oracle_get_counts(oracle);
    res->passes[m].forward = after.forward - before.forward;
    res->passes[m].backward = after.backward - before.backward;
    res->robust_after[m] = res->total.n_robust;
    res->seconds[m] = seconds_now() - t0;
  }
  res->total.total = gt_oracle_get_counts(oracle);
  res->total.attack = e->name;
  gt_oracle_free(oracle);
  if (st != GT_OK) gt_ensemble_result_free(res);
  return st;
}
