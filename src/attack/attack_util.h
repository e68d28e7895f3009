/* Internal helpers for attack implementations (attacks/<family>.c): device buffers sized for the
 * oracle's max batch, constant per-row arrays, and the defaults several attacks share. */
#ifndef GAUNTLET_ATTACK_UTIL_H
#define GAUNTLET_ATTACK_UTIL_H

#include <stdint.h>

#include "gauntlet/attack.h"
#include "gauntlet/oracle.h"

/* Default fraction of coordinates an L1 step moves (gt_attack_config.l1_sparsity). */
#define GT_ATTACK_L1_SPARSITY 0.05f

/* Device buffer of count elements of elem_bytes on the oracle's backend (*out NULL on failure). */
gt_status gt_attack_alloc(gt_oracle *o, int64_t count, size_t elem_bytes, void **out, gt_error *err);
void gt_attack_free(gt_oracle *o, void *ptr);

/* Device arrays [max batch] filled with one value (per-row step sizes, radii, L1 k, decays). */
gt_status gt_attack_const_f32(gt_oracle *o, float value, float **out, gt_error *err);
gt_status gt_attack_const_i32(gt_oracle *o, int32_t value, int32_t **out, gt_error *err);

/* Coordinates per sparse L1 step: ceil(sparsity * d), within 1..d. */
int32_t gt_attack_l1_k(float sparsity, int64_t d);

/* Checks l1_sparsity (0 -> GT_ATTACK_L1_SPARSITY; else in (0, 1]). */
gt_status gt_attack_resolve_l1(const char *attack, gt_attack_config *cfg, gt_error *err);

/* Rejects restarts > 1 for an attack without randomness (every restart would repeat the first). */
gt_status gt_attack_refuse_restarts(const char *attack, const gt_attack_config *cfg, gt_error *err);

#endif
