/* The sweep scheduler (gauntlet/sweep.h): for each model and dataset a clean pass, then for each
 * threat model its eps in ascending order. A point broken at a smaller eps counts as broken at every
 * larger eps (its perturbation lies inside the larger ball) and only still-robust points are
 * attacked again (docs/SWEEP.md). Each finished record is journaled and fsync'ed before the next. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gauntlet/cuda.h"
#include "gauntlet/eval.h"
#include "gauntlet/npy.h"
#include "gauntlet/sha256.h"
#include "sweep/journal.h"
#include "sweep/probes.h"
#include "sweep/records.h"
#include "sweep/result_flags.h"
#include "sweep/suite.h"

typedef struct run_ctx {
  const gt_sweep_config *cfg;
  const gt_sweep_options *opt;
  gt_journal journal;
  cJSON *records;
  gt_backend *backend;
  const char *backend_name;     /* as run: "auto" resolved */
  char device[128];
  gt_sweep_summary *summary;
  double t_start;
  int job;                      /* 1-based job in flight */
  gt_sweep_progress progress;   /* the fields of the job in flight */
  char label[64];               /* "recheck apgd-ce": lives as long as the display may show it */
} run_ctx;

/* A (model, dataset) ready to attack. */
typedef struct open_pair {
  gt_graph *graph;
  gt_dataset *data;
  gt_model *model;
  char model_sha256[65], points_sha256[65];
  int64_t d;
  gt_attack_points pts;
  int64_t *ids;
  uint8_t *clean_correct;       /* [n] */
} open_pair;

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void device_name(const char *backend, char *out, size_t size) {
  if (!strncmp(backend, "cuda", 4)) {
    gt_cuda_device_info info;
    gt_error ignored;
    int ordinal = backend[4] == ':' ? atoi(backend + 5) : 0;
    snprintf(out, size, "CUDA device %d", ordinal);
    if (gt_cuda_device_info_get(ordinal, &info, &ignored) == GT_OK) snprintf(out, size, "%.127s", info.name);
    return;
  }
  snprintf(out, size, "CPU");
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10)) continue;
    char *colon = strchr(line, ':');
    if (!colon) break;
    colon++;
    while (*colon == ' ') colon++;
    colon[strcspn(colon, "\n")] = '\0';
    snprintf(out, size, "%s", colon);
    break;
  }
  if (f) fclose(f);
}

static void report_progress(run_ctx *c, const char *attack, int64_t points_left) {
  if (!c->opt->progress) return;
  c->progress.job = c->job;
  c->progress.n_jobs = c->summary->n_jobs;
  c->progress.attack = attack;
  c->progress.points_left = points_left;
  c->progress.elapsed_seconds = seconds_now() - c->t_start;
  int done = c->summary->n_done, left = c->summary->n_jobs - c->summary->n_skipped - c->summary->n_done;
  c->progress.eta_seconds = done > 0 ? c->progress.elapsed_seconds / done * left : -1;
  c->opt->progress(&c->progress, c->opt->progress_user);
}

static void before_member(void *user, const char *attack, int64_t points) { report_progress(user, attack, points); }

static void before_recheck(void *user, const char *attack, int64_t points) {
  run_ctx *c = user;
  snprintf(c->label, sizeof c->label, "recheck %s", attack);
  report_progress(c, c->label, points);
}

static int stop_requested(const run_ctx *c) { return c->opt->stop && *c->opt->stop; }

static void pair_close(open_pair *p) {
  gt_model_free(p->model);
  gt_graph_free(p->graph);
  gt_dataset_free(p->data);
  free(p->ids);
  free(p->clean_correct);
  memset(p, 0, sizeof *p);
}

