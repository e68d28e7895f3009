/* Journal record helpers (sweep/records.h). */
#include "sweep/records.h"

#include <stdio.h>
#include <string.h>

cJSON *gt_flag_to_json(const gt_flag *f) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", gt_flag_name(f->kind));
  cJSON_AddNumberToObject(o, "evidence", f->evidence);
  cJSON_AddNumberToObject(o, "threshold", f->threshold);
  cJSON_AddStringToObject(o, "detail", f->detail);
  return o;
}

cJSON *gt_flags_to_json(const gt_flag *flags, int n) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(arr, gt_flag_to_json(&flags[i]));
  return arr;
}

void gt_flags_from_json(const cJSON *arr, gt_flag *flags, int cap, int *n) {
  const cJSON *f;
  cJSON_ArrayForEach(f, arr) {
    gt_flag_kind kind;
    if (*n >= cap || gt_flag_parse(gt_rec_string(f, "name"), &kind) != 0) continue;
    gt_flag *out = &flags[(*n)++];
    out->kind = kind;
    out->evidence = gt_rec_number(f, "evidence", 0);
    out->threshold = gt_rec_number(f, "threshold", 0);
    snprintf(out->detail, sizeof out->detail, "%s", gt_rec_string(f, "detail") ? gt_rec_string(f, "detail") : "");
  }
}

void gt_safe_name(const char *name, char *out, size_t size) {
  size_t i = 0;
  for (; name[i] && i + 1 < size; i++) {
    char c = name[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
             c == '-';
    out[i] = ok ? c : '_';
  }
  if (size) out[i] = '\0';
}

double gt_rec_number(const cJSON *o, const char *key, double fallback) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

const char *gt_rec_string(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}
