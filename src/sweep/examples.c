/* The example images of a chain's last eps (docs/SWEEP.md): the first k points (by index) broken
 * at this eps, clean rows then adversarial rows, in OUT/examples/MODEL_DATASET_NORM.npy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gauntlet/npy.h"
#include "sweep/records.h"
#include "sweep/worker.h"

/* rows: float32 [2k, c, h, w]; the labels and predictions of the k points go to the record. */
gt_status gt_sweep_save_examples(const gt_sweep_worker *w, int ti, const uint8_t *fresh, const int32_t *adv_pred,
                                 const float *x_adv, cJSON *rec, gt_error *err) {
  const gt_sweep_config *cfg = w->sh->cfg;
  const gt_sweep_pair *p = &w->pair;
  int64_t pick[GT_SWEEP_MAX_EXAMPLES];
  int k = 0;
  for (int64_t i = 0; i < p->pts.n && k < cfg->examples; i++)
    if (fresh[i]) pick[k++] = i;
  cJSON *ex = cJSON_CreateObject();
  cJSON_AddItemToObject(rec, "examples", ex);
  cJSON_AddNumberToObject(ex, "k", k);
  if (k == 0) return GT_OK;
  char model[128], data[64], rel[512], path[GT_SWEEP_PATH_MAX + 600], tmp[GT_SWEEP_PATH_MAX + 640];
  gt_safe_name(cfg->models[p->mi].name, model, sizeof model);
  gt_safe_name(cfg->datasets[p->di].name, data, sizeof data);
  snprintf(rel, sizeof rel, "examples/%s_%s_%s.npy", model, data, gt_norm_name(cfg->threats[ti].norm));
  snprintf(path, sizeof path, "%s/examples", cfg->output);
  if (mkdir(path, 0755) != 0 && errno != EEXIST)
    return gt_error_set(err, GT_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  snprintf(path, sizeof path, "%s/%s", cfg->output, rel);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int64_t d = p->d;
  float *rows = malloc((size_t)(2 * k * d) * sizeof *rows);
  if (!rows) return gt_error_set(err, GT_ERR_MEMORY, "out of memory for examples");
  cJSON *label = cJSON_CreateArray(), *clean = cJSON_CreateArray(), *adv = cJSON_CreateArray();
  for (int j = 0; j < k; j++) {
    memcpy(rows + j * d, p->pts.x + pick[j] * d, (size_t)d * sizeof *rows);
    memcpy(rows + (k + j) * d, x_adv + pick[j] * d, (size_t)d * sizeof *rows);
    cJSON_AddItemToArray(label, cJSON_CreateNumber(p->pts.labels[pick[j]]));
    cJSON_AddItemToArray(clean, cJSON_CreateNumber(p->pts.labels[pick[j]])); /* broken points were clean-correct */
    cJSON_AddItemToArray(adv, cJSON_CreateNumber(adv_pred[pick[j]]));
  }
  cJSON_AddStringToObject(ex, "npy", rel);
  cJSON_AddNumberToObject(ex, "c", p->data->c);
  cJSON_AddNumberToObject(ex, "h", p->data->h);
  cJSON_AddNumberToObject(ex, "w", p->data->w);
  cJSON_AddItemToObject(ex, "label", label);
  cJSON_AddItemToObject(ex, "clean_pred", clean);
  cJSON_AddItemToObject(ex, "adv_pred", adv);
  int64_t shape[4] = {2 * k, p->data->c, p->data->h, p->data->w};
  gt_status st = gt_npy_write_f32(tmp, rows, 4, shape, err);
  free(rows);
  if (!st && rename(tmp, path) != 0) st = gt_error_set(err, GT_ERR_IO, "%s: cannot rename: %s", tmp, strerror(errno));
  return st;
}
