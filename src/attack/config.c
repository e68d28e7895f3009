/* Attack configuration defaults and the names of target modes. */
#include <string.h>
#include <strings.h>

#include "gauntlet/attack.h"

void gt_attack_config_init(gt_attack_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->norm = GT_NORM_LINF;
  cfg->targeted = GT_TARGET_NONE;
  cfg->loss = GT_LOSS_CE;
  cfg->random_start = -1;
  cfg->decay = 1.0f;
}

static const char *const mode_names[] = {"none", "given", "random", "least-likely", "top"};

const char *gt_target_mode_name(gt_target_mode mode) {
  if ((int)mode < 0 || (int)mode >= (int)(sizeof mode_names / sizeof mode_names[0])) return "?";
  return mode_names[mode];
}

gt_status gt_target_mode_parse(const char *text, gt_target_mode *out, gt_error *err) {
  if (!text || !out) return gt_error_set(err, GT_ERR_USAGE, "gt_target_mode_parse: NULL argument");
  for (int i = 0; i < (int)(sizeof mode_names / sizeof mode_names[0]); i++)
    if (!strcasecmp(text, mode_names[i])) {
      *out = (gt_target_mode)i;
      return GT_OK;
    }
  return gt_error_set(err, GT_ERR_USAGE, "unknown target mode '%s' (choose none, given, random, least-likely, top)",
                      text);
}
