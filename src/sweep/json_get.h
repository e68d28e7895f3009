/* Typed reads of cJSON values that name the key path in every error ("models[1].path: expected a
 * string, got a number"). Shared by the config parser and the journal reader. */
#ifndef GT_SWEEP_JSON_GET_H
#define GT_SWEEP_JSON_GET_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "gauntlet/status.h"

/* "where" is the prefix of every message (a file name, or "" for none). */
typedef struct gt_jpath {
  const char *where;
  char path[256];
} gt_jpath;

/* child path "parent.key" / "parent[i]"; returns out */
const gt_jpath *gt_jpath_key(gt_jpath *out, const gt_jpath *parent, const char *key);
const gt_jpath *gt_jpath_index(gt_jpath *out, const gt_jpath *parent, int index);

/* An error naming p->path (GT_ERR_FORMAT). */
gt_status gt_jpath_fail(const gt_jpath *p, gt_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* JSON type name of a value: "string", "number", "object", ... */
const char *gt_json_type_name(const cJSON *v);

/* Rejects keys of obj not in allowed (NULL-terminated); obj must be an object. */
gt_status gt_json_check_object(const cJSON *obj, const gt_jpath *p, const char *const *allowed, gt_error *err);

/* Members: missing is an error only when required (then out keeps its value). */
gt_status gt_json_string(const cJSON *obj, const char *key, const gt_jpath *p, int required, char *out,
                         size_t size, gt_error *err);
gt_status gt_json_int(const cJSON *obj, const char *key, const gt_jpath *p, int required, int64_t min, int64_t max,
                      int64_t *out, gt_error *err);
gt_status gt_json_number(const cJSON *obj, const char *key, const gt_jpath *p, int required, double min, double max,
                         double *out, gt_error *err);
/* gt_json_int into an int; *out keeps its value when the key is absent. */
gt_status gt_json_int32(const cJSON *obj, const char *key, const gt_jpath *p, int64_t min, int64_t max, int *out,
                        gt_error *err);
gt_status gt_json_bool(const cJSON *obj, const char *key, const gt_jpath *p, int required, int *out, gt_error *err);

#endif
