/* Training configuration: defaults, names and range checks (gauntlet/train.h). */
#include <math.h>
#include <string.h>

#include "gauntlet/train.h"

void gt_train_config_init(gt_train_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->arch = GT_ARCH_SMALL_CNN;
  cfg->adv = GT_ADV_NONE;
  cfg->eps = 0.1f;
  cfg->adv_steps = 10;
  cfg->random_start = 1;
  cfg->trades_beta = 6.0f;
  cfg->epochs = 1;
  cfg->batch = 128;
  cfg->lr = 0.05f;
  cfg->momentum = 0.9f;
  cfg->weight_decay = 5e-4f;
  cfg->schedule = GT_LR_COSINE;
  cfg->step_gamma = 0.1f;
}

static const char *const arch_names[] = {"small-cnn", "resnet-tiny"};
static const char *const adv_names[] = {"none", "pgd", "trades"};
static const char *const schedule_names[] = {"cosine", "step"};

const char *gt_arch_name(gt_arch arch) { return (unsigned)arch < 2 ? arch_names[arch] : "?"; }
const char *gt_adv_name(gt_adv_kind adv) { return (unsigned)adv < 3 ? adv_names[adv] : "?"; }
const char *gt_lr_schedule_name(gt_lr_schedule s) { return (unsigned)s < 2 ? schedule_names[s] : "?"; }

static gt_status parse_name(const char *what, const char *text, const char *const *names, int n, int *out,
                            gt_error *err) {
  for (int i = 0; text && i < n; i++)
    if (!strcmp(text, names[i])) {
      *out = i;
      return GT_OK;
    }
  char list[128] = "";
  for (int i = 0; i < n; i++) {
    if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
    strncat(list, names[i], sizeof list - strlen(list) - 1);
  }
  return gt_error_set(err, GT_ERR_USAGE, "unknown %s '%s' (known: %s)", what, text ? text : "", list);
}

gt_status gt_arch_parse(const char *text, gt_arch *out, gt_error *err) {
  int v = 0;
  gt_status st = parse_name("architecture", text, arch_names, 2, &v, err);
  *out = (gt_arch)v;
  return st;
}

gt_status gt_adv_parse(const char *text, gt_adv_kind *out, gt_error *err) {
  int v = 0;
  gt_status st = parse_name("defence", text, adv_names, 3, &v, err);
  *out = (gt_adv_kind)v;
  return st;
}

gt_status gt_lr_schedule_parse(const char *text, gt_lr_schedule *out, gt_error *err) {
  int v = 0;
  gt_status st = parse_name("learning-rate schedule", text, schedule_names, 2, &v, err);
  *out = (gt_lr_schedule)v;
  return st;
}

gt_status gt_train_config_check(const gt_train_config *c, gt_error *err) {
  if ((unsigned)c->arch > GT_ARCH_RESNET_TINY || (unsigned)c->adv > GT_ADV_TRADES || (unsigned)c->schedule > GT_LR_STEP)
    return gt_error_set(err, GT_ERR_USAGE, "unknown architecture, defence or schedule");
  if (c->epochs < 1 || c->epochs > 100000)
    return gt_error_set(err, GT_ERR_USAGE, "epochs %d is outside 1..100000", c->epochs);
  if (c->batch < 1 || c->batch > 65536)
    return gt_error_set(err, GT_ERR_USAGE, "batch %lld is outside 1..65536", (long long)c->batch);
  if (!(c->lr > 0.0f) || !isfinite(c->lr) || !(c->momentum >= 0.0f && c->momentum < 1.0f) ||
      !(c->weight_decay >= 0.0f) || !isfinite(c->weight_decay))
    return gt_error_set(err, GT_ERR_USAGE, "lr %g must be > 0, momentum %g in [0, 1), weight decay %g >= 0",
                        (double)c->lr, (double)c->momentum, (double)c->weight_decay);
  if (c->schedule == GT_LR_STEP && (c->step_epochs < 0 || !(c->step_gamma > 0.0f && c->step_gamma <= 1.0f)))
    return gt_error_set(err, GT_ERR_USAGE, "step schedule: step epochs %d must be >= 0 and gamma %g in (0, 1]",
                        c->step_epochs, (double)c->step_gamma);
  if (c->adv != GT_ADV_NONE) {
    if (!(c->eps > 0.0f && c->eps <= 1.0f))
      return gt_error_set(err, GT_ERR_USAGE, "eps %g is outside (0, 1]", (double)c->eps);
    if (c->adv_steps < 1 || c->adv_steps > 1000)
      return gt_error_set(err, GT_ERR_USAGE, "inner attack steps %d is outside 1..1000", c->adv_steps);
    if (!(c->adv_step_size >= 0.0f) || !isfinite(c->adv_step_size))
      return gt_error_set(err, GT_ERR_USAGE, "inner attack step size %g must be >= 0", (double)c->adv_step_size);
    if (c->adv == GT_ADV_TRADES && (!(c->trades_beta >= 0.0f) || !isfinite(c->trades_beta)))
      return gt_error_set(err, GT_ERR_USAGE, "TRADES beta %g must be >= 0", (double)c->trades_beta);
  }
  return GT_OK;
}
