/* The JSON sidecar of an exported model: how it was trained (command, seed, configuration), how
 * well (final clean train and test accuracy) and which file it describes (sha256). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "gauntlet/sha256.h"
#include "train/train_internal.h"

#ifndef GT_VERSION
#define GT_VERSION "unknown"
#endif

static void add_config(cJSON *o, const gt_train_config *c) {
  cJSON_AddStringToObject(o, "arch", gt_arch_name(c->arch));
  cJSON_AddStringToObject(o, "adv", gt_adv_name(c->adv));
  if (c->adv != GT_ADV_NONE) {
    cJSON_AddStringToObject(o, "norm", "Linf");
    cJSON_AddNumberToObject(o, "eps", c->eps);
    cJSON_AddNumberToObject(o, "adv_steps", c->adv_steps);
    cJSON_AddNumberToObject(o, "adv_step_size", c->adv_step_size);
    if (c->adv == GT_ADV_PGD) cJSON_AddBoolToObject(o, "random_start", c->random_start);
    if (c->adv == GT_ADV_TRADES) cJSON_AddNumberToObject(o, "trades_beta", c->trades_beta);
  }
  cJSON_AddNumberToObject(o, "epochs", c->epochs);
  cJSON_AddNumberToObject(o, "batch", (double)c->batch);
  cJSON_AddNumberToObject(o, "lr", c->lr);
  cJSON_AddNumberToObject(o, "momentum", c->momentum);
  cJSON_AddNumberToObject(o, "weight_decay", c->weight_decay);
  cJSON_AddStringToObject(o, "schedule", gt_lr_schedule_name(c->schedule));
  if (c->schedule == GT_LR_STEP) {
    cJSON_AddNumberToObject(o, "step_epochs", c->step_epochs);
    cJSON_AddNumberToObject(o, "step_gamma", c->step_gamma);
  }
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
  cJSON_AddStringToObject(o, "seed", seed); /* a string: 64-bit seeds do not fit a JSON double */
}

gt_status gt_trainer_write_sidecar(gt_trainer *t, const char *onnx_path, const char *json_path,
                                   const gt_train_summary *s, gt_error *err) {
  char sha[65];
  gt_status st = gt_sha256_file(onnx_path, sha, err);
  if (st != GT_OK) return st;
  cJSON *o = cJSON_CreateObject();
  if (!o) return gt_error_set(err, GT_ERR_MEMORY, "out of memory writing %s", json_path);
  cJSON_AddStringToObject(o, "model", onnx_path);
  cJSON_AddStringToObject(o, "sha256", sha);
  cJSON_AddStringToObject(o, "command", s->command ? s->command : "");
  cJSON_AddStringToObject(o, "gauntlet_version", GT_VERSION);
  cJSON_AddStringToObject(o, "backend", s->backend ? s->backend : t->be->iface->name);
  cJSON *cfg = cJSON_AddObjectToObject(o, "training");
  if (cfg) add_config(cfg, &t->cfg);
  cJSON_AddStringToObject(o, "train_data", s->train_data ? s->train_data : "");
  cJSON_AddNumberToObject(o, "train_points", (double)s->train_points);
  cJSON_AddNumberToObject(o, "train_accuracy", s->train_accuracy);
  if (s->test_data) {
    cJSON_AddStringToObject(o, "test_data", s->test_data);
    cJSON_AddNumberToObject(o, "test_points", (double)s->test_points);
    cJSON_AddNumberToObject(o, "test_accuracy", s->test_accuracy);
  }
  cJSON_AddNumberToObject(o, "train_seconds", s->seconds);
  char *text = cJSON_Print(o);
  cJSON_Delete(o);
  if (!text) return gt_error_set(err, GT_ERR_MEMORY, "out of memory writing %s", json_path);
  FILE *f = fopen(json_path, "w");
  if (!f) {
    free(text);
    return gt_error_set(err, GT_ERR_IO, "%s: cannot create the file", json_path);
  }
  int bad = fputs(text, f) < 0 || fputc('\n', f) == EOF;
  if (fclose(f) != 0) bad = 1;
  free(text);
  if (bad) return gt_error_set(err, GT_ERR_IO, "%s: write failed", json_path);
  return GT_OK;
}
