/* Helpers for tests that run `gauntlet run` as a separate process: journals, leaderboards without
 * their wall times, runs started in the background to be signalled. */
#ifndef GAUNTLET_TEST_SWEEP_CLI_H
#define GAUNTLET_TEST_SWEEP_CLI_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

/* The file parsed as JSON (NULL when it cannot be read or parsed). */
cJSON *sweep_read_json(const char *path);
/* Lines ('\n') in a file; 0 when it cannot be read. */
int sweep_count_lines(const char *path);
/* Removes what differs between two runs of the same sweep: every "seconds" and "created_utc". */
void sweep_strip_times(cJSON *v);
/* A fresh (removed) path `name` under the tests' folder. */
void sweep_fresh_dir(const char *name, char *buf, size_t size);
/* DIR/leaderboard.json without its times, printed (malloc'ed; NULL when it cannot be read): two
 * runs of one sweep must give the same text byte for byte. */
char *sweep_leaderboard_text(const char *dir);

/* Starts `cli run config --out dir --quiet [extra...]` (extra: NULL-terminated, may be NULL) with
 * stderr to err_path; returns the pid. */
pid_t sweep_spawn(const char *cli, const char *config, const char *dir, const char *const *extra, const char *err_path);
/* Waits (up to 120 s) until the journal holds at least `lines` lines; 0 when the process ended first. */
int sweep_wait_for_lines(const char *journal, int lines, pid_t pid);

#endif
