/* gt_sweep_run (gauntlet/sweep.h): plans the devices, opens the journal, builds the task list and
 * runs one worker thread per device on it (sweep/worker.h); the leaderboard is then built from
 * the journal, which fixes the order of everything in it whatever order the jobs finished in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sweep/worker.h"

/* Attacks, the executor and the flags keep arrays of a few hundred KiB on the stack. */
#define WORKER_STACK_BYTES ((size_t)16 << 20)

static gt_status make_dir(const char *path, gt_error *err) {
  if (mkdir(path, 0755) == 0 || errno == EEXIST) {
    struct stat s;
    if (stat(path, &s) == 0 && S_ISDIR(s.st_mode)) return GT_OK;
    return gt_error_set(err, GT_ERR_IO, "%s: exists and is not a folder", path);
  }
  return gt_error_set(err, GT_ERR_IO, "%s: cannot create the output folder: %s", path, strerror(errno));
}

/* Jobs of the sweep, and how many of them the journal already holds. */
static void count_jobs(const gt_sweep_config *cfg, const cJSON *records, gt_sweep_summary *s) {
  for (int mi = 0; mi < cfg->n_models; mi++)
    for (int di = 0; di < cfg->n_datasets; di++) {
      s->n_jobs++;
      s->n_skipped += gt_journal_find(records, "clean", mi, di, -1, -1) != NULL;
      for (int ti = 0; ti < cfg->n_threats; ti++)
        for (int ei = 0; ei < cfg->threats[ti].n_eps; ei++) {
          s->n_jobs++;
          s->n_skipped += gt_journal_find(records, "job", mi, di, ti, ei) != NULL;
        }
    }
}

/* Starts a thread per worker and waits for all of them; a thread that cannot start fails the run. */
static void run_workers(gt_sweep_shared *sh, gt_sweep_worker *workers, int n) {
  pthread_attr_t attr;
  int have_attr = pthread_attr_init(&attr) == 0;
  if (have_attr) pthread_attr_setstacksize(&attr, WORKER_STACK_BYTES);
  for (int i = 0; i < n; i++) {
    workers[i].started = pthread_create(&workers[i].thread, have_attr ? &attr : NULL, gt_sweep_worker_main, &workers[i]) == 0;
    if (workers[i].started) continue;
    pthread_mutex_lock(&sh->lock);
    if (!sh->failed)
      sh->failed = 1, sh->status = gt_error_set(&sh->err, GT_ERR_BACKEND, "cannot start the worker thread of device %s",
                                                workers[i].dev.spec);
    pthread_mutex_unlock(&sh->lock);
  }
  for (int i = 0; i < n; i++)
    if (workers[i].started) pthread_join(workers[i].thread, NULL);
  if (have_attr) pthread_attr_destroy(&attr);
}

gt_status gt_sweep_run(const gt_sweep_config *cfg, const gt_sweep_options *opt, gt_sweep_summary *summary,
                       gt_error *err) {
  memset(summary, 0, sizeof *summary);
  gt_sweep_worker *workers = calloc(GT_SWEEP_MAX_DEVICES, sizeof *workers);
  gt_sweep_device *devs = calloc(GT_SWEEP_MAX_DEVICES, sizeof *devs);
  gt_sweep_shared sh;
  memset(&sh, 0, sizeof sh);
  sh.cfg = cfg;
  sh.opt = opt;
  sh.summary = summary;
  sh.journal.fd = -1;
  sh.t_start = gt_sweep_seconds();
  cJSON *records = NULL;
  int n = 0;
  gt_status st = workers && devs ? GT_OK : gt_error_set(err, GT_ERR_MEMORY, "out of memory starting the sweep");
  if (!st) st = gt_sweep_devices_plan(cfg, devs, &n, summary->backend_why, sizeof summary->backend_why, err);
  if (!st) {
    snprintf(summary->backend, sizeof summary->backend, "%s", devs[0].kind);
    summary->n_workers = sh.n_workers = n;
    st = make_dir(cfg->output, err);
  }
  if (!st) st = gt_journal_open(cfg->output, cfg, opt->resume, opt->version, opt->git_commit, &sh.journal, &records, err);
  if (!st) st = gt_sweep_sched_init(&sh.sched, cfg, err);
  if (!st) {
    sh.records = records;
    count_jobs(cfg, records, summary);
    pthread_mutex_init(&sh.lock, NULL);
    pthread_mutex_init(&sh.create_lock, NULL);
    pthread_cond_init(&sh.changed, NULL);
    for (int i = 0; i < n; i++) {
      workers[i].sh = &sh;
      workers[i].index = i;
      workers[i].dev = devs[i];
      snprintf(workers[i].tag, sizeof workers[i].tag, "worker %d: %s", i + 1, devs[i].spec);
    }
    run_workers(&sh, workers, n);
    pthread_cond_destroy(&sh.changed);
    pthread_mutex_destroy(&sh.create_lock);
    pthread_mutex_destroy(&sh.lock);
    if (sh.failed) {
      if (err) *err = sh.err;
      st = sh.status;
    }
  }
  gt_sweep_sched_free(&sh.sched);
  gt_journal_close(&sh.journal);
  cJSON_Delete(records);
  free(workers);
  free(devs);
  if (!st && !summary->stopped) st = gt_sweep_write_outputs(cfg->output, NULL, err);
  return st;
}
