/* The sweep's progress display on stderr: a bar redrawn in place when stderr is a terminal, plain
 * lines otherwise (CI logs): one when a job starts and one every 10 s while an attack runs (a
 * ticker thread keeps the display alive inside long attacks, which report nothing themselves).
 * With several workers each report names its worker's device, and the bar counts finished jobs. */
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
  gt_sweep_progress last; /* its strings point at the copies below: a worker may reuse its own */
  char model[128], dataset[64], threat[16], eps_text[24], attack[64], worker[32];
  pthread_mutex_t mutex;
  pthread_t ticker;
  int ticker_running;
  volatile int stop_ticker;
} gt_cli_progress;

/* Starts the ticker thread too; gt_cli_progress_end stops it. */
void gt_cli_progress_init(gt_cli_progress *p);
/* gt_sweep_progress_fn; user is the gt_cli_progress. */
void gt_cli_progress_update(const gt_sweep_progress *s, void *user);
/* gt_sweep_options.notice: a line of its own ("gauntlet run: TEXT"), the bar drawn again after it;
 * user is the gt_cli_progress, or NULL without a display. */
void gt_cli_progress_notice(const char *text, void *user);
/* Stops the ticker and ends the bar's line (before other messages). */
void gt_cli_progress_end(gt_cli_progress *p);

#endif
