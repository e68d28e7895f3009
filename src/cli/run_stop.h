/* Stopping `gauntlet run` on SIGINT/SIGTERM: the first signal asks the sweep to stop before its next
 * attack (it then journals nothing more and returns); if an attack is still running after a grace
 * period, a watchdog thread prints the resume message and exits at once (the journal is safe: every
 * record is one write, a torn tail is ignored). A second signal kills at once. */
#ifndef GAUNTLET_CLI_RUN_STOP_H
#define GAUNTLET_CLI_RUN_STOP_H

#include <signal.h>

#define GT_CLI_STOP_GRACE_SECONDS 10.0

/* resume_cmd: the command line that resumes this sweep (copied). Returns the flag the sweep polls. */
volatile sig_atomic_t *gt_cli_stop_install(const char *resume_cmd, const char *journal);
/* The sweep returned: the watchdog stands down (no-op when it already exited the process). */
void gt_cli_stop_finish(void);
/* The signal that stopped the run ("SIGINT", "SIGTERM"), and its number (0 when none). */
const char *gt_cli_stop_name(void);
int gt_cli_stop_signal(void);

#endif
