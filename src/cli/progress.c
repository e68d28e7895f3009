/* Sweep progress on stderr (cli/progress.h). */
#include "cli/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PLAIN_PERIOD_SECONDS 10.0
#define BAR_PERIOD_SECONDS 1.0

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void format_time(double s, char *out, size_t size) {
  if (s < 0) snprintf(out, size, "?");
  else if (s < 60) snprintf(out, size, "%.0fs", s);
  else if (s < 3600) snprintf(out, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else snprintf(out, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

/* Prints the last report with the clock brought up to date; the caller holds the mutex. */
static void draw(gt_cli_progress *p) {
  const gt_sweep_progress *s = &p->last;
  double t = now(), since = t - p->last_update;
  char eta[32], elapsed[32], left[48] = "";
  /* the estimate counts jobs; once a long job has used it up, say so rather than show 0s */
  format_time(s->eta_seconds < 0 || since > s->eta_seconds ? -1 : s->eta_seconds - since, eta, sizeof eta);
  format_time(t - p->t0, elapsed, sizeof elapsed);
  if (s->points_left >= 0) snprintf(left, sizeof left, ", %lld points left", (long long)s->points_left);
  char worker[48] = "";
  if (s->worker) snprintf(worker, sizeof worker, " [%s]", s->worker);
  if (p->tty) {
    const int width = 24;
    int filled = s->n_jobs > 0 ? width * s->jobs_finished / s->n_jobs : 0;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r\033[K[%s] job %d/%d%s %s on %s%s%s%s%s: %s%s, %s, ETA %s", bar, s->job, s->n_jobs, worker,
            s->model, s->dataset, *s->threat ? " " : "", s->threat, *s->eps_text ? " " : "", s->eps_text, s->attack, left,
            elapsed, eta);
    p->bar_drawn = 1;
  } else {
    fprintf(stderr, "gauntlet run: job %d/%d%s: %s on %s%s%s%s%s: %s%s (elapsed %s, ETA %s)\n", s->job, s->n_jobs,
            worker, s->model, s->dataset, *s->threat ? " " : "", s->threat, *s->eps_text ? " " : "", s->eps_text,
            s->attack, left, elapsed, eta);
  }
  fflush(stderr);
  p->last_print = t;
}

static void *ticker(void *arg) {
  gt_cli_progress *p = arg;
  double period = p->tty ? BAR_PERIOD_SECONDS : PLAIN_PERIOD_SECONDS;
  while (!p->stop_ticker) {
    struct timespec ts = {0, 200000000};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&p->mutex);
    if (p->have && !p->stop_ticker && now() - p->last_print >= period) draw(p);
    pthread_mutex_unlock(&p->mutex);
  }
  return NULL;
}

void gt_cli_progress_init(gt_cli_progress *p) {
  memset(p, 0, sizeof *p);
  p->tty = isatty(fileno(stderr));
  p->last_job = -1;
  p->t0 = now();
  pthread_mutex_init(&p->mutex, NULL);
  p->ticker_running = pthread_create(&p->ticker, NULL, ticker, p) == 0;
}

void gt_cli_progress_update(const gt_sweep_progress *s, void *user) {
  gt_cli_progress *p = user;
  pthread_mutex_lock(&p->mutex);
  p->last = *s;
  snprintf(p->model, sizeof p->model, "%s", s->model ? s->model : "");
  snprintf(p->dataset, sizeof p->dataset, "%s", s->dataset ? s->dataset : "");
  snprintf(p->threat, sizeof p->threat, "%s", s->threat ? s->threat : "");
  snprintf(p->eps_text, sizeof p->eps_text, "%s", s->eps_text ? s->eps_text : "");
  snprintf(p->attack, sizeof p->attack, "%s", s->attack ? s->attack : "");
  snprintf(p->worker, sizeof p->worker, "%s", s->worker ? s->worker : "");
  p->last.model = p->model, p->last.dataset = p->dataset, p->last.threat = p->threat;
  p->last.eps_text = p->eps_text, p->last.attack = p->attack, p->last.worker = s->worker ? p->worker : NULL;
  p->have = 1;
  p->last_update = now();
  /* a terminal redraws on every report; a log gets a line per job and then every period */
  if (p->tty || s->job != p->last_job || p->last_update - p->last_print >= PLAIN_PERIOD_SECONDS) draw(p);
  p->last_job = s->job;
  pthread_mutex_unlock(&p->mutex);
}

void gt_cli_progress_notice(const char *text, void *user) {
  gt_cli_progress *p = user;
  if (!p) {
    fprintf(stderr, "gauntlet run: %s\n", text);
    return;
  }
  pthread_mutex_lock(&p->mutex);
  if (p->tty && p->bar_drawn) fputs("\r\033[K", stderr);
  fprintf(stderr, "gauntlet run: %s\n", text);
  if (p->tty && p->have) draw(p);
  fflush(stderr);
  pthread_mutex_unlock(&p->mutex);
}

void gt_cli_progress_end(gt_cli_progress *p) {
  if (p->ticker_running) {
    p->stop_ticker = 1;
    pthread_join(p->ticker, NULL);
    p->ticker_running = 0;
  }
  if (p->tty && p->bar_drawn) fputc('\n', stderr);
  p->bar_drawn = 0;
  pthread_mutex_destroy(&p->mutex);
}
