/* The sweep's progress display on stderr: a bar redrawn in place when stderr is a terminal, plain
 * periodic lines otherwise (CI logs). */
#ifndef GAUNTLET_CLI_PROGRESS_H
#define GAUNTLET_CLI_PROGRESS_H

#include "gauntlet/sweep.h"

typedef struct gt_cli_progress {
  int tty;
  int last_job;
  double last_line;      /* seconds since the sweep started, of the last plain line */
  int bar_drawn;
} gt_cli_progress;

void gt_cli_progress_init(gt_cli_progress *p);
/* gt_sweep_progress_fn; user is the gt_cli_progress. */
void gt_cli_progress_update(const gt_sweep_progress *s, void *user);
/* Ends the bar's line (before other messages). */
void gt_cli_progress_end(gt_cli_progress *p);

#endif
