/* Everything a sweep's readers open, rebuilt from the journal: leaderboard.json, leaderboard.md. */
#include <stdio.h>

#include "gauntlet/sweep.h"

gt_status gt_sweep_write_outputs(const char *outdir, gt_leaderboard *out, gt_error *err) {
  gt_leaderboard lb;
  gt_status st = gt_sweep_leaderboard_build(outdir, &lb, err);
  if (st) return st;
  char path[GT_SWEEP_PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/leaderboard.json", outdir);
  st = gt_leaderboard_json_write(&lb, path, err);
  snprintf(path, sizeof path, "%s/leaderboard.md", outdir);
  if (!st) st = gt_leaderboard_md_write(&lb, path, err);
  if (!st && out) *out = lb;
  else gt_leaderboard_free(&lb);
  return st;
}
