/* Typed cJSON reads with key-path errors (sweep/json_get.h). */
#include "sweep/json_get.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends text to out->path, cutting what does not fit (the start still names the place). */
static void path_append(gt_jpath *out, const char *text) {
  size_t used = strlen(out->path), add = strlen(text);
  if (used + add >= sizeof out->path) add = sizeof out->path - 1 - used;
  memcpy(out->path + used, text, add);
  out->path[used + add] = '\0';
}

const gt_jpath *gt_jpath_key(gt_jpath *out, const gt_jpath *parent, const char *key) {
  if (out != parent) *out = *parent;
  if (out->path[0]) path_append(out, ".");
  path_append(out, key);
  return out;
}

const gt_jpath *gt_jpath_index(gt_jpath *out, const gt_jpath *parent, int index) {
  char idx[24];
  if (out != parent) *out = *parent;
  snprintf(idx, sizeof idx, "[%d]", index);
  path_append(out, idx);
  return out;
}

gt_status gt_jpath_fail(const gt_jpath *p, gt_error *err, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *where = p->where ? p->where : "";
  return gt_error_set(err, GT_ERR_FORMAT, "%s%s%s: %s", where, *where ? ": " : "", p->path[0] ? p->path : "(top level)",
                      msg);
}

const char *gt_json_type_name(const cJSON *v) {
  if (!v) return "nothing";
  if (cJSON_IsString(v)) return "a string";
  if (cJSON_IsNumber(v)) return "a number";
  if (cJSON_IsBool(v)) return "a boolean";
  if (cJSON_IsNull(v)) return "null";
  if (cJSON_IsArray(v)) return "an array";
  if (cJSON_IsObject(v)) return "an object";
  return "an invalid value";
}

gt_status gt_json_check_object(const cJSON *obj, const gt_jpath *p, const char *const *allowed, gt_error *err) {
  if (!cJSON_IsObject(obj)) return gt_jpath_fail(p, err, "expected an object, got %s", gt_json_type_name(obj));
  for (const cJSON *c = obj->child; c; c = c->next) {
    int known = 0;
    for (int i = 0; allowed[i] && !known; i++) known = !strcmp(c->string, allowed[i]);
    if (!known) {
      char list[512] = "";
      for (int i = 0; allowed[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", allowed[i]);
      gt_jpath kp;
      gt_jpath_key(&kp, p, c->string);
      return gt_jpath_fail(&kp, err, "unknown key (known here: %s)", list);
    }
    for (const cJSON *d = c->next; d; d = d->next)
      if (!strcmp(c->string, d->string)) {
        gt_jpath kp;
        gt_jpath_key(&kp, p, c->string);
        return gt_jpath_fail(&kp, err, "key given twice");
      }
  }
  return GT_OK;
}

/* The member, or NULL with an error when required and missing (absent optional: NULL, GT_OK). */
static const cJSON *member(const cJSON *obj, const char *key, const gt_jpath *p, int required, gt_jpath *kp,
                           gt_status *st, gt_error *err) {
  gt_jpath_key(kp, p, key);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  *st = GT_OK;
  if (!v && required) *st = gt_jpath_fail(kp, err, "required key is missing");
  return v;
}

gt_status gt_json_string(const cJSON *obj, const char *key, const gt_jpath *p, int required, char *out,
                         size_t size, gt_error *err) {
  gt_jpath kp;
  gt_status st;
  const cJSON *v = member(obj, key, p, required, &kp, &st, err);
  if (!v) return st;
  if (!cJSON_IsString(v)) return gt_jpath_fail(&kp, err, "expected a string, got %s", gt_json_type_name(v));
  if (strlen(v->valuestring) >= size)
    return gt_jpath_fail(&kp, err, "string longer than %zu characters", size - 1);
  memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
  return GT_OK;
}

gt_status gt_json_number(const cJSON *obj, const char *key, const gt_jpath *p, int required, double min, double max,
                         double *out, gt_error *err) {
  gt_jpath kp;
  gt_status st;
  const cJSON *v = member(obj, key, p, required, &kp, &st, err);
  if (!v) return st;
  if (!cJSON_IsNumber(v)) return gt_jpath_fail(&kp, err, "expected a number, got %s", gt_json_type_name(v));
  if (!isfinite(v->valuedouble) || v->valuedouble < min || v->valuedouble > max)
    return gt_jpath_fail(&kp, err, "%g is outside [%g, %g]", v->valuedouble, min, max);
  *out = v->valuedouble;
  return GT_OK;
}

gt_status gt_json_int(const cJSON *obj, const char *key, const gt_jpath *p, int required, int64_t min, int64_t max,
                      int64_t *out, gt_error *err) {
  gt_jpath kp;
  gt_status st;
  const cJSON *v = member(obj, key, p, required, &kp, &st, err);
  if (!v) return st;
  if (!cJSON_IsNumber(v)) return gt_jpath_fail(&kp, err, "expected an integer, got %s", gt_json_type_name(v));
  double d = v->valuedouble;
  if (!isfinite(d) || d != floor(d) || fabs(d) > 9.0e15)
    return gt_jpath_fail(&kp, err, "expected an integer, got %g", d);
  if (d < (double)min || d > (double)max)
    return gt_jpath_fail(&kp, err, "%lld is outside [%lld, %lld]", (long long)d, (long long)min, (long long)max);
  *out = (int64_t)d;
  return GT_OK;
}

gt_status gt_json_int32(const cJSON *obj, const char *key, const gt_jpath *p, int64_t min, int64_t max, int *out,
                        gt_error *err) {
  int64_t v = *out;
  gt_status st = gt_json_int(obj, key, p, 0, min, max, &v, err);
  if (st == GT_OK) *out = (int)v;
  return st;
}

gt_status gt_json_bool(const cJSON *obj, const char *key, const gt_jpath *p, int required, int *out, gt_error *err) {
  gt_jpath kp;
  gt_status st;
  const cJSON *v = member(obj, key, p, required, &kp, &st, err);
  if (!v) return st;
  if (!cJSON_IsBool(v)) return gt_jpath_fail(&kp, err, "expected true or false, got %s", gt_json_type_name(v));
  *out = cJSON_IsTrue(v) ? 1 : 0;
  return GT_OK;
}
