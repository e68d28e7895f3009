/* The sweep's progress display on stderr: a bar redrawn in place when stderr is a terminal, plain
 * lines otherwise (CI logs): one when a job starts and one every 10 s while an attack runs (a
 * ticker thread keeps the display alive inside long attacks, which report nothing themselves). */
#ifndef GAUNTLET_CLI_PROGRESS_H
#define GAUNTLET_CLI_PROGRESS_H

#include <pthread.h>

#include "gauntlet/sweep.h"

typedef struct gt_cli_progress {
  int tty;
  int last_job;
  double t0;              /* monotonic clock at start */
  double last_print;      /* monotonic clock of the last output */
  double last_update;     /* monotonic clock of the last sweep report */
  int bar_drawn;
  int have;               /* last holds a report */
  gt_sweep_progress last;
  pthread_mutex_t mutex;
  pthread_t ticker;
  int ticker_running;
  volatile int stop_ticker;
} gt_cli_progress;

/* Starts the ticker thread too; gt_cli_progress_end stops it. */
void gt_cli_progress_init(gt_cli_progress *p);
/* gt_sweep_progress_fn; user is the gt_cli_progress. */
void gt_cli_progress_update(const gt_sweep_progress *s, void *user);
/* Stops the ticker and ends the bar's line (before other messages). */
void gt_cli_progress_end(gt_cli_progress *p);

#endif
