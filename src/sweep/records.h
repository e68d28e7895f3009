/* Journal record fields shared by the scheduler (writing) and the leaderboard builder (reading):
 * flags as JSON, safe file names, field getters. */
#ifndef GT_SWEEP_RECORDS_H
#define GT_SWEEP_RECORDS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "gauntlet/flags.h"

/* {"kind": "zero_gradients", "evidence": 0.3, "threshold": 0.1, "detail": "..."} */
cJSON *gt_flag_to_json(const gt_flag *f);
/* flags[0..n) as a JSON array of the above */
cJSON *gt_flags_to_json(const gt_flag *flags, int n);
/* Appends the flags of a JSON array to flags[*n] (up to cap; unknown kinds are skipped). */
void gt_flags_from_json(const cJSON *arr, gt_flag *flags, int cap, int *n);

/* name with every character outside [A-Za-z0-9._-] replaced by '_' */
void gt_safe_name(const char *name, char *out, size_t size);

double gt_rec_number(const cJSON *o, const char *key, double fallback);
const char *gt_rec_string(const cJSON *o, const char *key);

#endif