static gt_status pair_open(run_ctx *c, int mi, int di, open_pair *p, gt_error *err) {
  const gt_sweep_model *m = &c->cfg->models[mi];
  const gt_sweep_dataset *ds = &c->cfg->datasets[di];
  memset(p, 0, sizeof *p);
  gt_status st = gt_dataset_load(ds->spec, &p->data, err);
  if (!st && ds->indices[0]) st = gt_dataset_take_index_file(p->data, ds->indices, err);
  else if (!st && ds->n > 0) st = gt_dataset_take_first(p->data, ds->n < p->data->n ? ds->n : p->data->n, err);
  if (!st) st = gt_sha256_file(m->path, p->model_sha256, err);
  if (!st) st = gt_graph_load_classifier(m->path, m->n_norm, m->mean, m->std, &p->graph, err);
  if (!st) {
    int64_t batch = c->cfg->batch < p->data->n ? c->cfg->batch : p->data->n;
    st = gt_model_create(p->graph, c->backend, batch > 0 ? batch : 1, &p->model, err);
  }
  if (st) {
    pair_close(p);
    return gt_error_prefix(err, "model %s on dataset %s: ", m->name, ds->name);
  }
  p->d = gt_model_input_numel(p->model);
  int64_t n = p->data->n;
  p->ids = malloc((size_t)(n > 0 ? n : 1) * sizeof *p->ids);
  p->clean_correct = calloc((size_t)(n > 0 ? n : 1), 1);
  if (!p->ids || !p->clean_correct) {
    pair_close(p);
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

static cJSON *flags_json(const gt_flag *flags, int n) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(arr, gt_flag_to_json(&flags[i]));
  return arr;
}

static void add_ids(cJSON *o, int mi, int di, const run_ctx *c) {
  cJSON_AddNumberToObject(o, "model", mi);
  cJSON_AddStringToObject(o, "model_name", c->cfg->models[mi].name);
  cJSON_AddNumberToObject(o, "dataset", di);
  cJSON_AddStringToObject(o, "dataset_name", c->cfg->datasets[di].name);
}

/* A journaled record must describe the same model file and points as now. */
static gt_status check_same_inputs(const cJSON *rec, const open_pair *p, const run_ctx *c, int mi, int di, gt_error *err) {
  const char *ms = gt_rec_string(rec, "model_sha256"), *ps = gt_rec_string(rec, "points_sha256");
  if (ms && strcmp(ms, p->model_sha256))
    return gt_error_set(err, GT_ERR_USAGE, "cannot resume: the file of model %s (%s) changed since it was journaled",
                        c->cfg->models[mi].name, c->cfg->models[mi].path);
  if (ps && strcmp(ps, p->points_sha256))
    return gt_error_set(err, GT_ERR_USAGE, "cannot resume: the points of dataset %s changed since they were journaled",
                        c->cfg->datasets[di].name);
  return GT_OK;
}

/* The clean pass: predictions, clean accuracy, the model's masking probes; journaled. */
static gt_status clean_pass(run_ctx *c, int mi, int di, open_pair *p, gt_error *err) {
  const cJSON *rec = gt_journal_find(c->records, "clean", mi, di, -1, -1);
  int64_t n = p->pts.n;
  if (rec) {
    const char *state = gt_rec_string(rec, "state");
    if (!state || (int64_t)strlen(state) != n)
      return gt_error_set(err, GT_ERR_FORMAT, "%s: the clean record of model %d, dataset %d has no state for %lld points",
                          c->journal.path, mi, di, (long long)n);
    for (int64_t i = 0; i < n; i++) p->clean_correct[i] = state[i] == '1';
    c->summary->n_skipped++;
    return check_same_inputs(rec, p, c, mi, di, err);
  }
  c->progress.threat = "";
  c->progress.eps_text = "";
  report_progress(c, "clean", n);
  double t0 = seconds_now();
  int32_t *pred = malloc((size_t)(n > 0 ? n : 1) * sizeof *pred);
  char *state = malloc((size_t)n + 1);
  int64_t correct = 0;
  gt_flag flags[GT_MAX_FLAGS];
  int n_flags = 0;
  gt_status st = pred && state ? GT_OK : gt_error_set(err, GT_ERR_MEMORY, "out of memory for the clean pass");
  if (!st) st = gt_eval_predict(p->model, p->data, pred, &correct, err);
  if (!st && c->cfg->probes) st = gt_sweep_probe_model(c->cfg, p->model, &p->pts, flags, GT_MAX_FLAGS, &n_flags, err);
  if (!st) {
    for (int64_t i = 0; i < n; i++) {
      p->clean_correct[i] = pred[i] == p->data->labels[i];
      state[i] = p->clean_correct[i] ? '1' : '0';
    }
    state[n] = '\0';
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "clean");
    add_ids(o, mi, di, c);
    cJSON_AddNumberToObject(o, "n", (double)n);
    cJSON_AddNumberToObject(o, "clean_correct", (double)correct);
    cJSON_AddStringToObject(o, "model_sha256", p->model_sha256);
    cJSON_AddStringToObject(o, "points_sha256", p->points_sha256);
    cJSON_AddStringToObject(o, "state", state);
    cJSON_AddItemToObject(o, "flags", flags_json(flags, n_flags));
    cJSON_AddNumberToObject(o, "seconds", seconds_now() - t0);
    st = gt_journal_append(&c->journal, o, err);
    if (!st) cJSON_AddItemToArray(c->records, o), c->summary->n_done++;
    else cJSON_Delete(o);
  }
  free(pred);
  free(state);
  return st;
}

