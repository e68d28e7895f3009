/* Internal to the backends: the shape rules of the layout ops (conv, linear, pooling, reshape,
 * transpose, concat, pad), checked on the host from tensor shapes and node params only, so the cpu
 * and cuda backends accept and refuse the same calls and derive the same geometry (op_layout.c).
 * `backend` names the backend in messages. Every check starts with gt_op_check_call. */
#ifndef GAUNTLET_BACKENDS_OP_LAYOUT_H
#define GAUNTLET_BACKENDS_OP_LAYOUT_H

#include <stdint.h>

#include "backends/op_check.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Conv: x [N, C, H, W], W [M, Cg, kh, kw], optional b [M] -> y [N, M, OH, OW]. */
typedef struct gt_op_conv_geom {
  int64_t n, c, h, w;    /* x */
  int64_t m, cg, kh, kw; /* weights; cg = C / groups */
  int64_t oh, ow;        /* y */
  int64_t groups, mg;    /* mg = M / groups output channels per group */
  int64_t kc, ohw;       /* rows (cg*kh*kw) and columns (OH*OW) of one group's column matrix */
  int64_t sh, sw, dh, dw, pt, pl;
  int pointwise; /* 1x1, unit strides, no padding: the column matrix is x itself */
} gt_op_conv_geom;

/* Checks the call and fills g; kc, ohw and mg fit in an int (sgemm dims) and kc*ohw in the
 * element cap. With `shapes_only`, skips gt_op_check_call (for scratch sizing before data exists). */
gt_status gt_op_conv_geom_of(const char *backend, const gt_op_call *call, int shapes_only, gt_op_conv_geom *g,
                             gt_error *err);

/* Linear: x [R.., K], W [M, K], optional b [M] -> y [R.., M]; rows = numel(x) / K. All fit an int. */
gt_status gt_op_linear_geom_of(const char *backend, const gt_op_call *call, int64_t *rows, int64_t *k, int64_t *m,
                               gt_error *err);

/* MaxPool / AveragePool: x [N, C, H, W] -> y [N, C, OH, OW]; OH, OW between the floor and ceil
 * forms of the output formula (the importer resolved ceil_mode). */
typedef struct gt_op_pool_geom {
  int64_t n, c, h, w, oh, ow;
  int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  int count_include_pad;
} gt_op_pool_geom;

gt_status gt_op_pool_geom_of(const char *backend, const gt_op_call *call, gt_op_pool_geom *g, gt_error *err);

/* Reshape: same element count (a folded shape input may remain: 1..2 inputs). */
gt_status gt_op_reshape_check(const char *backend, const gt_op_call *call, gt_error *err);

/* Transpose: perm is a permutation and y.shape[d] == x.shape[perm[d]]. */
gt_status gt_op_transpose_check(const char *backend, const gt_op_call *call, gt_error *err);

/* Concat along node->p.concat.axis; outer = product of the dims before it, inner after it. */
gt_status gt_op_concat_check(const char *backend, const gt_op_call *call, int64_t *outer, int64_t *inner,
                             gt_error *err);

/* Pad: y.shape[d] == x.shape[d] + begin[d] + end[d], known mode, no edge/reflect of an empty dim. */
gt_status gt_op_pad_check(const char *backend, const gt_op_call *call, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
