/* "preset" and "gates" in a sweep config (see sweep_ci.h). */
#include "gates/sweep_ci.h"

#include <stdio.h>
#include <string.h>

#include "gates/gate_json.h"
#include "gates/smoke.h"

gt_status gt_sweep_ci_prepare(cJSON *root, const gt_sweep_config *cfg, gt_error *err) {
  if (!cJSON_IsObject(root)) return GT_OK; /* the parser names the problem */
  const char *where = cfg->path[0] ? cfg->path : "sweep config";
  const cJSON *own = cJSON_GetObjectItemCaseSensitive(root, "preset");
  gt_jpath top = {.where = where, .path = ""}, kp;
  gt_jpath_key(&kp, &top, "preset");
  if (own && !cJSON_IsString(own)) return gt_jpath_fail(&kp, err, "expected a string, got %s", gt_json_type_name(own));
  if (own && strcmp(own->valuestring, "smoke"))
    return gt_jpath_fail(&kp, err, "unknown preset '%s' (the presets: smoke)", own->valuestring);
  if (own && cfg->preset[0] && strcmp(own->valuestring, cfg->preset))
    return gt_jpath_fail(&kp, err, "the config says preset '%s' and the command line '%s'", own->valuestring, cfg->preset);
  const char *preset = cfg->preset[0] ? cfg->preset : own ? own->valuestring : NULL;
  if (!preset) return GT_OK;
  gt_status st = gt_smoke_preset_apply(root, preset, err);
  if (st != GT_OK) gt_error_prefix(err, "%s: ", where);
  return st;
}

gt_status gt_sweep_ci_parse(const cJSON *root, const gt_jpath *top, const char *base, gt_sweep_config *cfg,
                            gt_error *err) {
  cfg->smoke = cJSON_GetObjectItemCaseSensitive(root, "preset") != NULL;
  if (cfg->smoke) snprintf(cfg->suite, sizeof cfg->suite, "smoke");
  gt_gate_config_init(&cfg->gates);
  const cJSON *gates = cJSON_GetObjectItemCaseSensitive(root, "gates");
  if (!gates) return GT_OK;
  gt_jpath gp;
  gt_jpath_key(&gp, top, "gates");
  return gt_gate_config_parse_json(gates, &gp, base, &cfg->gates, err);
}