/* Writes the example images of a job: the first k points (by index) broken at this eps, clean rows
 * then adversarial rows, float32 [2k, c, h, w]; their labels and predictions go to the record. */
static gt_status save_examples(run_ctx *c, int mi, int di, int ti, const open_pair *p, const uint8_t *fresh,
                               const int32_t *adv_pred, const float *x_adv, cJSON *rec, gt_error *err) {
  int64_t pick[GT_SWEEP_MAX_EXAMPLES];
  int k = 0;
  for (int64_t i = 0; i < p->pts.n && k < c->cfg->examples; i++)
    if (fresh[i]) pick[k++] = i;
  cJSON *ex = cJSON_CreateObject();
  cJSON_AddItemToObject(rec, "examples", ex);
  cJSON_AddNumberToObject(ex, "k", k);
  if (k == 0) return GT_OK;
  char model[128], data[64], rel[512], path[GT_SWEEP_PATH_MAX + 600], tmp[GT_SWEEP_PATH_MAX + 640];
  gt_safe_name(c->cfg->models[mi].name, model, sizeof model);
  gt_safe_name(c->cfg->datasets[di].name, data, sizeof data);
  snprintf(rel, sizeof rel, "examples/%s_%s_%s.npy", model, data, gt_norm_name(c->cfg->threats[ti].norm));
  snprintf(path, sizeof path, "%s/examples", c->cfg->output);
  if (mkdir(path, 0755) != 0 && errno != EEXIST)
    return gt_error_set(err, GT_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  snprintf(path, sizeof path, "%s/%s", c->cfg->output, rel);
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

typedef struct job_bufs {
  uint8_t *robust, *carried, *fresh;
  int8_t *broken_by;
  int32_t *adv_pred;
  float *x_adv;
  char *state;
} job_bufs;

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

/* Runs one (threat model, eps) job and journals it. b->carried holds the points broken at smaller
 * eps on entry and is updated. *dropped = 1 when a stop request cut the job short. */
static gt_status run_job(run_ctx *c, int mi, int di, int ti, int ei, open_pair *p, job_bufs *b, int *dropped,
                         gt_error *err) {
  const gt_sweep_threat *th = &c->cfg->threats[ti];
  int64_t n = p->pts.n;
  double t0 = seconds_now();
  gt_ensemble plan;
  gt_status st = gt_suite_plan(c->cfg, th->norm, th->eps[ei], gt_model_max_batch(p->model), &plan, err);
  if (st) return st;
  gt_suite_hooks hooks = {.stop = c->opt->stop, .before_member = before_member, .user = c};
  for (int64_t i = 0; i < n; i++) {
    b->robust[i] = p->clean_correct[i] && !b->carried[i];
    b->broken_by[i] = -1;
    b->fresh[i] = 0;
  }
  gt_suite_stats stats;
  st = gt_suite_run(&plan, (1u << plan.n_members) - 1u, p->model, &p->pts, b->robust, b->broken_by, b->adv_pred,
                    b->x_adv, &stats, &hooks, err);
  gt_flag flags[GT_MAX_FLAGS], probe_flags[GT_MAX_FLAGS];
  int n_flags = 0, n_probe = 0;
  if (!st && !stats.stopped)
    st = gt_sweep_beats_flags(&plan, p->model, &p->pts, b->broken_by, flags, GT_MAX_FLAGS, &n_flags, err);
  int64_t rechecked = 0, missed = 0;
  int last = ei == th->n_eps - 1;
  if (!st && !stats.stopped && ei > 0 && c->cfg->recheck_points > 0) {
    int want = c->cfg->recheck_points;
    if (last && want < c->cfg->examples) want = c->cfg->examples;
    gt_suite_hooks recheck_hooks = {.stop = c->opt->stop, .before_member = before_recheck, .user = c};
    st = gt_sweep_recheck(&plan, p->model, &p->pts, b->carried, want, b->fresh, b->adv_pred, b->x_adv, &rechecked,
                          &missed, &recheck_hooks, err);
    if (!st && missed > 0 && n_flags < GT_MAX_FLAGS) {
      gt_flag *f = &flags[n_flags++];
      f->kind = GT_FLAG_NON_MONOTONE_EPS;
      f->evidence = (double)missed / (double)rechecked;
      f->threshold = 0;
      snprintf(f->detail, sizeof f->detail, "%lld of %lld points broken at a smaller eps were not broken again at eps %s",
               (long long)missed, (long long)rechecked, th->eps_text[ei]);
    }
  }
  if (!st && c->cfg->probes && !stop_requested(c) && (ei == 0 || c->cfg->check_iterations)) {
    report_progress(c, "probes", n);
    st = gt_sweep_probe_threat(c->cfg, p->model, &p->pts, th->norm, th->eps[ei], ei == 0, probe_flags, GT_MAX_FLAGS,
                               &n_probe, err);
  }
  if (st) return st;
  if (stats.stopped || stop_requested(c)) {
    *dropped = 1;
    return GT_OK;
  }
  for (int64_t i = 0; i < n; i++) {
    if (b->broken_by[i] >= 0) b->fresh[i] = 1;
    b->state[i] = !p->clean_correct[i] ? 'x' : b->carried[i] ? 'c' : b->broken_by[i] >= 0 ? (char)('0' + b->broken_by[i]) : 'r';
  }
  b->state[n] = '\0';
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "job");
  add_ids(o, mi, di, c);
  cJSON_AddNumberToObject(o, "threat", ti);
  cJSON_AddStringToObject(o, "threat_model", gt_norm_name(th->norm));
  cJSON_AddNumberToObject(o, "eps_index", ei);
  cJSON_AddNumberToObject(o, "eps", th->eps[ei]);
  cJSON_AddStringToObject(o, "eps_text", th->eps_text[ei]);
  cJSON_AddNumberToObject(o, "n", (double)n);
  cJSON_AddStringToObject(o, "suite", plan.name);
  cJSON *attacks = cJSON_AddArrayToObject(o, "attacks");
  for (int m = 0; m < plan.n_members; m++) {
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "name", plan.members[m].attack);
    cJSON_AddNumberToObject(a, "robust", (double)stats.robust_after[m]);
    cJSON_AddNumberToObject(a, "attacked", (double)stats.attacked[m]);
    cJSON_AddNumberToObject(a, "seconds", stats.seconds[m]);
    cJSON_AddNumberToObject(a, "forward", (double)stats.forward[m]);
    cJSON_AddNumberToObject(a, "backward", (double)stats.backward[m]);
    cJSON_AddItemToArray(attacks, a);
  }
  cJSON_AddNumberToObject(o, "robust", (double)stats.robust_after[plan.n_members - 1]);
  cJSON_AddStringToObject(o, "state", b->state);
  cJSON_AddItemToObject(o, "flags", flags_json(flags, n_flags));
  cJSON_AddItemToObject(o, "probe_flags", flags_json(probe_flags, n_probe));
  cJSON *rc = cJSON_AddObjectToObject(o, "recheck");
  cJSON_AddNumberToObject(rc, "points", (double)rechecked);
  cJSON_AddNumberToObject(rc, "missed", (double)missed);
  if (last && c->cfg->examples > 0) st = save_examples(c, mi, di, ti, p, b->fresh, b->adv_pred, b->x_adv, o, err);
  cJSON_AddNumberToObject(o, "seed", (double)c->cfg->seed);
  cJSON_AddStringToObject(o, "backend", c->backend_name);
  cJSON_AddStringToObject(o, "device", c->device);
  cJSON_AddStringToObject(o, "model_sha256", p->model_sha256);
  cJSON_AddStringToObject(o, "points_sha256", p->points_sha256);
  cJSON_AddNumberToObject(o, "seconds", seconds_now() - t0);
  if (!st) st = gt_journal_append(&c->journal, o, err);
  if (st) {
    cJSON_Delete(o);
    return st;
  }
  cJSON_AddItemToArray(c->records, o);
  c->summary->n_done++;
  for (int64_t i = 0; i < n; i++) b->carried[i] = b->carried[i] || b->broken_by[i] >= 0;
  return GT_OK;
}

