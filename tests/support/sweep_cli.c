/* Helpers for tests that run `gauntlet run` (support/sweep_cli.h). */
#include "support/sweep_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gt_test.h"

cJSON *sweep_read_json(const char *path) {
  char *text = gt_test_read_file(path);
  cJSON *v = text ? cJSON_Parse(text) : NULL;
  free(text);
  return v;
}

int sweep_count_lines(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  int n = 0, c;
  while ((c = fgetc(f)) != EOF) n += c == '\n';
  fclose(f);
  return n;
}

void sweep_strip_times(cJSON *v) {
  cJSON_DeleteItemFromObjectCaseSensitive(v, "seconds");
  cJSON_DeleteItemFromObjectCaseSensitive(v, "created_utc");
  for (cJSON *c = v ? v->child : NULL; c; c = c->next)
    if (cJSON_IsObject(c) || cJSON_IsArray(c)) sweep_strip_times(c);
}

void sweep_fresh_dir(const char *name, char *buf, size_t size) {
  gt_test_tmp_path(name, buf, size);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", buf);
  if (system(cmd) != 0) GT_CHECK(0, "cannot clear %s", buf);
}

char *sweep_leaderboard_text(const char *dir) {
  char path[1200];
  snprintf(path, sizeof path, "%s/leaderboard.json", dir);
  cJSON *lb = sweep_read_json(path);
  if (!lb) return NULL;
  sweep_strip_times(lb);
  char *text = cJSON_Print(lb);
  cJSON_Delete(lb);
  return text;
}

pid_t sweep_spawn(const char *cli, const char *config, const char *dir, const char *const *extra, const char *err_path) {
  const char *argv[16] = {cli, "run", config, "--out", dir, "--quiet"};
  int n = 6;
  for (int i = 0; extra && extra[i] && n < 15; i++) argv[n++] = extra[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(err_path, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(126);
    execv(cli, (char *const *)argv);
    _exit(127);
  }
  return pid;
}

int sweep_wait_for_lines(const char *journal, int lines, pid_t pid) {
  for (int i = 0; i < 120000; i++) {
    if (sweep_count_lines(journal) >= lines) return 1;
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return 0;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  return 0;
}
