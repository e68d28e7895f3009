/* A sweep worker (sweep/worker.h): creates its backend in its own thread, then takes tasks from
 * the shared list until none is left, a stop is requested or a worker has failed. It keeps the
 * (model, dataset) of its last task open, and the task list prefers tasks of that pair. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sweep/worker.h"

double gt_sweep_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int gt_sweep_stop_requested(const gt_sweep_shared *sh) { return sh->opt->stop && *sh->opt->stop; }

void gt_sweep_mark_stopped(gt_sweep_shared *sh) {
  pthread_mutex_lock(&sh->lock);
  sh->summary->stopped = 1;
  pthread_mutex_unlock(&sh->lock);
}

/* The caller holds the lock. */
static void report_locked(gt_sweep_worker *w) {
  gt_sweep_shared *sh = w->sh;
  gt_sweep_progress *p = &w->progress;
  const gt_sweep_summary *s = sh->summary;
  p->n_jobs = s->n_jobs;
  p->jobs_finished = s->n_done + s->n_skipped;
  p->worker = sh->n_workers > 1 ? w->tag : NULL;
  p->elapsed_seconds = gt_sweep_seconds() - sh->t_start;
  int left = s->n_jobs - s->n_skipped - s->n_done;
  p->eta_seconds = s->n_done > 0 ? p->elapsed_seconds / s->n_done * left : -1;
  sh->opt->progress(p, sh->opt->progress_user);
}

void gt_sweep_report(gt_sweep_worker *w, const char *attack, int64_t points_left) {
  gt_sweep_shared *sh = w->sh;
  if (!sh->opt->progress) return;
  pthread_mutex_lock(&sh->lock);
  w->progress.attack = attack;
  w->progress.points_left = points_left;
  report_locked(w);
  pthread_mutex_unlock(&sh->lock);
}

void gt_sweep_notice(gt_sweep_worker *w, const char *fmt, ...) {
  gt_sweep_shared *sh = w->sh;
  if (!sh->opt->notice) return;
  char text[GT_ERROR_MSG_MAX + 256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&sh->lock);
  sh->opt->notice(text, sh->opt->progress_user);
  pthread_mutex_unlock(&sh->lock);
}

gt_status gt_sweep_journal_add(gt_sweep_worker *w, cJSON *rec, gt_error *err) {
  gt_sweep_shared *sh = w->sh;
  pthread_mutex_lock(&sh->lock);
  gt_status st = gt_journal_append(&sh->journal, rec, err);
  if (!st) sh->summary->n_done++;
  pthread_mutex_unlock(&sh->lock);
  cJSON_Delete(rec);
  return st;
}

/* The next task for this worker (marked running) into *task, or -1 when it should end. */
static int next_task(gt_sweep_worker *w, gt_sweep_task *task) {
  gt_sweep_shared *sh = w->sh;
  int t = GT_SCHED_NONE;
  pthread_mutex_lock(&sh->lock);
  for (;;) {
    if (sh->failed) break;
    if (gt_sweep_stop_requested(sh)) {
      if (gt_sweep_sched_pending(&sh->sched)) sh->summary->stopped = 1;
      break;
    }
    t = gt_sweep_sched_take(&sh->sched, w->pair.mi, w->pair.di);
    if (t != GT_SCHED_WAIT) break;
    /* a clean pass this worker needs runs elsewhere; wake up for it, or to see a stop request */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 100000000;
    if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
    pthread_cond_timedwait(&sh->changed, &sh->lock, &until);
  }
  if (t >= 0) *task = sh->sched.tasks[t];
  pthread_mutex_unlock(&sh->lock);
  return t;
}

static gt_status run_task(gt_sweep_worker *w, const gt_sweep_task *task, gt_error *err) {
  const gt_sweep_config *cfg = w->sh->cfg;
  w->progress.model = cfg->models[task->model].name;
  w->progress.dataset = cfg->datasets[task->dataset].name;
  gt_status st = GT_OK;
  if (w->pair.mi != task->model || w->pair.di != task->dataset) st = gt_sweep_pair_open(w, task->model, task->dataset, err);
  if (st) return st;
  return task->kind == GT_TASK_CLEAN ? gt_sweep_clean_task(w, err) : gt_sweep_chain_task(w, task->threat, err);
}

/* One creation at a time: the cpu backend sets OpenBLAS's process-wide thread count. */
static gt_status backend_create(gt_sweep_worker *w, gt_error *err) {
  gt_status st;
  pthread_mutex_lock(&w->sh->create_lock);
  if (!strcmp(w->dev.spec, "cpu")) st = gt_backend_cpu_create(&w->backend, w->dev.threads, err);
  else st = gt_backend_create(w->dev.spec, &w->backend, err);
  pthread_mutex_unlock(&w->sh->create_lock);
  return st ? gt_error_prefix(err, "device %s: ", w->dev.spec) : GT_OK;
}

void *gt_sweep_worker_main(void *arg) {
  gt_sweep_worker *w = arg;
  gt_sweep_shared *sh = w->sh;
  gt_error err = {0};
  w->pair.mi = w->pair.di = -1;
  gt_status st = backend_create(w, &err);
  gt_sweep_task task;
  for (int t; !st && (t = next_task(w, &task)) >= 0;) {
    st = run_task(w, &task, &err);
    pthread_mutex_lock(&sh->lock);
    sh->sched.tasks[t].state = GT_TASK_DONE;
    pthread_cond_broadcast(&sh->changed);
    pthread_mutex_unlock(&sh->lock);
  }
  if (st) {
    pthread_mutex_lock(&sh->lock);
    if (!sh->failed) sh->status = st, sh->err = err, sh->failed = 1;
    pthread_cond_broadcast(&sh->changed);
    pthread_mutex_unlock(&sh->lock);
  }
  gt_sweep_pair_close(&w->pair);
  gt_backend_free(w->backend);
  w->backend = NULL;
  return NULL;
}
