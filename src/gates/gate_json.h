/* The "gates" section of a sweep config (JSON), parsed into a gt_gate_config. The sweep's config
 * parser hands the section over; the section is not part of the config hash, so changing a gate
 * never blocks `--resume` (gates judge results, they do not change them). */
#ifndef GAUNTLET_GATE_JSON_H
#define GAUNTLET_GATE_JSON_H

#include <cjson/cJSON.h>

#include "gauntlet/gates.h"
#include "sweep/json_get.h"

/* section: the value of the "gates" key; p: its key path for messages; base_dir resolves a
 * relative "baseline" path ("" or NULL: as written). Unknown keys, wrong types and values outside
 * [0,1] are errors naming the key path (GT_ERR_FORMAT, like every config error). Keys:
 *   min_clean, min_robust   fractions for every entry
 *   max_drop                fraction; needs baseline
 *   baseline                a previous run's leaderboard.json
 *   rules                   [{model, threat_model, eps, min_clean, min_robust}], each field optional */
gt_status gt_gate_config_parse_json(const cJSON *section, const gt_jpath *p, const char *base_dir,
                                    gt_gate_config *cfg, gt_error *err);

#endif
