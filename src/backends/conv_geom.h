/* Internal to the backends: the geometry of a Conv call (sizes of x, W and y, strides, padding),
 * checked once with the shape rules every backend applies. */
#ifndef GAUNTLET_BACKENDS_CONV_GEOM_H
#define GAUNTLET_BACKENDS_CONV_GEOM_H

#include <stdint.h>

#include "gauntlet/backend.h"

typedef struct gt_conv_geom {
  int64_t n, c, h, w;    /* x */
  int64_t m, cg, kh, kw; /* weights */
  int64_t oh, ow;        /* y */
  int64_t groups, mg;    /* mg = M / groups output channels per group */
  int64_t sh, sw, dh, dw, pt, pl;
} gt_conv_geom;

/* Checks the call (x [N,C,H,W], W [M,C/groups,kh,kw], optional b [M], y [N,M,OH,OW] with the
 * ONNX output-size formula) and fills g; messages name `backend`. */
gt_status gt_conv_geom_check(const char *backend, const gt_op_call *call, gt_conv_geom *g, gt_error *err);

#endif
