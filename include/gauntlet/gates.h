/* Robustness gates for CI pipelines: minimum clean and robust accuracy per model / threat model /
 * eps, and a maximum drop of robust accuracy against a previous run's leaderboard.json. A sweep
 * evaluates its gates on the finished leaderboard; the CLI turns a failed gate into exit code 3
 * and writes the outputs CI systems read (JUnit XML, a Markdown step summary).
 *
 * Accuracies, thresholds and drops are fractions in [0,1] (0.02 = two percentage points), like
 * the rest of the leaderboard data model (gauntlet/leaderboard.h). */
#ifndef GAUNTLET_GATES_H
#define GAUNTLET_GATES_H

#include <stdio.h>

#include "gauntlet/leaderboard.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_GATES_MAX_RULES 64

/* Minimum accuracies for the entries a rule selects. An empty model or threat model, or
 * has_eps = 0, selects every value of that field. When several rules select an entry, the most
 * specific one (most fields given) sets each minimum; among equally specific rules the stricter
 * minimum wins. */
typedef struct gt_gate_rule {
  char model[128];
  char threat_model[8];
  int has_eps;
  double eps;
  char eps_text[24];
  double min_clean;   /* NaN: no minimum */
  double min_robust;  /* NaN: no minimum */
} gt_gate_rule;

typedef struct gt_gate_config {
  int n_rules;
  gt_gate_rule rules[GT_GATES_MAX_RULES];
  double max_drop;         /* NaN: no baseline comparison */
  char baseline_path[512]; /* previous leaderboard.json; "" when none */
} gt_gate_config;

/* An empty configuration: no rules, no baseline. */
void gt_gate_config_init(gt_gate_config *cfg);
/* Appends a rule (copy); GT_ERR_LIMIT past GT_GATES_MAX_RULES, GT_ERR_USAGE for a threshold
 * outside [0,1]. */
gt_status gt_gate_config_add_rule(gt_gate_config *cfg, const gt_gate_rule *rule, gt_error *err);
/* A rule selecting every entry, both minimums NaN: the starting point for building one. */
void gt_gate_rule_init(gt_gate_rule *rule);

typedef enum gt_gate_kind {
  GT_GATE_MIN_CLEAN,   /* value: clean accuracy, threshold: the minimum */
  GT_GATE_MIN_ROBUST,  /* value: robust accuracy, threshold: the minimum */
  GT_GATE_MAX_DROP,    /* value: baseline robust accuracy minus this run's, threshold: the maximum */
  GT_GATE_KIND_COUNT
} gt_gate_kind;

typedef struct gt_gate_check {
  gt_gate_kind kind;
  double value;
  double threshold;
  double baseline;     /* GT_GATE_MAX_DROP: the baseline's robust accuracy; NaN otherwise */
  int passed;
} gt_gate_check;

/* The gates of one leaderboard entry: one (model, dataset, threat model, eps), one JUnit test case. */
typedef struct gt_gate_case {
  char model[128];
  char dataset[64];
  char threat_model[8];
  char eps_text[24];
  double eps;
  double clean_acc;
  double robust_acc;
  double seconds;
  int smoke;
  int n_checks;        /* 0: no gate selects this entry */
  gt_gate_check checks[GT_GATE_KIND_COUNT];
  int failed;          /* at least one check failed */
} gt_gate_case;

typedef struct gt_gate_report {
  int n_cases;
  gt_gate_case *cases;       /* in leaderboard order: tables, then entries */
  int n_checks;
  int n_failed;              /* failed checks */
  int n_without_baseline;    /* entries with no match in the baseline (max_drop not checked) */
  int smoke;
} gt_gate_report;

/* Evaluates cfg on lb. baseline may be NULL (then max_drop is not checked; it is a usage error
 * when cfg->max_drop is set). A baseline is matched entry by entry on (model name, dataset, threat
 * model, eps); it is refused rather than compared (GT_ERR_UNSUPPORTED, a message naming the first
 * mismatch) when a matched entry was computed on other points (points_sha256) or with another
 * suite, or when no entry matches at all. Entries without a match are counted in
 * n_without_baseline. */
gt_status gt_gates_evaluate(const gt_leaderboard *lb, const gt_gate_config *cfg, const gt_leaderboard *baseline,
                            gt_gate_report *out, gt_error *err);
void gt_gate_report_free(gt_gate_report *r);

/* "min_clean", "min_robust", "max_drop". */
const char *gt_gate_kind_name(gt_gate_kind kind);
/* One line for people: "model cnn on cifar10, Linf eps 8/255: robust accuracy 0.4100 < minimum
 * 0.5000 (FAILED)". */
void gt_gate_check_describe(const gt_gate_case *c, const gt_gate_check *chk, char *buf, size_t size);

/* JUnit XML: one <testcase> per entry, a <failure> carrying the numbers of every failed check,
 * <skipped> when no gate selects the entry. Every string is XML-escaped (invalid UTF-8 and
 * control characters become '?'). */
gt_status gt_gates_junit_write(FILE *f, const gt_gate_report *r, const char *title, gt_error *err);
/* Markdown for a CI step summary: a smoke banner when it applies, the leaderboard tables (as
 * leaderboard.md has them), then the gate results. */
gt_status gt_gates_summary_write(FILE *f, const gt_leaderboard *lb, const gt_gate_report *r, gt_error *err);

/* Reads a leaderboard.json written by the sweep (the baseline of a later run). Every key is
 * checked for its type and range; errors name the file and the key path. */
gt_status gt_leaderboard_read(const char *path, gt_leaderboard *lb, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
