/* Internal to FAB (attacks/fab*.c): the state one run of fab / fab-t keeps, and the pieces the
 * files share. fab.c holds the descriptors and the restart loop, fab_step.c one iteration (the
 * linearised boundary, the projections, the biased step, the backward move) and the random start,
 * fab_search.c the final search on the segment between the clean point and the best adversarial.
 *
 * Shapes: cap = the oracle's max batch, d = input size, k = classes, m = differences per Jacobian
 * call (untargeted). Device buffers unless marked HOST. Host arrays "by batch row" are indexed by
 * ws->pos[i] (they survive the working set's compaction); the others by active row i. */
#ifndef GAUNTLET_ATTACKS_FAB_H
#define GAUNTLET_ATTACKS_FAB_H

#include <stdint.h>

#include "gauntlet/attack.h"
#include "gauntlet/workset.h"

#define FAB_DEFAULT_STEPS 100
#define FAB_ALPHA_MAX 0.1f   /* cap of the bias towards the clean point's projection */
#define FAB_ETA 1.05f        /* overshoot of the projections */
#define FAB_BETA 0.9f        /* backward move of adversarial iterates towards the clean point */
#define FAB_SEARCH_STEPS 3   /* final search (the original FAB code's three steps) */
#define FAB_START_SCALE 0.5f /* random starts at half the radius, as the reference */
#define FAB_DIST_GUARD 1e-12 /* |f_k| / (||grad_k||_q + guard), the reference's choice of class */
#define FAB_NORM_FLOOR 1e-8f /* floor of the projection norms in alpha = a1 / (a1 + a2) */
#define FAB_SEARCH_GUARD 1e-10f
/* The final search accepts a point only when its margin (max_{j != y} z_j - z_y; with a target
 * to hit, z_t - max_{j != t} z_j) is at least this times 1 + max |z_j|, and aims at twice that:
 * a point exactly on the boundary could flip when the run loop re-evaluates it in another batch
 * (sgemm rounding depends on the batch size on the cpu backend). */
#define FAB_SEARCH_MARGIN 1e-5f
/* Cap on the floats of one Jacobian call's buffer (m * cap * d): 256 MB; more classes than fit
 * are linearised in several calls (one forward pass each). */
#define FAB_JACOBIAN_MAX_FLOATS ((int64_t)1 << 26)

typedef struct fab_state {
  gt_attack_config cfg;
  gt_oracle *o;
  gt_workset *ws;
  int64_t cap, d;
  int k, m;
  int targeted;        /* cfg.targeted != NONE: the boundary of the target class only */
  int bounded;         /* eps > 0 and finite: success needs ||x_adv - x|| <= eps */
  float start_radius;  /* random starts: FAB_START_SCALE * min(start_radius, best norm) */
  float *best;         /* workset column [cap, d]: the smallest-norm adversarial point found */
  float *w, *z1, *z2, *z3; /* [cap, d] scratch: boundary normal, projections, search points */
  float *jac;          /* [m, cap, d] gradients of z_c - z_y (untargeted only) */
  float *diff, *dual;  /* [m, cap] z_c - z_y and dual norms of its gradients */
  int32_t *cls;        /* [m, cap] classes of the differences */
  float *logits;       /* [cap, k] */
  float *f;            /* [cap] plane offsets */
  float *ca, *cb;      /* [cap] per-row coefficients for axpby */
  float *one_minus_eta, *eta, *box; /* [cap] constants 1 - eta, eta, +inf */
  int32_t *mask, *idx, *idx2, *tgt_f; /* [cap] */
  /* HOST */
  float *diff_h, *dual_h;          /* [m * cap] */
  int32_t *cls_h;                  /* [m * cap] */
  float *best_dist_h, *f_h, *a1_h, *a2_h, *ca_h, *cb_h, *nrm_h; /* [cap] */
  int32_t *mask_h, *done_h, *idx_h, *idx2_h, *flag_h, *la2_h; /* [cap] */
  float *y1_h, *y2_h, *y3_h;       /* [cap, k] logits of the final search */
  int32_t *labels_h;               /* [cap] by batch row */
  int32_t *hit_h;                  /* [cap] final search: the class each row must hit, -1: any */
  float *best_norm_h;              /* [cap] by batch row: norm of `best`, +inf while none */
  int64_t *batch_forward;          /* HOST: the current batch's forward counters (by batch row) */
} fab_state;

/* The threat model's dual norm, in which boundary distances |f| / ||grad||_q are measured. */
gt_norm gt_fab_dual_norm(gt_norm norm);

/* x = the start of restart j: the clean point, or a random point at FAB_START_SCALE *
 * min(start_radius, best norm) from it (RNG stream START, restart counter `restart`), in the box. */
gt_status gt_fab_start(fab_state *s, int random, uint32_t restart, gt_error *err);

/* One FAB iteration on the active rows: linearise, project, step, evaluate, keep the best
 * adversarial, retire rows broken within eps (bounded runs), move adversarial iterates back. */
gt_status gt_fab_step(fab_state *s, gt_error *err);

/* The final search on the rows that have an adversarial point: FAB_SEARCH_STEPS steps on the
 * segment from the clean point to `best`, keeping `best` adversarial; updates best and its norm. */
gt_status gt_fab_final_search(fab_state *s, gt_error *err);

/* Copies of n elements of elem bytes between the host and the oracle's backend. */
gt_status gt_fab_upload(fab_state *s, void *dst, const void *src, int64_t n, size_t elem, gt_error *err);
gt_status gt_fab_download(fab_state *s, void *dst, const void *src, int64_t n, size_t elem, gt_error *err);

#endif