/* Carries the broken points of a journaled job forward. */
static gt_status replay_job(const run_ctx *c, const cJSON *rec, const open_pair *p, job_bufs *b, gt_error *err) {
  const char *state = gt_rec_string(rec, "state");
  if (!state || (int64_t)strlen(state) != p->pts.n)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: a job record has no state for %lld points", c->journal.path,
                        (long long)p->pts.n);
  for (int64_t i = 0; i < p->pts.n; i++) b->carried[i] = b->carried[i] || (state[i] != 'x' && state[i] != 'r');
  return check_same_inputs(rec, p, c, (int)gt_rec_number(rec, "model", 0), (int)gt_rec_number(rec, "dataset", 0), err);
}

static gt_status run_pair(run_ctx *c, int mi, int di, gt_error *err) {
  open_pair p;
  c->progress.model = c->cfg->models[mi].name;
  c->progress.dataset = c->cfg->datasets[di].name;
  gt_status st = pair_open(c, mi, di, &p, err);
  if (st) return st;
  c->job++;
  st = clean_pass(c, mi, di, &p, err);
  job_bufs b;
  memset(&b, 0, sizeof b);
  if (!st) st = job_bufs_alloc(&b, p.pts.n, p.d, err);
  for (int ti = 0; !st && ti < c->cfg->n_threats && !c->summary->stopped; ti++) {
    const gt_sweep_threat *th = &c->cfg->threats[ti];
    memset(b.carried, 0, (size_t)(p.pts.n > 0 ? p.pts.n : 1));
    c->progress.threat = gt_norm_name(th->norm);
    for (int ei = 0; !st && ei < th->n_eps; ei++) {
      c->job++;
      c->progress.eps_text = th->eps_text[ei];
      const cJSON *rec = gt_journal_find(c->records, "job", mi, di, ti, ei);
      if (rec) {
        st = replay_job(c, rec, &p, &b, err);
        c->summary->n_skipped++;
        continue;
      }
      if (stop_requested(c)) {
        c->summary->stopped = 1;
        break;
      }
      int dropped = 0;
      st = run_job(c, mi, di, ti, ei, &p, &b, &dropped, err);
      if (dropped) {
        c->summary->stopped = 1;
        break;
      }
    }
  }
  job_bufs_free(&b);
  pair_close(&p);
  return st;
}

