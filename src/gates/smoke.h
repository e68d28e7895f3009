/* The smoke preset (`gauntlet run --preset smoke`): a fast suite for per-commit CI checks, as a
 * rewrite of the sweep config before it is parsed, so the preset is part of the config's
 * canonical text and hash, travels in the journal header, and every output built from the
 * journal (leaderboard.json, leaderboard.md, report.html, `gauntlet report`) knows it was a smoke
 * run. */
#ifndef GAUNTLET_GATES_SMOKE_H
#define GAUNTLET_GATES_SMOKE_H

#include <cjson/cJSON.h>

#include "gauntlet/leaderboard.h"
#include "gauntlet/status.h"

/* The smoke suite: APGD-CE with GT_SMOKE_APGD_STEPS steps (1 restart), then FGSM, on the first
 * GT_SMOKE_POINTS points of each dataset; the gradient-masking probes on at most that many points
 * and no doubled-iterations check. */
#define GT_SMOKE_POINTS 100
#define GT_SMOKE_APGD_STEPS 20

/* Rewrites config (the parsed JSON object of a sweep config) in place: "attacks" becomes the
 * smoke suite, every dataset's "n" is capped, "probes" are capped, and "preset": "smoke" is set.
 * GT_ERR_USAGE for an unknown preset name or a dataset given by an index file (the preset cannot
 * pick "the first points" of a hand-picked list: give n instead); GT_ERR_FORMAT when a rewritten
 * part has the wrong JSON type (the config parser would name it anyway). */
gt_status gt_smoke_preset_apply(cJSON *config, const char *preset, gt_error *err);

/* Marks a leaderboard entry of a smoke run: smoke = 1, unreliable = 1 and the flag smoke_preset
 * whose detail starts with "smoke preset" (the reason the leaderboard gives). */
void gt_smoke_mark_entry(gt_lb_entry *e);

#endif
