/* The tests' JSON Schema subset validator (json_schema.h). */
#include "json_schema.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *msg, size_t size, const char *path, const char *fmt, const char *a, const char *b) {
  char what[512];
  snprintf(what, sizeof what, fmt, a ? a : "", b ? b : "");
  snprintf(msg, size, "%s: %s", path, what);
  return -1;
}

static int type_matches(const char *type, const cJSON *v) {
  if (!strcmp(type, "object")) return cJSON_IsObject(v);
  if (!strcmp(type, "array")) return cJSON_IsArray(v);
  if (!strcmp(type, "string")) return cJSON_IsString(v);
  if (!strcmp(type, "boolean")) return cJSON_IsBool(v);
  if (!strcmp(type, "null")) return cJSON_IsNull(v);
  if (!strcmp(type, "number")) return cJSON_IsNumber(v);
  if (!strcmp(type, "integer")) return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble == floor(v->valuedouble);
  return -1;
}

static int validate(const cJSON *schema, const cJSON *v, const char *path, char *msg, size_t size);

static int check_type(const cJSON *t, const cJSON *v, const char *path, char *msg, size_t size) {
  if (cJSON_IsString(t)) {
    int m = type_matches(t->valuestring, v);
    if (m < 0) return fail(msg, size, path, "schema error: unknown type '%s'%s", t->valuestring, NULL);
    return m ? 0 : fail(msg, size, path, "type: expected %s%s", t->valuestring, NULL);
  }
  if (!cJSON_IsArray(t)) return fail(msg, size, path, "schema error: type must be a string or an array%s%s", NULL, NULL);
  const cJSON *e;
  cJSON_ArrayForEach(e, t) {
    if (!cJSON_IsString(e)) return fail(msg, size, path, "schema error: type entries are strings%s%s", NULL, NULL);
    int m = type_matches(e->valuestring, v);
    if (m < 0) return fail(msg, size, path, "schema error: unknown type '%s'%s", e->valuestring, NULL);
    if (m) return 0;
  }
  return fail(msg, size, path, "type: not any of the allowed types%s%s", NULL, NULL);
}

static int check_object(const cJSON *schema, const cJSON *v, const char *path, char *msg, size_t size) {
  const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
  const cJSON *required = cJSON_GetObjectItemCaseSensitive(schema, "required");
  const cJSON *additional = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
  const cJSON *r;
  cJSON_ArrayForEach(r, required) {
    if (!cJSON_IsString(r)) return fail(msg, size, path, "schema error: required entries are strings%s%s", NULL, NULL);
    if (!cJSON_GetObjectItemCaseSensitive(v, r->valuestring))
      return fail(msg, size, path, "required: missing key '%s'%s", r->valuestring, NULL);
  }
  const cJSON *member;
  cJSON_ArrayForEach(member, v) {
    char sub[1024];
    snprintf(sub, sizeof sub, "%s.%s", path, member->string);
    const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, member->string) : NULL;
    if (ps) {
      if (validate(ps, member, sub, msg, size)) return -1;
    } else if (cJSON_IsFalse(additional)) {
      return fail(msg, size, path, "additionalProperties: key '%s' is not allowed%s", member->string, NULL);
    } else if (cJSON_IsObject(additional)) {
      if (validate(additional, member, sub, msg, size)) return -1;
    }
  }
  return 0;
}

static int check_pattern(const char *pattern, const char *s, const char *path, char *msg, size_t size) {
  regex_t re;
  if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
    return fail(msg, size, path, "schema error: pattern '%s' does not compile%s", pattern, NULL);
  int ok = regexec(&re, s, 0, NULL, 0) == 0;
  regfree(&re);
  return ok ? 0 : fail(msg, size, path, "pattern: '%s' does not match %s", s, pattern);
}

