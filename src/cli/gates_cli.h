/* CI gates on the command line: the options `gauntlet run` and `gauntlet report` take for gates
 * and CI outputs, and applying them to a finished leaderboard (exit code 3 when a gate fails). */
#ifndef GAUNTLET_CLI_GATES_H
#define GAUNTLET_CLI_GATES_H

#include "cli/args.h"
#include "gauntlet/gates.h"

/* Exit code of a failed gate (0 ok, 1 bad input, 2 usage keep their meaning). */
#define GT_EXIT_GATE_FAILED 3

/* Entries for a command's option table. */
#define GT_CLI_GATE_OPTIONS                                                                                       \
  {"min-clean", "A", "gate: minimum clean accuracy of every entry (fraction, 0.8 = 80%)"},                       \
      {"min-robust", "A", "gate: minimum robust accuracy of every entry (fraction)"},                            \
      {"baseline", "FILE", "gate: a previous run's leaderboard.json (same models, points and suite)"},           \
      {"max-drop", "D", "gate: largest robust-accuracy drop against --baseline (fraction, 0.02 = 2 points)"},    \
      {"junit", "FILE", "write JUnit XML, one test case per (model, threat model, eps)"},                        \
      {"summary", "FILE", "write Markdown for a CI step summary: leaderboard tables and gate results"}

/* Adds the command-line gates to cfg, which may already hold a config's "gates" section:
 * --min-clean / --min-robust add a rule for every entry (the stricter of equally general rules
 * wins); --baseline and --max-drop replace the config's. Usage errors name the option. */
gt_status gt_cli_gates_from_args(const gt_cli_args *args, gt_gate_config *cfg, gt_error *err);

/* Reads cfg's baseline into *baseline (zeroed when cfg has none), before any work: a bad file
 * fails early. */
gt_status gt_cli_gates_load_baseline(const gt_gate_config *cfg, gt_leaderboard *baseline, gt_error *err);

/* Evaluates cfg on lb (against baseline when cfg has one), prints every failed gate on stderr
 * (model, threat model, eps, value, threshold) and writes --junit / --summary. Returns the exit
 * code: 0 when every gate passes, 3 when one fails, 1 or 2 after printing an error (a refused
 * baseline is 1). */
int gt_cli_gates_finish(const char *command, const gt_cli_args *args, const gt_gate_config *cfg,
                        const gt_leaderboard *baseline, const gt_leaderboard *lb);

#endif
