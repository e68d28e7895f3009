/* The smoke preset as a rewrite of the sweep config JSON (see smoke.h). */
#include "gates/smoke.h"

#include <stdio.h>
#include <string.h>

static gt_status set_item(cJSON *obj, const char *key, cJSON *value, gt_error *err) {
  if (!value) return gt_error_set(err, GT_ERR_MEMORY, "out of memory rewriting the config for --preset smoke");
  if (cJSON_GetObjectItemCaseSensitive(obj, key)) cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
  else cJSON_AddItemToObject(obj, key, value);
  return GT_OK;
}

static cJSON *smoke_attacks(void) {
  cJSON *list = cJSON_CreateArray(), *apgd = cJSON_CreateObject(), *fgsm = cJSON_CreateObject();
  if (!list || !apgd || !fgsm) {
    cJSON_Delete(list), cJSON_Delete(apgd), cJSON_Delete(fgsm);
    return NULL;
  }
  cJSON_AddItemToArray(list, apgd);
  cJSON_AddItemToArray(list, fgsm);
  if (!cJSON_AddStringToObject(apgd, "attack", "apgd-ce") || !cJSON_AddNumberToObject(apgd, "steps", GT_SMOKE_APGD_STEPS) ||
      !cJSON_AddNumberToObject(apgd, "restarts", 1) || !cJSON_AddStringToObject(fgsm, "attack", "fgsm")) {
    cJSON_Delete(list);
    return NULL;
  }
  return list;
}

/* Caps obj[key] (a number, or absent meaning "all") at cap. */
static gt_status cap_count(cJSON *obj, const char *key, double cap, const char *where, gt_error *err) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (v && !cJSON_IsNumber(v)) return gt_error_set(err, GT_ERR_FORMAT, "%s.%s: not a number", where, key);
  if (v && v->valuedouble <= cap) return GT_OK;
  return set_item(obj, key, cJSON_CreateNumber(cap), err);
}

gt_status gt_smoke_preset_apply(cJSON *config, const char *preset, gt_error *err) {
  if (strcmp(preset, "smoke") != 0)
    return gt_error_set(err, GT_ERR_USAGE, "--preset: unknown preset '%s' (the presets: smoke)", preset);
  if (!cJSON_IsObject(config)) return gt_error_set(err, GT_ERR_FORMAT, "the config is not a JSON object");
  cJSON *datasets = cJSON_GetObjectItemCaseSensitive(config, "datasets"), *d;
  if (datasets && !cJSON_IsArray(datasets)) return gt_error_set(err, GT_ERR_FORMAT, "datasets: not an array");
  int i = 0;
  cJSON_ArrayForEach(d, datasets) {
    char where[32];
    snprintf(where, sizeof where, "datasets[%d]", i++);
    if (!cJSON_IsObject(d)) return gt_error_set(err, GT_ERR_FORMAT, "%s: not an object", where);
    if (cJSON_GetObjectItemCaseSensitive(d, "indices"))
      return gt_error_set(err, GT_ERR_USAGE,
                          "%s.indices: --preset smoke runs on the first %d points of each dataset; give \"n\" "
                          "instead of an index file for smoke runs",
                          where, GT_SMOKE_POINTS);
    gt_status st = cap_count(d, "n", GT_SMOKE_POINTS, where, err);
    if (st != GT_OK) return st;
  }
  cJSON *probes = cJSON_GetObjectItemCaseSensitive(config, "probes");
  if (probes && !cJSON_IsObject(probes)) return gt_error_set(err, GT_ERR_FORMAT, "probes: not an object");
  if (!probes) {
    probes = cJSON_CreateObject();
    gt_status st = set_item(config, "probes", probes, err);
    if (st != GT_OK) return st;
  }
  gt_status st = cap_count(probes, "points", GT_SMOKE_POINTS, "probes", err);
  if (st == GT_OK) st = set_item(probes, "check_iterations", cJSON_CreateFalse(), err);
  if (st == GT_OK) st = set_item(config, "attacks", smoke_attacks(), err);
  if (st == GT_OK) st = set_item(config, "preset", cJSON_CreateString("smoke"), err);
  return st;
}

void gt_smoke_mark_entry(gt_lb_entry *e) {
  e->smoke = 1;
  e->unreliable = 1;
  for (int i = 0; i < e->n_flags; i++)
    if (e->flags[i].kind == GT_FLAG_SMOKE) return;
  /* The smoke flag must show even when the probes filled every slot: it replaces the last one. */
  gt_flag *f = &e->flags[e->n_flags < GT_MAX_FLAGS ? e->n_flags++ : GT_MAX_FLAGS - 1];
  memset(f, 0, sizeof(*f));
  f->kind = GT_FLAG_SMOKE;
  f->evidence = (double)e->n_points;
  f->threshold = GT_SMOKE_POINTS;
  snprintf(f->detail, sizeof f->detail,
           "smoke preset: APGD-CE (%d steps) and FGSM on %lld points, a per-commit check, not a full evaluation",
           GT_SMOKE_APGD_STEPS, (long long)e->n_points);
}
