/* Parsing the "gates" section of a sweep config (see gate_json.h for the keys). */
#include "gates/gate_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gauntlet/norm.h"
#include "gauntlet/sweep.h"

static gt_status rule_parse(const cJSON *o, const gt_jpath *p, gt_gate_rule *r, gt_error *err) {
  static const char *const keys[] = {"model", "threat_model", "eps", "min_clean", "min_robust", NULL};
  gt_gate_rule_init(r);
  gt_jpath kp;
  char norm_text[16] = "";
  gt_status st = gt_json_check_object(o, p, keys, err);
  if (!st) st = gt_json_string(o, "model", p, 0, r->model, sizeof r->model, err);
  if (!st) st = gt_json_string(o, "threat_model", p, 0, norm_text, sizeof norm_text, err);
  if (!st && norm_text[0]) {
    gt_norm norm;
    if (gt_norm_parse(norm_text, &norm, NULL) != GT_OK)
      return gt_jpath_fail(gt_jpath_key(&kp, p, "threat_model"), err, "'%s' is not a threat model (Linf, L2, L1)",
                           norm_text);
    snprintf(r->threat_model, sizeof r->threat_model, "%s", gt_norm_name(norm));
  }
  const cJSON *eps = cJSON_GetObjectItemCaseSensitive(o, "eps");
  if (!st && eps) {
    gt_jpath_key(&kp, p, "eps");
    if (cJSON_IsNumber(eps)) snprintf(r->eps_text, sizeof r->eps_text, "%.9g", eps->valuedouble);
    else if (cJSON_IsString(eps) && strlen(eps->valuestring) < sizeof r->eps_text)
      snprintf(r->eps_text, sizeof r->eps_text, "%s", eps->valuestring);
    else return gt_jpath_fail(&kp, err, "expected a number or a fraction like \"8/255\", got %s", gt_json_type_name(eps));
    float value;
    gt_error sub = {0};
    if (gt_sweep_parse_eps(kp.path, r->eps_text, &value, &sub) != GT_OK) return gt_jpath_fail(&kp, err, "%s", sub.message);
    r->has_eps = 1;
    r->eps = value;
  }
  if (!st) st = gt_json_number(o, "min_clean", p, 0, 0, 1, &r->min_clean, err);
  if (!st) st = gt_json_number(o, "min_robust", p, 0, 0, 1, &r->min_robust, err);
  if (!st && isnan(r->min_clean) && isnan(r->min_robust)) st = gt_jpath_fail(p, err, "a rule needs min_clean or min_robust");
  return st;
}

gt_status gt_gate_config_parse_json(const cJSON *section, const gt_jpath *p, const char *base_dir,
                                    gt_gate_config *cfg, gt_error *err) {
  static const char *const keys[] = {"min_clean", "min_robust", "max_drop", "baseline", "rules", NULL};
  gt_gate_config_init(cfg);
  gt_gate_rule everyone;
  gt_gate_rule_init(&everyone);
  char baseline[sizeof cfg->baseline_path] = "";
  gt_jpath kp;
  gt_status st = gt_json_check_object(section, p, keys, err);
  if (!st) st = gt_json_number(section, "min_clean", p, 0, 0, 1, &everyone.min_clean, err);
  if (!st) st = gt_json_number(section, "min_robust", p, 0, 0, 1, &everyone.min_robust, err);
  if (!st) st = gt_json_number(section, "max_drop", p, 0, 0, 1, &cfg->max_drop, err);
  if (!st) st = gt_json_string(section, "baseline", p, 0, baseline, sizeof baseline, err);
  if (!st && baseline[0]) {
    int n = baseline[0] != '/' && base_dir && base_dir[0]
                ? snprintf(cfg->baseline_path, sizeof cfg->baseline_path, "%s/%s", base_dir, baseline)
                : snprintf(cfg->baseline_path, sizeof cfg->baseline_path, "%s", baseline);
    if (n < 0 || (size_t)n >= sizeof cfg->baseline_path)
      st = gt_jpath_fail(gt_jpath_key(&kp, p, "baseline"), err, "path too long");
  }
  if (st) return st;
  if (!isnan(cfg->max_drop) != (cfg->baseline_path[0] != 0))
    return gt_jpath_fail(p, err, "max_drop and baseline go together (give both or neither)");
  const cJSON *rules = cJSON_GetObjectItemCaseSensitive(section, "rules"), *item;
  gt_jpath_key(&kp, p, "rules");
  if (rules && !cJSON_IsArray(rules))
    return gt_jpath_fail(&kp, err, "expected an array of rules, got %s", gt_json_type_name(rules));
  int i = 0;
  cJSON_ArrayForEach(item, rules) {
    gt_jpath rp;
    gt_jpath_index(&rp, &kp, i++);
    gt_gate_rule r;
    st = rule_parse(item, &rp, &r, err);
    if (!st && gt_gate_config_add_rule(cfg, &r, err) != GT_OK) st = gt_jpath_fail(&rp, err, "%s", err->message);
    if (st) return st;
  }
  if (!isnan(everyone.min_clean) || !isnan(everyone.min_robust)) return gt_gate_config_add_rule(cfg, &everyone, err);
  return GT_OK;
}
