/* Markdown for a CI step summary ($GITHUB_STEP_SUMMARY, a GitLab job artifact): a smoke banner
 * when it applies, the leaderboard tables as leaderboard.md has them, then every gate result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gates/gates_internal.h"
#include "gauntlet/sweep.h"

/* Table cells: '|' would end the cell and a newline the row. */
static void md_cell(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '|') fputs("\\|", f);
    else if (*s == '\n' || *s == '\r') fputc(' ', f);
    else fputc(*s, f);
  }
}

static void gates_write(FILE *f, const gt_gate_report *r) {
  fputs("## Gates\n\n", f);
  if (r->n_checks == 0) {
    fputs("No gate was configured.\n", f);
    return;
  }
  if (r->n_failed) fprintf(f, "**FAILED: %d of %d gates.**\n\n", r->n_failed, r->n_checks);
  else fprintf(f, "**Passed: all %d gates.**\n\n", r->n_checks);
  fputs("| Model | Dataset | Threat model | Eps | Gate | Value | Threshold | Result |\n"
        "|---|---|---|---|---|---:|---:|---|\n",
        f);
  for (int i = 0; i < r->n_cases; i++) {
    const gt_gate_case *c = &r->cases[i];
    for (int k = 0; k < c->n_checks; k++) {
      const gt_gate_check *chk = &c->checks[k];
      fputs("| ", f);
      md_cell(f, c->model);
      fputs(" | ", f);
      md_cell(f, c->dataset);
      fputs(" | ", f);
      md_cell(f, c->threat_model);
      fputs(" | ", f);
      md_cell(f, c->eps_text);
      fprintf(f, " | %s | %.2f%% | %.2f%% | %s |\n", gt_gate_kind_name(chk->kind), 100.0 * chk->value,
              100.0 * chk->threshold, chk->passed ? "pass" : "**FAIL**");
    }
  }
  if (r->n_without_baseline)
    fprintf(f, "\n%d entr%s had no match in the baseline; their drop was not checked.\n", r->n_without_baseline,
            r->n_without_baseline == 1 ? "y" : "ies");
}

/* The gates first (what a CI reader looks for), then leaderboard.md's text below its title, one
 * heading level down. */
gt_status gt_gates_summary_write(FILE *f, const gt_leaderboard *lb, const gt_gate_report *r, gt_error *err) {
  char *md = NULL;
  size_t len = 0;
  gt_status st = gt_leaderboard_md_text(lb, &md, &len, err);
  if (st != GT_OK) return st;
  fprintf(f, "# %s\n\n", lb->title[0] ? lb->title : "Gauntlet robustness check");
  if (lb->smoke || r->smoke)
    fputs("> **Smoke run** (`--preset smoke`): a short attack on few points for per-commit checks. "
          "Not a full evaluation: robust accuracies are upper bounds.\n\n",
          f);
  gates_write(f, r);
  fputs("\n## Leaderboard\n", f);
  const char *start = strchr(md, '\n'); /* leaderboard.md's title line repeats ours */
  for (const char *line = start ? start : md; *line;) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) + 1 : strlen(line);
    if (line[0] == '#') fputc('#', f);
    fwrite(line, 1, n, f);
    line += n;
  }
  free(md);
  if (fflush(f) != 0 || ferror(f)) return gt_error_set(err, GT_ERR_IO, "could not write the step summary");
  return GT_OK;
}
