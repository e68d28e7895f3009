/* Gates and CI outputs for `gauntlet run` and `gauntlet report` (see gates_cli.h). */
#include "cli/gates_cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/sweep.h"

static gt_status get_fraction(const gt_cli_args *args, const char *name, double *out, gt_error *err) {
  const char *text = gt_cli_get(args, name);
  if (!text) return GT_OK;
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || end == text || *end)
    return gt_error_set(err, GT_ERR_USAGE, "--%s: '%s' is not a number", name, text);
  if (!(v >= 0.0 && v <= 1.0))
    return gt_error_set(err, GT_ERR_USAGE, "--%s: %s is not a fraction in [0,1] (write 0.85 for 85%%)", name, text);
  *out = v;
  return GT_OK;
}

gt_status gt_cli_gates_from_args(const gt_cli_args *args, gt_gate_config *cfg, gt_error *err) {
  gt_gate_rule everyone;
  gt_gate_rule_init(&everyone);
  gt_status st = get_fraction(args, "min-clean", &everyone.min_clean, err);
  if (st == GT_OK) st = get_fraction(args, "min-robust", &everyone.min_robust, err);
  if (st == GT_OK && (!isnan(everyone.min_clean) || !isnan(everyone.min_robust)))
    st = gt_gate_config_add_rule(cfg, &everyone, err);
  if (st != GT_OK) return st;
  const char *baseline = gt_cli_get(args, "baseline");
  if (baseline) {
    if (strlen(baseline) >= sizeof cfg->baseline_path)
      return gt_error_set(err, GT_ERR_USAGE, "--baseline: path too long");
    snprintf(cfg->baseline_path, sizeof cfg->baseline_path, "%s", baseline);
  }
  st = get_fraction(args, "max-drop", &cfg->max_drop, err);
  if (st != GT_OK) return st;
  if (!isnan(cfg->max_drop) != (cfg->baseline_path[0] != 0))
    return gt_error_set(err, GT_ERR_USAGE, "--baseline and --max-drop go together (give both or neither)");
  return GT_OK;
}

typedef gt_status (*render_fn)(FILE *f, const void *a, const void *b, gt_error *err);

static gt_status junit_render(FILE *f, const void *report, const void *title, gt_error *err) {
  return gt_gates_junit_write(f, report, title, err);
}

static gt_status summary_render(FILE *f, const void *lb, const void *report, gt_error *err) {
  return gt_gates_summary_write(f, lb, report, err);
}

/* Renders into memory, then writes the whole file through a temporary name and a rename. */
static gt_status write_rendered(const char *path, render_fn render, const void *a, const void *b, gt_error *err) {
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  if (!f) return gt_error_set(err, GT_ERR_MEMORY, "%s: cannot render in memory", path);
  gt_status st = render(f, a, b, err);
  if (fclose(f) != 0 && st == GT_OK) st = gt_error_set(err, GT_ERR_MEMORY, "%s: cannot render in memory", path);
  if (st == GT_OK) st = gt_file_write_atomic(path, text, size, err);
  else gt_error_prefix(err, "%s: ", path);
  free(text);
  return st;
}

static void print_results(const char *command, const gt_gate_report *r, const char *baseline) {
  char line[768];
  for (int i = 0; i < r->n_cases; i++)
    for (int k = 0; k < r->cases[i].n_checks; k++) {
      if (r->cases[i].checks[k].passed) continue;
      gt_gate_check_describe(&r->cases[i], &r->cases[i].checks[k], line, sizeof line);
      fprintf(stderr, "gauntlet %s: gate failed: %s\n", command, line);
    }
  if (r->n_without_baseline)
    fprintf(stderr, "gauntlet %s: warning: %d entr%s not in the baseline %s; their drop was not checked\n", command,
            r->n_without_baseline, r->n_without_baseline == 1 ? "y is" : "ies are", baseline);
  if (r->n_failed)
    fprintf(stderr, "gauntlet %s: %d of %d gates failed (exit code %d)\n", command, r->n_failed, r->n_checks,
            GT_EXIT_GATE_FAILED);
  else if (r->n_checks)
    fprintf(stderr, "gauntlet %s: all %d gates passed\n", command, r->n_checks);
  if (r->smoke)
    fprintf(stderr, "gauntlet %s: note: a smoke run (--preset smoke), not a full evaluation\n", command);
}

gt_status gt_cli_gates_load_baseline(const gt_gate_config *cfg, gt_leaderboard *baseline, gt_error *err) {
  memset(baseline, 0, sizeof(*baseline));
  if (!cfg->baseline_path[0]) return GT_OK;
  gt_status st = gt_leaderboard_read(cfg->baseline_path, baseline, err);
  if (st != GT_OK) gt_error_prefix(err, "baseline: ");
  return st;
}

int gt_cli_gates_finish(const char *command, const gt_cli_args *args, const gt_gate_config *cfg,
                        const gt_leaderboard *baseline, const gt_leaderboard *lb) {
  gt_error err = {0};
  gt_gate_report report;
  gt_status st = gt_gates_evaluate(lb, cfg, cfg->baseline_path[0] ? baseline : NULL, &report, &err);
  if (st != GT_OK) return gt_cli_fail(command, &err);
  const char *junit = gt_cli_get(args, "junit"), *summary = gt_cli_get(args, "summary");
  if (junit) st = write_rendered(junit, junit_render, &report, lb->title, &err);
  if (st == GT_OK && summary) st = write_rendered(summary, summary_render, lb, &report, &err);
  print_results(command, &report, cfg->baseline_path);
  int failed = report.n_failed > 0;
  gt_gate_report_free(&report);
  if (st != GT_OK) return gt_cli_fail(command, &err);
  return failed ? GT_EXIT_GATE_FAILED : 0;
}
