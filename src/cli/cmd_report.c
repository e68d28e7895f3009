/* `gauntlet report OUTDIR`: re-renders leaderboard.json, leaderboard.md and report.html from the
 * sweep journal alone, without attacking again. */
#include <stdio.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "gauntlet/report.h"
#include "gauntlet/sweep.h"

static const gt_cli_option report_options[] = {
    {"help", NULL, "show this help"},
};

int gt_cmd_report(int argc, char **argv) {
  gt_cli_args args;
  gt_error err = {0};
  if (gt_cli_parse(&args, report_options, 1, argc, argv, &err) != GT_OK) return gt_cli_fail("report", &err);
  if (gt_cli_flag(&args, "help")) {
    gt_cli_print_help("gauntlet report OUTDIR",
                      "Rebuilds leaderboard.json, leaderboard.md and report.html of a sweep from OUTDIR/results.jsonl.",
                      report_options, 1);
    return 0;
  }
  if (args.n_positional != 1) {
    gt_error_set(&err, GT_ERR_USAGE, "give exactly one sweep output folder (gauntlet report OUTDIR)");
    return gt_cli_fail("report", &err);
  }
  const char *outdir = args.positional[0];
  gt_leaderboard lb;
  gt_status st = gt_sweep_write_outputs(outdir, &lb, &err);
  if (st) return gt_cli_fail("report", &err);
  st = gt_report_html_write(&lb, outdir, &err);
  gt_leaderboard_free(&lb);
  if (st) return gt_cli_fail("report", &err);
  printf("leaderboard: %s/leaderboard.json\n             %s/leaderboard.md\nreport:      %s/report.html\n", outdir,
         outdir, outdir);
  return 0;
}
