/* One chain of a sweep (sweep/worker.h): the eps of one (model, dataset, threat model) in
 * ascending order on one worker. A point broken at a smaller eps counts as broken at every larger
 * eps (its perturbation lies inside the larger ball) and only still-robust points are attacked
 * again (docs/SWEEP.md). Each finished job is journaled and fsync'ed before the next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/probes.h"
#include "sweep/records.h"
#include "sweep/result_flags.h"
#include "sweep/suite.h"
#include "sweep/worker.h"

typedef struct job_bufs {
  uint8_t *robust, *carried, *fresh;
  int8_t *broken_by;
  int32_t *adv_pred;
  float *x_adv;
  char *state;
} job_bufs;

/* What one job's attacks found, before it becomes a record. */
typedef struct job_out {
  gt_ensemble plan;
  gt_suite_stats stats;
  gt_flag flags[GT_MAX_FLAGS], probe_flags[GT_MAX_FLAGS];
  int n_flags, n_probe;
  int64_t rechecked, missed;
} job_out;

static void job_bufs_free(job_bufs *b) {
  free(b->robust), free(b->carried), free(b->fresh), free(b->broken_by), free(b->adv_pred), free(b->x_adv);
  free(b->state);
  memset(b, 0, sizeof *b);
}

static gt_status job_bufs_alloc(job_bufs *b, int64_t n, int64_t d, gt_error *err) {
  size_t m = (size_t)(n > 0 ? n : 1);
  b->robust = calloc(m, 1);
  b->carried = calloc(m, 1);
  b->fresh = calloc(m, 1);
  b->broken_by = malloc(m);
  b->adv_pred = calloc(m, sizeof *b->adv_pred);
  b->x_adv = malloc(m * (size_t)d * sizeof *b->x_adv);
  b->state = malloc(m + 1);
  if (b->robust && b->carried && b->fresh && b->broken_by && b->adv_pred && b->x_adv && b->state) return GT_OK;
  job_bufs_free(b);
  return gt_error_set(err, GT_ERR_MEMORY, "out of memory for %lld points", (long long)n);
}

static void before_member(void *user, const char *attack, int64_t points) { gt_sweep_report(user, attack, points); }

static void before_recheck(void *user, const char *attack, int64_t points) {
  gt_sweep_worker *w = user;
  snprintf(w->label, sizeof w->label, "recheck %s", attack);
  gt_sweep_report(w, w->label, points);
}

/* The attacks of job (ti, ei): the suite on the points robust so far, the result flags, the
 * recheck of carried points, the threat probes. Everything it writes is reset at its start, so
 * it can run again from scratch (after an out-of-memory error). */
static gt_status job_attack(gt_sweep_worker *w, int ti, int ei, job_bufs *b, job_out *o, gt_error *err) {
  const gt_sweep_config *cfg = w->sh->cfg;
  const gt_sweep_threat *th = &cfg->threats[ti];
  gt_sweep_pair *p = &w->pair;
  int64_t n = p->pts.n;
  gt_status st = gt_suite_plan(cfg, th->norm, th->eps[ei], gt_model_max_batch(p->model), &o->plan, err);
  if (st) return st;
  volatile sig_atomic_t *stop = w->sh->opt->stop;
  gt_suite_hooks hooks = {.stop = stop, .before_member = before_member, .user = w};
  for (int64_t i = 0; i < n; i++) {
    b->robust[i] = p->clean_correct[i] && !b->carried[i];
    b->broken_by[i] = -1;
    b->fresh[i] = 0;
  }
  o->n_flags = o->n_probe = 0;
  o->rechecked = o->missed = 0;
  st = gt_suite_run(&o->plan, (1u << o->plan.n_members) - 1u, p->model, &p->pts, b->robust, b->broken_by, b->adv_pred,
                    b->x_adv, &o->stats, &hooks, err);
  if (!st && !o->stats.stopped)
    st = gt_sweep_beats_flags(&o->plan, p->model, &p->pts, b->broken_by, o->flags, GT_MAX_FLAGS, &o->n_flags, err);
  int last = ei == th->n_eps - 1;
  if (!st && !o->stats.stopped && ei > 0 && cfg->recheck_points > 0) {
    int want = cfg->recheck_points;
    if (last && want < cfg->examples) want = cfg->examples;
    gt_suite_hooks recheck_hooks = {.stop = stop, .before_member = before_recheck, .user = w};
    st = gt_sweep_recheck(&o->plan, p->model, &p->pts, b->carried, want, b->fresh, b->adv_pred, b->x_adv, &o->rechecked,
                          &o->missed, &recheck_hooks, err);
    if (!st && o->missed > 0 && o->n_flags < GT_MAX_FLAGS) {
      gt_flag *f = &o->flags[o->n_flags++];
      f->kind = GT_FLAG_NON_MONOTONE_EPS;
      f->evidence = (double)o->missed / (double)o->rechecked;
      f->threshold = 0;
      snprintf(f->detail, sizeof f->detail, "%lld of %lld points broken at a smaller eps were not broken again at eps %s",
               (long long)o->missed, (long long)o->rechecked, th->eps_text[ei]);
    }
  }
  if (!st && cfg->probes && !gt_sweep_stop_requested(w->sh) && (ei == 0 || cfg->check_iterations)) {
    gt_sweep_report(w, "probes", n);
    st = gt_sweep_probe_threat(cfg, p->model, &p->pts, th->norm, th->eps[ei], ei == 0, o->probe_flags, GT_MAX_FLAGS,
                               &o->n_probe, err);
  }
  return st;
}

