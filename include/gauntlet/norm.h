/* The threat-model norms: which Lp ball an attack's perturbation x_adv - x must stay in.
 * A plain enum so that host code, backends and (later) CUDA kernels share it. */
#ifndef GAUNTLET_NORM_H
#define GAUNTLET_NORM_H

#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gt_norm {
  GT_NORM_LINF, /* max_i |d_i| */
  GT_NORM_L2,   /* sqrt(sum_i d_i^2) */
  GT_NORM_L1,   /* sum_i |d_i| */
  GT_NORM_COUNT
} gt_norm;

/* Bit of a norm in a capability mask (gt_attack.norms). */
#define GT_NORM_BIT(norm) (1u << (unsigned)(norm))

/* "Linf", "L2", "L1"; "?" for anything else. */
const char *gt_norm_name(gt_norm norm);

/* Accepts Linf / inf / linf, L2 / l2, L1 / l1; anything else is GT_ERR_USAGE listing the choices. */
gt_status gt_norm_parse(const char *text, gt_norm *out, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
