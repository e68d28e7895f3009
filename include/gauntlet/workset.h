/* The working set of an iterative attack: the rows of one gt_attack_batch that are still being
 * attacked, with their per-row device state, compacted together as rows break.
 *
 * Why: a row counts as broken at its first misclassified iterate, so it needs no more passes.
 * Dropping it at once keeps every later forward/backward pass on still-robust rows only (against a
 * non-robust model most rows break in the first steps). Rows are gathered, never reordered: active
 * row i is batch row pos[i], with pos increasing.
 *
 * Typical use inside an attack's run() (see attacks/pgd.c):
 *
 *   gt_workset_begin(ws, batch)                  x0 = x = batch->x, every row active
 *   [gt_workset_random_start(ws, ...)]
 *   loop:
 *     oracle loss/grad on ws->x (ws->n rows)      into columns registered with gt_workset_add_column
 *     gt_workset_charge(ws, fwd, bwd)             passes spent by every active row
 *     gt_workset_check(ws, logits)                ws->flags_host[i] = row i is broken
 *     gt_workset_retire(ws, ws->flags_host, ws->x)  broken rows -> batch->x_adv, success; compact
 *     if (ws->n == 0) break; step on the remaining rows
 *   gt_workset_end(ws)                           remaining rows' x -> batch->x_adv (success 0)
 *
 * Columns: x0, x, labels, targets, ids are built in; an attack registers its own per-row device
 * state (gradients, momentum, best points, per-row step sizes) with gt_workset_add_column, and
 * must then read the column pointer again after every retire (compaction swaps buffers).
 * Buffers hold cap = the oracle's max batch rows; nothing is allocated after creation. */
#ifndef GAUNTLET_WORKSET_H
#define GAUNTLET_WORKSET_H

#include <stddef.h>
#include <stdint.h>

#include "gauntlet/attack.h"
#include "gauntlet/oracle.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_WORKSET_MAX_COLUMNS 24

/* Random starting points (RNG stream GT_RNG_STREAM_START, step 0, the batch's restart counter). */
typedef enum gt_start_kind {
  GT_START_BOX,   /* Linf: x0 + eps * U[-1,1)^d, uniform in the ball (Madry et al.'s PGD) */
  GT_START_SPHERE /* x0 + eps * t / ||t|| with t ~ U[-1,1)^d for Linf, N(0, I) for L2 and L1 (AutoAttack) */
} gt_start_kind;

typedef struct gt_workset_column {
  void **ptr;       /* where the attack keeps the current pointer */
  void *spare;      /* the other buffer of the pair */
  size_t row_bytes;
} gt_workset_column;

typedef struct gt_workset {
  /* Read freely; change only through the functions below. Device pointers unless HOST. */
  int64_t n;          /* active rows */
  int64_t cap, d;
  int k;              /* classes */
  float *x0;          /* [cap, d] clean points of the active rows */
  float *x;           /* [cap, d] current iterates */
  int32_t *labels;    /* [cap] */
  int32_t *targets;   /* [cap], NULL when the batch is untargeted */
  int32_t *hit;       /* NULL (success = misclassified) or == targets (success = target reached) */
  int64_t *ids;       /* [cap] original dataset indices */
  int32_t *pos;       /* HOST [cap]: batch row of active row i */
  float *ones;        /* [cap] 1.0f: a coefficient for axpby */
  float *coef;        /* [cap] scratch per-row coefficients (upload from coef_host) */
  float *coef_host;   /* HOST [cap] */
  int32_t *flags;     /* [cap] scratch int32 */
  int32_t *flags_host;/* HOST [cap]: gt_workset_check's answer */
  /* private */
  gt_backend *be;
  const gt_vec_iface *vec;
  gt_attack_batch *batch;
  int32_t *targets_buf;
  gt_workset_column cols[GT_WORKSET_MAX_COLUMNS];
  int n_cols, n_owned;  /* cols[0 .. n_owned) are the built-in ones */
  int32_t *idx_dev, *idx2_dev, *idx_host, *idx2_host;
  float *tmp;         /* [cap, d] */
} gt_workset;

gt_status gt_workset_create(gt_oracle *oracle, gt_workset **out, gt_error *err);
void gt_workset_free(gt_workset *ws);

/* Allocates a device column of cap rows of row_bytes bytes (and its spare), stores its pointer in
 * *col, and compacts it with the others from then on. Call before gt_workset_begin. */
gt_status gt_workset_add_column(gt_workset *ws, void **col, size_t row_bytes, gt_error *err);

/* Starts on a batch: every row active, x0 = x = batch->x, labels / targets / ids copied. */
gt_status gt_workset_begin(gt_workset *ws, gt_attack_batch *batch, gt_error *err);

/* ws->x = P(x0 + random start) for the active rows (projection onto the eps-ball and the box).
 * scratch: [cap, d] device floats the call may overwrite (e.g. a gradient column). */
gt_status gt_workset_random_start(gt_workset *ws, gt_start_kind kind, gt_norm norm, float eps, uint64_t seed,
                                  float *scratch, gt_error *err);

/* Adds passes to every active row's counters in the batch. */
void gt_workset_charge(gt_workset *ws, int64_t forward, int64_t backward);

/* flags_host[i] = 1 when logits row i ([n, k], device) is a success for active row i. */
gt_status gt_workset_check(gt_workset *ws, const float *logits, gt_error *err);

/* Rows i with done_host[i] != 0 are finished as broken: row i of x_src ([n, d] device, in active
 * order) goes to batch->x_adv, batch->success is set, and the rows leave the working set (every
 * column is compacted; ws->n shrinks). done_host may be ws->flags_host. */
gt_status gt_workset_retire(gt_workset *ws, const int32_t *done_host, const float *x_src, gt_error *err);

/* Ends the batch: the remaining rows' x goes to batch->x_adv (they stay unbroken); ws->n = 0. */
gt_status gt_workset_end(gt_workset *ws, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
