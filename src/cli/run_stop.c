/* SIGINT/SIGTERM handling for `gauntlet run` (cli/run_stop.h). */
#include "cli/run_stop.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;
static char g_resume[2048], g_journal[1100];
static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_t g_watchdog;
static int g_watchdog_running, g_finished;

/* Only async-signal-safe calls here: a flag and write(2). */
static void on_signal(int sig) {
  static const char msg[] = "\ngauntlet run: stopping after the current attack (the job in flight is dropped; "
                            "the journal keeps every finished job). Signal again to stop at once.\n";
  g_stop = sig;
  ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)w;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *gt_cli_stop_name(void) { return g_stop == SIGINT ? "SIGINT" : "SIGTERM"; }
int gt_cli_stop_signal(void) { return (int)g_stop; }

static void *watchdog(void *arg) {
  (void)arg;
  double since = -1;
  for (;;) {
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&g_mutex);
    if (g_finished) {
      pthread_mutex_unlock(&g_mutex);
      return NULL;
    }
    if (g_stop && since < 0) since = now();
    if (since >= 0 && now() - since >= GT_CLI_STOP_GRACE_SECONDS) {
      /* holding the mutex: the main thread cannot print a second message meanwhile */
      fprintf(stderr,
              "gauntlet run: stopped by %s in the middle of an attack; the job in flight is dropped, every finished job "
              "is in %s.\nResume with: %s\n",
              gt_cli_stop_name(), g_journal, g_resume);
      fflush(stderr);
      _exit(128 + (int)g_stop);
    }
    pthread_mutex_unlock(&g_mutex);
  }
}

volatile sig_atomic_t *gt_cli_stop_install(const char *resume_cmd, const char *journal) {
  snprintf(g_resume, sizeof g_resume, "%s", resume_cmd);
  snprintf(g_journal, sizeof g_journal, "%s", journal);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND; /* a second signal kills at once */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  g_watchdog_running = pthread_create(&g_watchdog, NULL, watchdog, NULL) == 0;
  return &g_stop;
}

void gt_cli_stop_finish(void) {
  pthread_mutex_lock(&g_mutex);
  g_finished = 1;
  pthread_mutex_unlock(&g_mutex);
  if (g_watchdog_running) pthread_join(g_watchdog, NULL);
  g_watchdog_running = 0;
}