/* The journal record of a finished job, but for its examples. */
static cJSON *job_record(const gt_sweep_worker *w, int ti, int ei, const job_bufs *b, const job_out *o, double t0) {
  const gt_sweep_config *cfg = w->sh->cfg;
  const gt_sweep_threat *th = &cfg->threats[ti];
  const gt_sweep_pair *p = &w->pair;
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "type", "job");
  gt_sweep_add_ids(r, w);
  cJSON_AddNumberToObject(r, "threat", ti);
  cJSON_AddStringToObject(r, "threat_model", gt_norm_name(th->norm));
  cJSON_AddNumberToObject(r, "eps_index", ei);
  cJSON_AddNumberToObject(r, "eps", th->eps[ei]);
  cJSON_AddStringToObject(r, "eps_text", th->eps_text[ei]);
  cJSON_AddNumberToObject(r, "n", (double)p->pts.n);
  cJSON_AddStringToObject(r, "suite", o->plan.name);
  cJSON *attacks = cJSON_AddArrayToObject(r, "attacks");
  for (int m = 0; m < o->plan.n_members; m++) {
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "name", o->plan.members[m].attack);
    cJSON_AddNumberToObject(a, "robust", (double)o->stats.robust_after[m]);
    cJSON_AddNumberToObject(a, "attacked", (double)o->stats.attacked[m]);
    cJSON_AddNumberToObject(a, "seconds", o->stats.seconds[m]);
    cJSON_AddNumberToObject(a, "forward", (double)o->stats.forward[m]);
    cJSON_AddNumberToObject(a, "backward", (double)o->stats.backward[m]);
    cJSON_AddItemToArray(attacks, a);
  }
  cJSON_AddNumberToObject(r, "robust", (double)o->stats.robust_after[o->plan.n_members - 1]);
  cJSON_AddStringToObject(r, "state", b->state);
  cJSON_AddItemToObject(r, "flags", gt_flags_to_json(o->flags, o->n_flags));
  cJSON_AddItemToObject(r, "probe_flags", gt_flags_to_json(o->probe_flags, o->n_probe));
  cJSON *rc = cJSON_AddObjectToObject(r, "recheck");
  cJSON_AddNumberToObject(rc, "points", (double)o->rechecked);
  cJSON_AddNumberToObject(rc, "missed", (double)o->missed);
  cJSON_AddNumberToObject(r, "seed", (double)cfg->seed);
  cJSON_AddStringToObject(r, "backend", w->dev.kind);
  cJSON_AddStringToObject(r, "device", w->dev.name);
  cJSON_AddNumberToObject(r, "worker", w->index + 1);
  cJSON_AddStringToObject(r, "worker_device", w->dev.spec);
  cJSON_AddStringToObject(r, "model_sha256", p->model_sha256);
  cJSON_AddStringToObject(r, "points_sha256", p->points_sha256);
  cJSON_AddNumberToObject(r, "seconds", gt_sweep_seconds() - t0);
  return r;
}

/* Runs job (ti, ei) and journals it; b->carried holds the points broken at smaller eps on entry
 * and is updated. *dropped = 1 when a stop request cut the job short. */
