/* The sweep's task list (sweep/sched.h). */
#include "sweep/sched.h"

#include <stdlib.h>
#include <string.h>

gt_status gt_sweep_sched_init(gt_sweep_sched *s, const gt_sweep_config *cfg, gt_error *err) {
  memset(s, 0, sizeof *s);
  int pairs = cfg->n_models * cfg->n_datasets;
  s->tasks = calloc((size_t)(pairs * (1 + cfg->n_threats)) + 1, sizeof *s->tasks);
  s->clean = calloc((size_t)pairs + 1, sizeof *s->clean);
  s->n_datasets = cfg->n_datasets;
  s->n_pairs = pairs;
  if (!s->tasks || !s->clean) {
    gt_sweep_sched_free(s);
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory for the sweep's task list");
  }
  for (int mi = 0; mi < cfg->n_models; mi++)
    for (int di = 0; di < cfg->n_datasets; di++) {
      s->tasks[s->n_tasks++] = (gt_sweep_task){.kind = GT_TASK_CLEAN, .model = mi, .dataset = di, .threat = -1};
      for (int ti = 0; ti < cfg->n_threats; ti++)
        s->tasks[s->n_tasks++] = (gt_sweep_task){.kind = GT_TASK_CHAIN, .model = mi, .dataset = di, .threat = ti};
    }
  return GT_OK;
}

void gt_sweep_sched_free(gt_sweep_sched *s) {
  for (int i = 0; s->clean && i < s->n_pairs; i++) free(s->clean[i].correct);
  free(s->tasks);
  free(s->clean);
  memset(s, 0, sizeof *s);
}

static gt_sweep_clean *clean_of(const gt_sweep_sched *s, int model, int dataset) {
  return &s->clean[model * s->n_datasets + dataset];
}

static int ready(const gt_sweep_sched *s, const gt_sweep_task *t) {
  return t->state == GT_TASK_PENDING && (t->kind == GT_TASK_CLEAN || clean_of(s, t->model, t->dataset)->done);
}

int gt_sweep_sched_take(gt_sweep_sched *s, int model, int dataset) {
  int first = GT_SCHED_NONE;
  for (int i = 0; i < s->n_tasks; i++) {
    gt_sweep_task *t = &s->tasks[i];
    if (t->state != GT_TASK_PENDING) continue;
    if (first == GT_SCHED_NONE) first = GT_SCHED_WAIT;
    if (!ready(s, t)) continue;
    if (t->model == model && t->dataset == dataset) {
      first = i;
      break;
    }
    if (first < 0) first = i;
  }
  if (first >= 0) s->tasks[first].state = GT_TASK_RUNNING;
  return first;
}

int gt_sweep_sched_pending(const gt_sweep_sched *s) {
  for (int i = 0; i < s->n_tasks; i++)
    if (s->tasks[i].state == GT_TASK_PENDING) return 1;
  return 0;
}

const gt_sweep_clean *gt_sweep_sched_clean(const gt_sweep_sched *s, int model, int dataset) {
  const gt_sweep_clean *c = clean_of(s, model, dataset);
  return c->done ? c : NULL;
}

gt_status gt_sweep_sched_clean_done(gt_sweep_sched *s, int model, int dataset, const uint8_t *correct, int64_t n,
                                    gt_error *err) {
  gt_sweep_clean *c = clean_of(s, model, dataset);
  c->correct = malloc((size_t)(n > 0 ? n : 1));
  if (!c->correct) return gt_error_set(err, GT_ERR_MEMORY, "out of memory for the clean state of %lld points", (long long)n);
  memcpy(c->correct, correct, (size_t)n);
  c->n = n;
  c->done = 1;
  return GT_OK;
}

int gt_sweep_job_number(const gt_sweep_config *cfg, int model, int dataset, int threat, int eps) {
  int per_pair = 1;
  for (int ti = 0; ti < cfg->n_threats; ti++) per_pair += cfg->threats[ti].n_eps;
  int job = (model * cfg->n_datasets + dataset) * per_pair + 1;
  if (threat < 0) return job;
  job++;
  for (int ti = 0; ti < threat; ti++) job += cfg->threats[ti].n_eps;
  return job + eps;
}
