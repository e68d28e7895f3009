/* Names of the threat-model norms, both ways. */
#include "gauntlet/norm.h"

#include <string.h>
#include <strings.h>

const char *gt_norm_name(gt_norm norm) {
  switch (norm) {
    case GT_NORM_LINF: return "Linf";
    case GT_NORM_L2: return "L2";
    case GT_NORM_L1: return "L1";
    case GT_NORM_COUNT: break;
  }
  return "?";
}

gt_status gt_norm_parse(const char *text, gt_norm *out, gt_error *err) {
  if (!text || !out) return gt_error_set(err, GT_ERR_USAGE, "gt_norm_parse: NULL argument");
  if (!strcasecmp(text, "linf") || !strcasecmp(text, "inf")) {
    *out = GT_NORM_LINF;
    return GT_OK;
  }
  if (!strcasecmp(text, "l2")) {
    *out = GT_NORM_L2;
    return GT_OK;
  }
  if (!strcasecmp(text, "l1")) {
    *out = GT_NORM_L1;
    return GT_OK;
  }
  return gt_error_set(err, GT_ERR_USAGE, "unknown norm '%s' (choose Linf, L2 or L1)", text);
}
