/* `gauntlet run SWEEP.json`: models x datasets x threat models x eps under an attack suite, with a
 * journal that survives interruptions (--resume) and the leaderboard at the end (docs/SWEEP.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/gates_cli.h"
#include "cli/progress.h"
#include "cli/run_stop.h"
#include "gauntlet/cuda.h"
#include "gauntlet/report.h"
#include "gauntlet/sweep.h"

static const gt_cli_option run_options[] = {
    {"resume", NULL, "continue the sweep journaled in the output folder (same config only)"},
    {"out", "DIR", "output folder (default: the config's \"output\")"},
    {"devices", "LIST", "one worker per device, e.g. cuda:0,cuda:1 or cpu,cpu (replaces the config's devices and backend)"},
    {"quiet", NULL, "no progress display"},
    {"preset", "NAME", "smoke: a fast per-commit suite (APGD-CE 20 steps + FGSM, first 100 points; docs/CI.md)"},
    GT_CLI_GATE_OPTIONS,
    {"help", NULL, "show this help"},
};
#define N_RUN_OPTIONS ((int)(sizeof run_options / sizeof run_options[0]))

/* Writes report.html next to the leaderboard files; lb keeps the leaderboard for the gates. */
static int write_html(const char *outdir, gt_leaderboard *lb, gt_error *err) {
  gt_status st = gt_sweep_leaderboard_build(outdir, lb, err);
  if (!st) st = gt_report_html_write(lb, outdir, err);
  return st;
}

int gt_cmd_run(int argc, char **argv) {
  gt_cli_args args;
  gt_error err = {0};
  if (gt_cli_parse(&args, run_options, N_RUN_OPTIONS, argc, argv, &err) != GT_OK) return gt_cli_fail("run", &err);
  if (gt_cli_flag(&args, "help")) {
    gt_cli_print_help("gauntlet run SWEEP.json [--resume] [--out DIR] [--devices LIST] [--preset smoke] [gates] "
                      "[--junit FILE] [--summary FILE]",
                      "Runs a sweep (models x datasets x threat models x eps) and writes leaderboard.json, "
                      "leaderboard.md and report.html. Ctrl-C stops cleanly; --resume continues. Exit code 3: a gate "
                      "failed (docs/CI.md).",
                      run_options, N_RUN_OPTIONS);
    return 0;
  }
  if (args.n_positional != 1) {
    gt_error_set(&err, GT_ERR_USAGE, "give exactly one sweep config (gauntlet run SWEEP.json)");
    return gt_cli_fail("run", &err);
  }
  const char *config_path = args.positional[0];
  gt_sweep_config *cfg = calloc(1, sizeof *cfg);
  if (!cfg) {
    gt_error_set(&err, GT_ERR_MEMORY, "out of memory");
    return gt_cli_fail("run", &err);
  }
  gt_leaderboard lb = {0}, baseline = {0};
  const char *preset = gt_cli_get(&args, "preset");
  gt_status st = GT_OK;
  if (preset && strlen(preset) >= sizeof cfg->preset)
    st = gt_error_set(&err, GT_ERR_USAGE, "--preset: unknown preset '%s' (the presets: smoke)", preset);
  if (!st && preset) snprintf(cfg->preset, sizeof cfg->preset, "%s", preset);
  if (!st) st = gt_sweep_config_load(config_path, cfg, &err);
  if (!st && gt_cli_get(&args, "out")) snprintf(cfg->output, sizeof cfg->output, "%s", gt_cli_get(&args, "out"));
  if (!st && gt_cli_get(&args, "devices")) st = gt_sweep_devices_set(cfg, gt_cli_get(&args, "devices"), &err);
  if (!st) st = gt_cli_gates_from_args(&args, &cfg->gates, &err);
  if (!st) st = gt_sweep_config_validate(cfg, &err);
  if (!st) st = gt_cli_gates_load_baseline(&cfg->gates, &baseline, &err);
  if (st) {
    free(cfg);
    return gt_cli_fail("run", &err);
  }
  gt_cli_progress progress;
  int show = !gt_cli_flag(&args, "quiet");
  char resume_cmd[3000], journal[1100];
  /* the preset is part of the config hash: resuming needs it again; the devices, to run the same way */
  const char *out = gt_cli_get(&args, "out"), *devices = gt_cli_get(&args, "devices");
  snprintf(resume_cmd, sizeof resume_cmd, "gauntlet run %s --resume%s%s%s%s%s%s", config_path,
           preset ? " --preset " : "", preset ? preset : "", out ? " --out " : "", out ? out : "",
           devices ? " --devices " : "", devices ? devices : "");
  snprintf(journal, sizeof journal, "%s/results.jsonl", cfg->output);
  gt_sweep_options opt = {.resume = gt_cli_flag(&args, "resume"), .version = GT_VERSION, .git_commit = GT_GIT_COMMIT};
  opt.notice = gt_cli_progress_notice;
  if (show) {
    gt_cli_progress_init(&progress);
    opt.progress = gt_cli_progress_update, opt.progress_user = &progress;
  }
  opt.stop = gt_cli_stop_install(resume_cmd, journal);
  if (cfg->n_devices > 0) {
    fprintf(stderr, "gauntlet run: %d worker%s on", cfg->n_devices, cfg->n_devices > 1 ? "s" : "");
    for (int i = 0; i < cfg->n_devices; i++) fprintf(stderr, "%s %s", i ? "," : "", cfg->devices[i]);
    fprintf(stderr, "\n");
  } else if (!strcmp(cfg->backend, "auto")) {
    /* Said before the work starts; the sweep makes the same choice (gt_sweep_summary.backend). */
    char why[192];
    const char *chosen = gt_backend_auto_choice(why, sizeof why);
    fprintf(stderr, "gauntlet run: backend auto: using %s (%s)\n", chosen, why);
  }
  gt_sweep_summary sum;
  st = gt_sweep_run(cfg, &opt, &sum, &err);
  gt_cli_stop_finish();
  if (show) gt_cli_progress_end(&progress);
  int rc = 0;
  if (st) {
    rc = gt_cli_fail("run", &err);
  } else if (sum.stopped) {
    fprintf(stderr,
            "gauntlet run: stopped by %s after %d of %d jobs (%d finished now, %d from the journal); every finished "
            "job is in %s.\nResume with: %s\n",
            gt_cli_stop_name(), sum.n_done + sum.n_skipped, sum.n_jobs, sum.n_done, sum.n_skipped, journal, resume_cmd);
    rc = 128 + gt_cli_stop_signal();
  } else if ((st = write_html(cfg->output, &lb, &err))) {
    rc = gt_cli_fail("run", &err);
  } else {
    printf("sweep done: %d jobs (%d run now, %d from the journal)\n", sum.n_jobs, sum.n_done, sum.n_skipped);
    printf("leaderboard: %s/leaderboard.json\n             %s/leaderboard.md\nreport:      %s/report.html\n",
           cfg->output, cfg->output, cfg->output);
    rc = gt_cli_gates_finish("run", &args, &cfg->gates, &baseline, &lb);
  }
  gt_leaderboard_free(&lb);
  gt_leaderboard_free(&baseline);
  free(cfg);
  return rc;
}
