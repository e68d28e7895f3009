/* The clean pass of a (model, dataset), once per sweep (sweep/worker.h): predictions, clean
 * accuracy and the model's gradient-masking probes, journaled; its per-point state is published
 * to the task list, where the chains of the pair read it. */
#include <stdlib.h>
#include <string.h>

#include "gauntlet/eval.h"
#include "sweep/probes.h"
#include "sweep/records.h"
#include "sweep/worker.h"

/* Predictions and model probes; retried with half the batch when the device runs out of memory. */
static gt_status clean_compute(gt_sweep_worker *w, int32_t *pred, int64_t *correct, gt_flag *flags, int *n_flags,
                               gt_error *err) {
  gt_sweep_pair *p = &w->pair;
  const gt_sweep_config *cfg = w->sh->cfg;
  for (;;) {
    *n_flags = 0;
    gt_status st = gt_eval_predict(p->model, p->data, pred, correct, err);
    if (!st && cfg->probes) st = gt_sweep_probe_model(cfg, p->model, &p->pts, flags, GT_MAX_FLAGS, n_flags, err);
    if (st != GT_ERR_MEMORY) return st;
    if ((st = gt_sweep_halve_batch(w, "the clean pass", err))) return st;
  }
}

static gt_status clean_run(gt_sweep_worker *w, gt_error *err) {
  gt_sweep_pair *p = &w->pair;
  int64_t n = p->pts.n;
  double t0 = gt_sweep_seconds();
  int32_t *pred = malloc((size_t)(n > 0 ? n : 1) * sizeof *pred);
  char *state = malloc((size_t)n + 1);
  int64_t correct = 0;
  gt_flag flags[GT_MAX_FLAGS];
  int n_flags = 0;
  gt_status st = pred && state ? GT_OK : gt_error_set(err, GT_ERR_MEMORY, "out of memory for the clean pass");
  if (!st) st = clean_compute(w, pred, &correct, flags, &n_flags, err);
  if (!st) {
    for (int64_t i = 0; i < n; i++) {
      p->clean_correct[i] = pred[i] == p->data->labels[i];
      state[i] = p->clean_correct[i] ? '1' : '0';
    }
    state[n] = '\0';
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "clean");
    gt_sweep_add_ids(o, w);
    cJSON_AddNumberToObject(o, "n", (double)n);
    cJSON_AddNumberToObject(o, "clean_correct", (double)correct);
    cJSON_AddStringToObject(o, "model_sha256", p->model_sha256);
    cJSON_AddStringToObject(o, "points_sha256", p->points_sha256);
    cJSON_AddStringToObject(o, "state", state);
    cJSON_AddItemToObject(o, "flags", gt_flags_to_json(flags, n_flags));
    cJSON_AddNumberToObject(o, "worker", w->index + 1);
    cJSON_AddStringToObject(o, "worker_device", w->dev.spec);
    cJSON_AddNumberToObject(o, "seconds", gt_sweep_seconds() - t0);
    st = gt_sweep_journal_add(w, o, err);
  }
  free(pred);
  free(state);
  return st;
}

gt_status gt_sweep_clean_task(gt_sweep_worker *w, gt_error *err) {
  gt_sweep_shared *sh = w->sh;
  gt_sweep_pair *p = &w->pair;
  const cJSON *rec = gt_journal_find(sh->records, "clean", p->mi, p->di, -1, -1);
  int64_t n = p->pts.n;
  gt_status st;
  if (rec) {
    const char *state = gt_rec_string(rec, "state");
    if (!state || (int64_t)strlen(state) != n)
      return gt_error_set(err, GT_ERR_FORMAT, "%s: the clean record of model %d, dataset %d has no state for %lld points",
                          sh->journal.path, p->mi, p->di, (long long)n);
    for (int64_t i = 0; i < n; i++) p->clean_correct[i] = state[i] == '1';
    st = gt_sweep_check_same_inputs(rec, w, err);
  } else {
    w->progress.threat = "";
    w->progress.eps_text = "";
    w->progress.job = gt_sweep_job_number(sh->cfg, p->mi, p->di, -1, -1);
    gt_sweep_report(w, "clean", n);
    st = clean_run(w, err);
  }
  if (st) return st;
  pthread_mutex_lock(&sh->lock);
  st = gt_sweep_sched_clean_done(&sh->sched, p->mi, p->di, p->clean_correct, n, err);
  pthread_mutex_unlock(&sh->lock);
  return st;
}