static gt_status make_dir(const char *path, gt_error *err) {
  if (mkdir(path, 0755) == 0 || errno == EEXIST) {
    struct stat s;
    if (stat(path, &s) == 0 && S_ISDIR(s.st_mode)) return GT_OK;
    return gt_error_set(err, GT_ERR_IO, "%s: exists and is not a folder", path);
  }
  return gt_error_set(err, GT_ERR_IO, "%s: cannot create the output folder: %s", path, strerror(errno));
}

gt_status gt_sweep_run(const gt_sweep_config *cfg, const gt_sweep_options *opt, gt_sweep_summary *summary,
                       gt_error *err) {
  memset(summary, 0, sizeof *summary);
  run_ctx c;
  memset(&c, 0, sizeof c);
  c.cfg = cfg;
  c.opt = opt;
  c.summary = summary;
  c.journal.fd = -1;
  c.t_start = seconds_now();
  for (int ti = 0; ti < cfg->n_threats; ti++) summary->n_jobs += cfg->threats[ti].n_eps;
  summary->n_jobs = cfg->n_models * cfg->n_datasets * (summary->n_jobs + 1);
  /* "auto": CUDA when a device is usable, else cpu; the choice and why go to the summary. */
  snprintf(summary->backend, sizeof summary->backend, "%s", cfg->backend);
  if (!strcmp(cfg->backend, "auto"))
    snprintf(summary->backend, sizeof summary->backend, "%s",
             gt_backend_auto_choice(summary->backend_why, sizeof summary->backend_why));
  c.backend_name = summary->backend;
  device_name(c.backend_name, c.device, sizeof c.device);
  gt_status st = make_dir(cfg->output, err);
  if (!st) st = gt_journal_open(cfg->output, cfg, opt->resume, opt->version, opt->git_commit, &c.journal, &c.records, err);
  if (!st) {
    if (!strcmp(c.backend_name, "cpu")) st = gt_backend_cpu_create(&c.backend, cfg->threads, err);
    else st = gt_backend_create(c.backend_name, &c.backend, err);
  }
  for (int mi = 0; !st && mi < cfg->n_models && !summary->stopped; mi++)
    for (int di = 0; !st && di < cfg->n_datasets && !summary->stopped; di++) st = run_pair(&c, mi, di, err);
  gt_journal_close(&c.journal);
  gt_backend_free(c.backend);
  cJSON_Delete(c.records);
  if (!st && !summary->stopped) st = gt_sweep_write_outputs(cfg->output, NULL, err);
  return st;
}
