/* The sweep's task list, shared by the workers (docs/SWEEP.md "Several devices"). Two kinds of
 * task, in a fixed order: per (model, dataset) its clean pass, then per threat model its chain of
 * eps jobs. A chain runs on one worker, eps ascending, because each eps carries the points broken
 * at the smaller ones; it becomes ready once the clean pass of its (model, dataset) is done, whose
 * per-point clean state it reads from here. Callers hold the sweep's lock around every call but
 * init and free. */
#ifndef GT_SWEEP_SCHED_H
#define GT_SWEEP_SCHED_H

#include <stdint.h>

#include "gauntlet/sweep.h"

typedef enum { GT_TASK_CLEAN, GT_TASK_CHAIN } gt_sweep_task_kind;
typedef enum { GT_TASK_PENDING, GT_TASK_RUNNING, GT_TASK_DONE } gt_sweep_task_state;

typedef struct gt_sweep_task {
  gt_sweep_task_kind kind;
  int model, dataset, threat;     /* threat: chains only */
  gt_sweep_task_state state;
} gt_sweep_task;

/* The clean pass of one (model, dataset), once done: which points the model gets right. */
typedef struct gt_sweep_clean {
  int done;
  int64_t n;
  uint8_t *correct;               /* [n] */
} gt_sweep_clean;

typedef struct gt_sweep_sched {
  gt_sweep_task *tasks;
  int n_tasks;
  gt_sweep_clean *clean;          /* [n_pairs = models * datasets], model-major */
  int n_pairs, n_datasets;
} gt_sweep_sched;

#define GT_SCHED_NONE (-1)        /* nothing left to start */
#define GT_SCHED_WAIT (-2)        /* tasks left, none ready: wait until a clean pass is done */

gt_status gt_sweep_sched_init(gt_sweep_sched *s, const gt_sweep_config *cfg, gt_error *err);
void gt_sweep_sched_free(gt_sweep_sched *s);

/* The next task for a worker whose open (model, dataset) is (model, dataset) (-1, -1: none),
 * marked running: the first ready pending task of that pair, else the first ready pending task
 * (so a worker keeps its model loaded while its pair has work). GT_SCHED_WAIT or GT_SCHED_NONE. */
int gt_sweep_sched_take(gt_sweep_sched *s, int model, int dataset);

/* 1 when some task has not started. */
int gt_sweep_sched_pending(const gt_sweep_sched *s);

/* The clean state of (model, dataset); NULL until its clean pass is done. */
const gt_sweep_clean *gt_sweep_sched_clean(const gt_sweep_sched *s, int model, int dataset);

/* Publishes a finished clean pass (copies correct[n]). */
gt_status gt_sweep_sched_clean_done(gt_sweep_sched *s, int model, int dataset, const uint8_t *correct, int64_t n,
                                    gt_error *err);

/* The 1-based number of a job in the sweep's fixed order, as the progress display shows it:
 * per (model, dataset) its clean pass (threat -1), then each threat model's eps. */
int gt_sweep_job_number(const gt_sweep_config *cfg, int model, int dataset, int threat, int eps);

#endif
