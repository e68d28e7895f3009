/* The sweep's host workers, one per device (docs/SWEEP.md "Several devices"): what they share
 * under one lock (task list, journal, counters, progress display, the first error) and what
 * each owns (its backend, created in its own thread since the CUDA current device is per host
 * thread, and its open model and dataset). run.c starts them; worker.c is the loop that takes
 * tasks; clean.c and chain.c do the work of a task on the pair pair.c opens. */
#ifndef GT_SWEEP_WORKER_H
#define GT_SWEEP_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "gauntlet/model.h"
#include "gauntlet/sweep.h"
#include "sweep/devices.h"
#include "sweep/journal.h"
#include "sweep/sched.h"

typedef struct gt_sweep_shared {
  const gt_sweep_config *cfg;
  const gt_sweep_options *opt;
  const cJSON *records;           /* the journal's records when the run started: read-only */
  pthread_mutex_t create_lock;    /* backends are created one at a time */
  pthread_mutex_t lock;           /* guards everything below */
  pthread_cond_t changed;         /* a task finished, a worker failed */
  gt_journal journal;
  gt_sweep_sched sched;
  gt_sweep_summary *summary;
  int n_workers;
  double t_start;
  int failed;                     /* a worker failed: no task starts any more */
  gt_status status;               /* the first failure */
  gt_error err;
} gt_sweep_shared;

/* A (model, dataset) loaded on a worker's backend. */
typedef struct gt_sweep_pair {
  int mi, di;                     /* model and dataset indices; -1 when none is open */
  gt_graph *graph;
  gt_dataset *data;
  gt_model *model;
  char model_sha256[65], points_sha256[65];
  int64_t d;
  gt_attack_points pts;
  int64_t *ids;
  uint8_t *clean_correct;         /* [n] */
} gt_sweep_pair;

typedef struct gt_sweep_worker {
  gt_sweep_shared *sh;
  int index;                      /* 0-based, in the order of the devices */
  gt_sweep_device dev;
  gt_backend *backend;
  gt_sweep_pair pair;
  gt_sweep_progress progress;     /* the fields of the job in flight */
  char label[64];                 /* "recheck apgd-ce" while the display may show it */
  char tag[48];                   /* "worker 2: cuda:1", for the display */
  pthread_t thread;
  int started;
} gt_sweep_worker;

/* worker.c */
void *gt_sweep_worker_main(void *worker);
double gt_sweep_seconds(void);
int gt_sweep_stop_requested(const gt_sweep_shared *sh);
/* Marks the sweep stopped (a job was dropped or not started because of a stop request). */
void gt_sweep_mark_stopped(gt_sweep_shared *sh);
/* Sends the worker's job in flight to the progress display, under the lock. */
void gt_sweep_report(gt_sweep_worker *w, const char *attack, int64_t points_left);
/* Journals a finished record (fsync'ed) and counts it done, under the lock; takes rec. */
gt_status gt_sweep_journal_add(gt_sweep_worker *w, cJSON *rec, gt_error *err);
/* Says text (printf-style) through the options' notice callback, under the lock. */
void gt_sweep_notice(gt_sweep_worker *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* pair.c: opens (model mi, dataset di) on the worker's backend, closing the pair open before. */
gt_status gt_sweep_pair_open(gt_sweep_worker *w, int mi, int di, gt_error *err);
void gt_sweep_pair_close(gt_sweep_pair *p);
/* After GT_ERR_MEMORY in `what` ("model cnn, Linf eps 8/255"): the pair's model again with half
 * its batch, said through the notice callback (gt_model_halve_batch); GT_ERR_MEMORY back when the
 * batch is already 1. The model's batch sizes the attacks' buffers too. */
gt_status gt_sweep_halve_batch(gt_sweep_worker *w, const char *what, gt_error *err);
/* The record fields naming the open pair. */
void gt_sweep_add_ids(cJSON *rec, const gt_sweep_worker *w);
/* A journaled record must describe the same model file and points as the open pair. */
gt_status gt_sweep_check_same_inputs(const cJSON *rec, const gt_sweep_worker *w, gt_error *err);

/* clean.c: the clean pass of the open pair (or its journaled record); publishes the clean state. */
gt_status gt_sweep_clean_task(gt_sweep_worker *w, gt_error *err);
/* chain.c: the eps jobs of threat model ti on the open pair, ascending (journaled ones replayed). */
gt_status gt_sweep_chain_task(gt_sweep_worker *w, int ti, gt_error *err);
/* examples.c: the examples of a chain's last eps into OUT/examples, described in rec. */
gt_status gt_sweep_save_examples(const gt_sweep_worker *w, int ti, const uint8_t *fresh, const int32_t *adv_pred,
                                 const float *x_adv, cJSON *rec, gt_error *err);

#endif
