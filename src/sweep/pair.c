/* A (model, dataset) opened on a worker's backend (sweep/worker.h), and the record fields every
 * task of a pair writes. The model reserves its buffers for the config's batch; when the device
 * has not that much memory, the batch is halved until it fits (docs/SWEEP.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/sha256.h"
#include "sweep/records.h"
#include "sweep/worker.h"

void gt_sweep_pair_close(gt_sweep_pair *p) {
  gt_model_free(p->model);
  gt_graph_free(p->graph);
  gt_dataset_free(p->data);
  free(p->ids);
  free(p->clean_correct);
  memset(p, 0, sizeof *p);
  p->mi = p->di = -1;
}

/* gt_model_retry_fn: a halved batch is said through the notice callback, with the device and
 * what ran out. */
typedef struct retry_ctx {
  gt_sweep_worker *w;
  const char *what;
} retry_ctx;

static void say_retry(void *user, const char *why, int64_t batch) {
  const retry_ctx *r = user;
  gt_sweep_notice(r->w, "out of memory on %s %s (%s): retrying with batch %lld", r->w->dev.spec, r->what, why,
                  (long long)batch);
}

gt_status gt_sweep_halve_batch(gt_sweep_worker *w, const char *what, gt_error *err) {
  char in[200];
  snprintf(in, sizeof in, "in %s", what);
  retry_ctx r = {w, in};
  return gt_model_halve_batch(w->pair.graph, &w->pair.model, say_retry, &r, err);
}

gt_status gt_sweep_pair_open(gt_sweep_worker *w, int mi, int di, gt_error *err) {
  const gt_sweep_config *cfg = w->sh->cfg;
  const gt_sweep_model *m = &cfg->models[mi];
  const gt_sweep_dataset *ds = &cfg->datasets[di];
  gt_sweep_pair *p = &w->pair;
  gt_sweep_pair_close(p);
  p->mi = mi;
  p->di = di;
  gt_status st = gt_dataset_load(ds->spec, &p->data, err);
  if (!st && ds->indices[0]) st = gt_dataset_take_index_file(p->data, ds->indices, err);
  else if (!st && ds->n > 0) st = gt_dataset_take_first(p->data, ds->n < p->data->n ? ds->n : p->data->n, err);
  if (!st) st = gt_sha256_file(m->path, p->model_sha256, err);
  if (!st) st = gt_graph_load_classifier(m->path, m->n_norm, m->mean, m->std, &p->graph, err);
  if (!st) {
    int64_t batch = cfg->batch < p->data->n ? cfg->batch : p->data->n;
    char what[200];
    snprintf(what, sizeof what, "reserving model %s's buffers", m->name);
    retry_ctx r = {w, what};
    st = gt_model_create_fitting(p->graph, w->backend, batch > 0 ? batch : 1, say_retry, &r, &p->model, err);
  }
  if (st) {
    gt_sweep_pair_close(p);
    return gt_error_prefix(err, "model %s on dataset %s: ", m->name, ds->name);
  }
  p->d = gt_model_input_numel(p->model);
  int64_t n = p->data->n;
  p->ids = malloc((size_t)(n > 0 ? n : 1) * sizeof *p->ids);
  p->clean_correct = calloc((size_t)(n > 0 ? n : 1), 1);
  if (!p->ids || !p->clean_correct) {
    gt_sweep_pair_close(p);
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory for %lld points", (long long)n);
  }
  for (int64_t i = 0; i < n; i++) p->ids[i] = i;
  p->pts = (gt_attack_points){.n = n, .x = p->data->images, .labels = p->data->labels, .ids = p->ids};
  gt_sha256 h;
  gt_sha256_init(&h);
  gt_sha256_update(&h, p->data->images, (size_t)(n * p->d) * sizeof(float));
  gt_sha256_update(&h, p->data->labels, (size_t)n * sizeof(int32_t));
  gt_sha256_final_hex(&h, p->points_sha256);
  return GT_OK;
}

void gt_sweep_add_ids(cJSON *o, const gt_sweep_worker *w) {
  const gt_sweep_config *cfg = w->sh->cfg;
  cJSON_AddNumberToObject(o, "model", w->pair.mi);
  cJSON_AddStringToObject(o, "model_name", cfg->models[w->pair.mi].name);
  cJSON_AddNumberToObject(o, "dataset", w->pair.di);
  cJSON_AddStringToObject(o, "dataset_name", cfg->datasets[w->pair.di].name);
}

gt_status gt_sweep_check_same_inputs(const cJSON *rec, const gt_sweep_worker *w, gt_error *err) {
  const gt_sweep_config *cfg = w->sh->cfg;
  const gt_sweep_pair *p = &w->pair;
  const char *ms = gt_rec_string(rec, "model_sha256"), *ps = gt_rec_string(rec, "points_sha256");
  if (ms && strcmp(ms, p->model_sha256))
    return gt_error_set(err, GT_ERR_USAGE, "cannot resume: the file of model %s (%s) changed since it was journaled",
                        cfg->models[p->mi].name, cfg->models[p->mi].path);
  if (ps && strcmp(ps, p->points_sha256))
    return gt_error_set(err, GT_ERR_USAGE, "cannot resume: the points of dataset %s changed since they were journaled",
                        cfg->datasets[p->di].name);
  return GT_OK;
}
