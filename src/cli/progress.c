/* Sweep progress on stderr (cli/progress.h). */
#include "cli/progress.h"

#include <stdio.h>
#include <unistd.h>

#define PLAIN_PERIOD_SECONDS 10.0

void gt_cli_progress_init(gt_cli_progress *p) {
  p->tty = isatty(fileno(stderr));
  p->last_job = -1;
  p->last_line = -1e9;
  p->bar_drawn = 0;
}

static void format_time(double s, char *out, size_t size) {
  if (s < 0) snprintf(out, size, "?");
  else if (s < 60) snprintf(out, size, "%.0fs", s);
  else if (s < 3600) snprintf(out, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else snprintf(out, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

void gt_cli_progress_update(const gt_sweep_progress *s, void *user) {
  gt_cli_progress *p = user;
  char eta[32], elapsed[32], left[48] = "";
  format_time(s->eta_seconds, eta, sizeof eta);
  format_time(s->elapsed_seconds, elapsed, sizeof elapsed);
  if (s->points_left >= 0) snprintf(left, sizeof left, ", %lld points left", (long long)s->points_left);
  if (p->tty) {
    const int width = 24;
    int filled = s->n_jobs > 0 ? width * (s->job - 1) / s->n_jobs : 0;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r\033[K[%s] job %d/%d %s %s %s %s: %s%s, ETA %s", bar, s->job, s->n_jobs, s->model, s->dataset,
            s->threat, s->eps_text, s->attack, left, eta);
    p->bar_drawn = 1;
  } else if (s->job != p->last_job || s->elapsed_seconds - p->last_line >= PLAIN_PERIOD_SECONDS) {
    fprintf(stderr, "gauntlet run: job %d/%d: %s on %s %s %s: %s%s (elapsed %s, ETA %s)\n", s->job, s->n_jobs, s->model,
            s->dataset, s->threat, s->eps_text, s->attack, left, elapsed, eta);
    p->last_line = s->elapsed_seconds;
  }
  p->last_job = s->job;
  fflush(stderr);
}

void gt_cli_progress_end(gt_cli_progress *p) {
  if (p->tty && p->bar_drawn) fputc('\n', stderr);
  p->bar_drawn = 0;
}