static gt_status run_job(gt_sweep_worker *w, int ti, int ei, job_bufs *b, int *dropped, gt_error *err) {
  const gt_sweep_pair *p = &w->pair;
  int64_t n = p->pts.n;
  double t0 = gt_sweep_seconds();
  job_out *o = malloc(sizeof *o);
  if (!o) return gt_error_set(err, GT_ERR_MEMORY, "out of memory for a job");
  char what[160];
  snprintf(what, sizeof what, "model %s, %s eps %s", w->sh->cfg->models[p->mi].name,
           gt_norm_name(w->sh->cfg->threats[ti].norm), w->sh->cfg->threats[ti].eps_text[ei]);
  gt_status st;
  while ((st = job_attack(w, ti, ei, b, o, err)) == GT_ERR_MEMORY && !(st = gt_sweep_halve_batch(w, what, err))) {
  }
  if (!st && (o->stats.stopped || gt_sweep_stop_requested(w->sh))) *dropped = 1;
  if (st || *dropped) {
    free(o);
    return st;
  }
  for (int64_t i = 0; i < n; i++) {
    if (b->broken_by[i] >= 0) b->fresh[i] = 1;
    b->state[i] = !p->clean_correct[i] ? 'x' : b->carried[i] ? 'c' : b->broken_by[i] >= 0 ? (char)('0' + b->broken_by[i]) : 'r';
  }
  b->state[n] = '\0';
  cJSON *r = job_record(w, ti, ei, b, o, t0);
  free(o);
  const gt_sweep_config *cfg = w->sh->cfg;
  if (ei == cfg->threats[ti].n_eps - 1 && cfg->examples > 0)
    st = gt_sweep_save_examples(w, ti, b->fresh, b->adv_pred, b->x_adv, r, err);
  if (st) {
    cJSON_Delete(r);
    return st;
  }
  if ((st = gt_sweep_journal_add(w, r, err))) return st;
  for (int64_t i = 0; i < n; i++) b->carried[i] = b->carried[i] || b->broken_by[i] >= 0;
  return GT_OK;
}

/* Carries the broken points of a journaled job forward. */
static gt_status replay_job(const gt_sweep_worker *w, const cJSON *rec, job_bufs *b, gt_error *err) {
  const gt_sweep_pair *p = &w->pair;
  const char *state = gt_rec_string(rec, "state");
  if (!state || (int64_t)strlen(state) != p->pts.n)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: a job record has no state for %lld points", w->sh->journal.path,
                        (long long)p->pts.n);
  for (int64_t i = 0; i < p->pts.n; i++) b->carried[i] = b->carried[i] || (state[i] != 'x' && state[i] != 'r');
  return gt_sweep_check_same_inputs(rec, w, err);
}

gt_status gt_sweep_chain_task(gt_sweep_worker *w, int ti, gt_error *err) {
  gt_sweep_shared *sh = w->sh;
  gt_sweep_pair *p = &w->pair;
  const gt_sweep_threat *th = &sh->cfg->threats[ti];
  /* the clean state comes from the task list: the clean pass may have run on another worker */
  pthread_mutex_lock(&sh->lock);
  const gt_sweep_clean *clean = gt_sweep_sched_clean(&sh->sched, p->mi, p->di);
  if (clean && clean->n == p->pts.n) memcpy(p->clean_correct, clean->correct, (size_t)clean->n);
  pthread_mutex_unlock(&sh->lock);
  if (!clean || clean->n != p->pts.n)
    return gt_error_set(err, GT_ERR_INTERNAL, "sweep: the chain of model %d, dataset %d started before its clean pass",
                        p->mi, p->di);
  job_bufs b;
  memset(&b, 0, sizeof b);
  gt_status st = job_bufs_alloc(&b, p->pts.n, p->d, err);
  w->progress.threat = gt_norm_name(th->norm);
  for (int ei = 0; !st && ei < th->n_eps; ei++) {
    w->progress.job = gt_sweep_job_number(sh->cfg, p->mi, p->di, ti, ei);
    w->progress.eps_text = th->eps_text[ei];
    const cJSON *rec = gt_journal_find(sh->records, "job", p->mi, p->di, ti, ei);
    if (rec) {
      st = replay_job(w, rec, &b, err);
      continue;
    }
    int dropped = gt_sweep_stop_requested(sh);
    if (!dropped) st = run_job(w, ti, ei, &b, &dropped, err);
    if (dropped) {
      gt_sweep_mark_stopped(sh);
      break;
    }
  }
  job_bufs_free(&b);
  return st;
}