static int validate(const cJSON *schema, const cJSON *v, const char *path, char *msg, size_t size) {
  static const char *const known[] = {"$schema", "$id", "title", "description", "type", "properties", "required",
                                      "additionalProperties", "items", "minItems", "enum", "minimum", "maximum",
                                      "pattern", "anyOf", NULL};
  if (!cJSON_IsObject(schema)) return fail(msg, size, path, "schema error: a schema must be an object%s%s", NULL, NULL);
  const cJSON *k;
  cJSON_ArrayForEach(k, schema) {
    int ok = 0;
    for (int i = 0; known[i] && !ok; i++) ok = !strcmp(k->string, known[i]);
    if (!ok) return fail(msg, size, path, "schema error: keyword '%s' is not supported%s", k->string, NULL);
  }
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(schema, "type");
  if (t && check_type(t, v, path, msg, size)) return -1;
  const cJSON *any = cJSON_GetObjectItemCaseSensitive(schema, "anyOf");
  if (any) {
    const cJSON *s;
    int matched = 0;
    char first[512] = "";
    cJSON_ArrayForEach(s, any) {
      char sub[512];
      if (validate(s, v, path, sub, sizeof sub) == 0) {
        matched = 1;
        break;
      }
      if (!first[0]) snprintf(first, sizeof first, "%s", sub);
    }
    if (!matched) return fail(msg, size, path, "anyOf: no alternative matches (first: %s)%s", first, NULL);
  }
  const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
  if (en) {
    const cJSON *e;
    int found = 0;
    cJSON_ArrayForEach(e, en) found = found || cJSON_Compare(e, v, 1);
    if (!found) return fail(msg, size, path, "enum: value not in the allowed list%s%s", NULL, NULL);
  }
  if (cJSON_IsNumber(v)) {
    const cJSON *mn = cJSON_GetObjectItemCaseSensitive(schema, "minimum"), *mx = cJSON_GetObjectItemCaseSensitive(schema, "maximum");
    char num[64];
    snprintf(num, sizeof num, "%.17g", v->valuedouble);
    if (mn && v->valuedouble < mn->valuedouble) return fail(msg, size, path, "minimum: %s is too small%s", num, NULL);
    if (mx && v->valuedouble > mx->valuedouble) return fail(msg, size, path, "maximum: %s is too large%s", num, NULL);
  }
  const cJSON *pat = cJSON_GetObjectItemCaseSensitive(schema, "pattern");
  if (pat && cJSON_IsString(v) && check_pattern(pat->valuestring, v->valuestring, path, msg, size)) return -1;
  if (cJSON_IsObject(v) && check_object(schema, v, path, msg, size)) return -1;
  if (cJSON_IsArray(v)) {
    const cJSON *mi = cJSON_GetObjectItemCaseSensitive(schema, "minItems");
    char count[32];
    snprintf(count, sizeof count, "%d", cJSON_GetArraySize(v));
    if (mi && cJSON_GetArraySize(v) < mi->valueint) return fail(msg, size, path, "minItems: only %s items%s", count, NULL);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v) {
      char sub[1024];
      snprintf(sub, sizeof sub, "%s[%d]", path, i++);
      if (items && validate(items, e, sub, msg, size)) return -1;
    }
  }
  return 0;
}

int gt_schema_validate(const cJSON *schema, const cJSON *value, char *msg, size_t size) {
  if (size) msg[0] = '\0';
  return validate(schema, value, "$", msg, size);
}

static cJSON *parse_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
  cJSON *v = NULL;
  if (text && fread(text, 1, (size_t)n, f) == (size_t)n) {
    text[n] = '\0';
    v = cJSON_Parse(text);
  }
  free(text);
  fclose(f);
  return v;
}

int gt_schema_validate_files(const char *schema_path, const char *json_path, char *msg, size_t size) {
  cJSON *schema = parse_file(schema_path), *value = parse_file(json_path);
  int rc = -1;
  if (!schema) snprintf(msg, size, "%s: missing or not JSON", schema_path);
  else if (!value) snprintf(msg, size, "%s: missing or not JSON", json_path);
  else rc = gt_schema_validate(schema, value, msg, size);
  cJSON_Delete(schema);
  cJSON_Delete(value);
  return rc;
}
