/* `gauntlet report OUTDIR`: re-renders leaderboard.json, leaderboard.md and report.html from the
 * sweep journal alone, without attacking again. */
#include <stdio.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/gates_cli.h"
#include "gauntlet/report.h"
#include "gauntlet/sweep.h"

static const gt_cli_option report_options[] = {
    GT_CLI_GATE_OPTIONS,
    {"help", NULL, "show this help"},
};
#define N_REPORT_OPTIONS ((int)(sizeof report_options / sizeof report_options[0]))

int gt_cmd_report(int argc, char **argv) {
  gt_cli_args args;
  gt_error err = {0};
  if (gt_cli_parse(&args, report_options, N_REPORT_OPTIONS, argc, argv, &err) != GT_OK) return gt_cli_fail("report", &err);
  if (gt_cli_flag(&args, "help")) {
    gt_cli_print_help("gauntlet report OUTDIR [gates] [--junit FILE] [--summary FILE]",
                      "Rebuilds leaderboard.json, leaderboard.md and report.html of a sweep from OUTDIR/results.jsonl, "
                      "and checks gates on it without attacking again. Exit code 3: a gate failed (docs/CI.md).",
                      report_options, N_REPORT_OPTIONS);
    return 0;
  }
  if (args.n_positional != 1) {
    gt_error_set(&err, GT_ERR_USAGE, "give exactly one sweep output folder (gauntlet report OUTDIR)");
    return gt_cli_fail("report", &err);
  }
  const char *outdir = args.positional[0];
  gt_gate_config gates;
  gt_gate_config_init(&gates);
  gt_leaderboard lb, baseline;
  gt_status st = gt_cli_gates_from_args(&args, &gates, &err);
  if (!st) st = gt_cli_gates_load_baseline(&gates, &baseline, &err);
  if (st) return gt_cli_fail("report", &err);
  st = gt_sweep_write_outputs(outdir, &lb, &err);
  if (st) {
    gt_leaderboard_free(&baseline);
    return gt_cli_fail("report", &err);
  }
  int rc = 0;
  st = gt_report_html_write(&lb, outdir, &err);
  if (st) {
    rc = gt_cli_fail("report", &err);
  } else {
    printf("leaderboard: %s/leaderboard.json\n             %s/leaderboard.md\nreport:      %s/report.html\n", outdir,
           outdir, outdir);
    rc = gt_cli_gates_finish("report", &args, &gates, &baseline, &lb);
  }
  gt_leaderboard_free(&lb);
  gt_leaderboard_free(&baseline);
  return rc;
}
