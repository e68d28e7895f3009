/* Evaluating the gates of a configuration on a finished leaderboard, including the comparison
 * with a baseline leaderboard (a previous run of the same models on the same points). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gates/gates_internal.h"

/* Accuracies are counts over n points; this only absorbs rounding of values read back from text. */
#define GATE_TOLERANCE 1e-9

static const gt_lb_entry *baseline_find(const gt_leaderboard *b, const gt_lb_entry *e) {
  for (int t = 0; t < b->n_tables; t++) {
    const gt_lb_table *tb = &b->tables[t];
    if (strcmp(tb->threat_model, e->threat_model) != 0 || !gt_gates_eps_equal(tb->eps, e->eps)) continue;
    for (int i = 0; i < tb->n_entries; i++)
      if (strcmp(tb->entries[i].name, e->name) == 0 && strcmp(tb->entries[i].dataset, e->dataset) == 0)
        return &tb->entries[i];
  }
  return NULL;
}

/* Entries match on (model name, dataset, threat model, eps). A baseline is only comparable when
 * every matched entry saw the same points and the same suite. */
static gt_status baseline_check(const gt_leaderboard *lb, const gt_leaderboard *b, gt_error *err) {
  int matched = 0;
  for (int t = 0; t < lb->n_tables; t++) {
    for (int i = 0; i < lb->tables[t].n_entries; i++) {
      const gt_lb_entry *e = &lb->tables[t].entries[i], *o = baseline_find(b, e);
      if (!o) continue;
      matched++;
      const char *what = NULL, *now = NULL, *then = NULL;
      if (strcmp(e->suite, o->suite) != 0) {
        what = "attack suite", now = e->suite, then = o->suite;
      } else if (!o->points_sha256[0] || strcmp(e->points_sha256, o->points_sha256) != 0) {
        what = "evaluated points (points_sha256)", now = e->points_sha256, then = o->points_sha256;
      }
      if (what)
        return gt_error_set(err, GT_ERR_UNSUPPORTED,
                            "baseline refused: model %s on %s, %s eps %s was computed with another %s (this run: '%s', "
                            "baseline: '%s'); robust accuracies are only comparable on the same points and suite",
                            e->name, e->dataset, e->threat_model, e->eps_text, what, now, then);
    }
  }
  if (matched == 0)
    return gt_error_set(err, GT_ERR_UNSUPPORTED,
                        "baseline refused: it has no entry with the model name, dataset, threat model and eps of "
                        "any entry of this run, so there is nothing to compare");
  return GT_OK;
}

static void add_check(gt_gate_case *c, gt_gate_kind kind, double value, double threshold, double baseline,
                      int passed) {
  gt_gate_check *k = &c->checks[c->n_checks++];
  k->kind = kind;
  k->value = value;
  k->threshold = threshold;
  k->baseline = baseline;
  k->passed = passed;
  if (!passed) c->failed = 1;
}

/* NaN values (not measured) never pass a gate. */
static int at_least(double value, double minimum) { return value >= minimum - GATE_TOLERANCE; }

static void case_fill(gt_gate_case *c, const gt_lb_entry *e, const gt_gate_config *cfg, const gt_leaderboard *b,
                      gt_gate_report *r) {
  memset(c, 0, sizeof(*c));
  snprintf(c->model, sizeof c->model, "%s", e->name);
  snprintf(c->dataset, sizeof c->dataset, "%s", e->dataset);
  snprintf(c->threat_model, sizeof c->threat_model, "%s", e->threat_model);
  snprintf(c->eps_text, sizeof c->eps_text, "%s", e->eps_text);
  c->eps = e->eps;
  c->clean_acc = e->clean_acc;
  c->robust_acc = e->autoattack_acc;
  c->seconds = e->seconds;
  c->smoke = e->smoke;
  double min_clean, min_robust;
  gt_gates_minimums(cfg, e, &min_clean, &min_robust);
  if (!isnan(min_clean)) add_check(c, GT_GATE_MIN_CLEAN, e->clean_acc, min_clean, NAN, at_least(e->clean_acc, min_clean));
  if (!isnan(min_robust))
    add_check(c, GT_GATE_MIN_ROBUST, e->autoattack_acc, min_robust, NAN, at_least(e->autoattack_acc, min_robust));
  if (b && !isnan(cfg->max_drop)) {
    const gt_lb_entry *o = baseline_find(b, e);
    if (o) {
      double drop = o->autoattack_acc - e->autoattack_acc;
      add_check(c, GT_GATE_MAX_DROP, drop, cfg->max_drop, o->autoattack_acc, drop <= cfg->max_drop + GATE_TOLERANCE);
    } else {
      r->n_without_baseline++;
    }
  }
  r->n_checks += c->n_checks;
  for (int k = 0; k < c->n_checks; k++) r->n_failed += !c->checks[k].passed;
}

gt_status gt_gates_evaluate(const gt_leaderboard *lb, const gt_gate_config *cfg, const gt_leaderboard *baseline,
                            gt_gate_report *out, gt_error *err) {
  memset(out, 0, sizeof(*out));
  if (!isnan(cfg->max_drop) && !baseline)
    return gt_error_set(err, GT_ERR_USAGE, "a maximum robust-accuracy drop needs a baseline leaderboard.json");
  if (!isnan(cfg->max_drop) && !(cfg->max_drop >= 0.0 && cfg->max_drop <= 1.0))
    return gt_error_set(err, GT_ERR_USAGE, "maximum drop %g is not a fraction in [0,1] (write 0.02 for 2 points)",
                        cfg->max_drop);
  if (baseline) {
    gt_status st = baseline_check(lb, baseline, err);
    if (st != GT_OK) return st;
  }
  int n = 0;
  for (int t = 0; t < lb->n_tables; t++) n += lb->tables[t].n_entries;
  out->smoke = lb->smoke;
  if (n == 0) return GT_OK;
  out->cases = calloc((size_t)n, sizeof(*out->cases));
  if (!out->cases) return gt_error_set(err, GT_ERR_MEMORY, "out of memory for %d gate cases", n);
  for (int t = 0; t < lb->n_tables; t++)
    for (int i = 0; i < lb->tables[t].n_entries; i++)
      case_fill(&out->cases[out->n_cases++], &lb->tables[t].entries[i], cfg, baseline, out);
  return GT_OK;
}

void gt_gate_report_free(gt_gate_report *r) {
  if (!r) return;
  free(r->cases);
  memset(r, 0, sizeof(*r));
}
