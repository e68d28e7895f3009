/* Gate configuration: rules (minimum clean / robust accuracy for the entries they select) and
 * which rule applies to a leaderboard entry. */
#include <math.h>
#include <string.h>

#include "gates/gates_internal.h"

void gt_gate_config_init(gt_gate_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->max_drop = NAN;
}

void gt_gate_rule_init(gt_gate_rule *rule) {
  memset(rule, 0, sizeof(*rule));
  rule->min_clean = NAN;
  rule->min_robust = NAN;
}

static int fraction_ok(double v) { return isnan(v) || (v >= 0.0 && v <= 1.0); }

gt_status gt_gate_config_add_rule(gt_gate_config *cfg, const gt_gate_rule *rule, gt_error *err) {
  if (cfg->n_rules >= GT_GATES_MAX_RULES)
    return gt_error_set(err, GT_ERR_LIMIT, "more than %d gate rules", GT_GATES_MAX_RULES);
  if (!fraction_ok(rule->min_clean) || !fraction_ok(rule->min_robust))
    return gt_error_set(err, GT_ERR_USAGE, "gate minimum %g is not a fraction in [0,1] (write 0.85 for 85%%)",
                        fraction_ok(rule->min_clean) ? rule->min_robust : rule->min_clean);
  if (rule->has_eps && !(rule->eps >= 0.0 && isfinite(rule->eps)))
    return gt_error_set(err, GT_ERR_USAGE, "gate eps %g is not a finite value >= 0", rule->eps);
  cfg->rules[cfg->n_rules++] = *rule;
  return GT_OK;
}

int gt_gates_eps_equal(double a, double b) { return fabs(a - b) <= 1e-6 * fmax(1.0, fmax(fabs(a), fabs(b))); }

static int rule_selects(const gt_gate_rule *r, const gt_lb_entry *e) {
  if (r->model[0] && strcmp(r->model, e->name) != 0) return 0;
  if (r->threat_model[0] && strcmp(r->threat_model, e->threat_model) != 0) return 0;
  if (r->has_eps && !gt_gates_eps_equal(r->eps, e->eps)) return 0;
  return 1;
}

static int rule_specificity(const gt_gate_rule *r) {
  return (r->model[0] != 0) + (r->threat_model[0] != 0) + (r->has_eps != 0);
}

/* The most specific selecting rule with a value for the field decides; ties go to the stricter. */
static double pick(double current, int *current_spec, double candidate, int spec) {
  if (isnan(candidate)) return current;
  if (isnan(current) || spec > *current_spec || (spec == *current_spec && candidate > current)) {
    *current_spec = spec;
    return candidate;
  }
  return current;
}

void gt_gates_minimums(const gt_gate_config *cfg, const gt_lb_entry *e, double *min_clean, double *min_robust) {
  int spec_clean = -1, spec_robust = -1;
  *min_clean = NAN;
  *min_robust = NAN;
  for (int i = 0; i < cfg->n_rules; i++) {
    const gt_gate_rule *r = &cfg->rules[i];
    if (!rule_selects(r, e)) continue;
    int spec = rule_specificity(r);
    *min_clean = pick(*min_clean, &spec_clean, r->min_clean, spec);
    *min_robust = pick(*min_robust, &spec_robust, r->min_robust, spec);
  }
}
