/* The CI keys of a sweep config, called by the sweep's config parser (src/sweep/config.c):
 * "preset" (the smoke preset, a rewrite of the config before it is parsed) and "gates". */
#ifndef GAUNTLET_GATES_SWEEP_CI_H
#define GAUNTLET_GATES_SWEEP_CI_H

#include <cjson/cJSON.h>

#include "gauntlet/sweep.h"
#include "sweep/json_get.h"

/* Before the config's keys are read: applies the preset that cfg->preset (the caller's --preset)
 * or the config's own "preset" key names, rewriting root in place. */
gt_status gt_sweep_ci_prepare(cJSON *root, const gt_sweep_config *cfg, gt_error *err);

/* After the other keys: cfg->smoke and suite "smoke" from "preset", cfg->gates from "gates"
 * (a relative baseline path resolves against base). */
gt_status gt_sweep_ci_parse(const cJSON *root, const gt_jpath *top, const char *base, gt_sweep_config *cfg,
                            gt_error *err);

#endif
