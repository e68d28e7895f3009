/* Attacks: what one is (a descriptor with capabilities and three functions), how to configure it,
 * and how to run it over a set of points and get per-sample results.
 *
 * Layers (docs/ATTACKS.md tells the whole story):
 *  - gt_attack_run / gt_attack_run_oracle (src/attack/run.c), the RUN LOOP: uploads the points in
 *    batches, evaluates them clean, picks target classes, and for every target rank and restart
 *    gathers the points that are still robust into a compact batch, calls the attack's run() on it,
 *    and scatters the points it broke back. At the end it re-evaluates every returned x_adv
 *    (a claimed success that the model does not confirm is dropped and counted), and measures
 *    perturbation norms.
 *  - an attack's run() (attacks/<family>.c) sees one compact batch (gt_attack_batch) and the oracle
 *    (gauntlet/oracle.h), computes with the backend's vector ops (gauntlet/vecops.h), and reports
 *    per row: success, x_adv, passes spent. Iterative attacks use the working set
 *    (gauntlet/workset.h) to drop rows as soon as they break.
 *
 * Semantics every attack keeps:
 *  - Inputs are in [0,1]; x_adv stays in [0,1] and, for bounded attacks, within eps of x in the
 *    configured norm.
 *  - A row counts as broken as soon as ANY iterate the attack evaluated is misclassified (or, with
 *    require_target_hit, classified as its target); x_adv is then that iterate.
 *  - Randomness comes only from the counter-based RNG (gauntlet/hd/rng.h) keyed by (seed, stream,
 *    ORIGINAL sample index, restart, step), so a point's result does not depend on batch size,
 *    compaction, thread count or backend. */
#ifndef GAUNTLET_ATTACK_H
#define GAUNTLET_ATTACK_H

#include <stdint.h>

#include "gauntlet/data.h"
#include "gauntlet/loss.h"
#include "gauntlet/model.h"
#include "gauntlet/norm.h"
#include "gauntlet/oracle.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How target classes are chosen for targeted attacks (from the CLEAN logits of each point). */
typedef enum gt_target_mode {
  GT_TARGET_NONE,         /* untargeted */
  GT_TARGET_GIVEN,        /* the caller's class per point (gt_attack_points.targets) */
  GT_TARGET_RANDOM,       /* uniform over the classes other than the label, from the RNG (stream TARGET) */
  GT_TARGET_LEAST_LIKELY, /* the class with the lowest clean logit */
  GT_TARGET_TOP           /* the 2nd, 3rd, ... (n_target_ranks + 1)-th highest clean logits, one run per
                             rank (APGD-T / FAB-T; AutoAttack uses 9 ranks) */
} gt_target_mode;

/* "none", "given", "random", "least-likely", "top". */
const char *gt_target_mode_name(gt_target_mode mode);
gt_status gt_target_mode_parse(const char *text, gt_target_mode *out, gt_error *err);

/* What an attack needs from the model. */
typedef enum gt_attack_access {
  GT_ACCESS_GRADIENT, /* white-box: loss gradients */
  GT_ACCESS_SCORES,   /* score-based black-box: logits only */
  GT_ACCESS_DECISION  /* decision-based black-box: the predicted class only */
} gt_attack_access;

/* What an attack looks for. */
typedef enum gt_attack_goal {
  GT_GOAL_BOUNDED, /* any misclassified point within eps */
  GT_GOAL_MIN_NORM /* the smallest perturbation it can find (eps, if set, is a cap or a starting radius) */
} gt_attack_goal;

/* Configuration. gt_attack_config_init sets every field to "default"; an attack's resolve() then
 * replaces defaults with its own values, and gt_attack_result.config reports what ran. */
typedef struct gt_attack_config {
  gt_norm norm;              /* threat model; default Linf */
  float eps;                 /* radius in that norm, >= 0 and finite for bounded attacks */
  int steps;                 /* iterations; 0: the attack's default */
  int restarts;              /* runs per point (per target rank), each from the clean point; 0: 1 */
  float step_size;           /* in units of the norm; 0: the attack's default */
  uint64_t seed;             /* keys the RNG; default 0 */
  int64_t batch;             /* points per batch; 0 (or above the model's max batch): the model's max */
  gt_target_mode targeted;   /* default GT_TARGET_NONE */
  int n_target_ranks;        /* GT_TARGET_TOP: ranks to try; 0: 9; capped at classes - 1 */
  int require_target_hit;    /* targeted modes: 1 = broken only when classified as the target; 0
                                (default) = broken when misclassified (robust accuracy, AutoAttack's rule) */
  int eot;                   /* passes averaged per gradient (oracle EOT); 0: 1 */
  gt_loss_kind loss;         /* loss to ascend; default CE. With a targeted mode an untargeted kind is
                                replaced by its targeted twin (CE -> CE_TARGETED, DLR -> DLR_TARGETED,
                                CW -> CW_TARGETED) */
  int random_start;          /* -1: the attack's default; 0: start at x; 1: random start */
  float decay;               /* MI-FGSM momentum decay mu; default 1.0 */
  float l1_sparsity;         /* L1 steps: fraction of coordinates moved per step (k = ceil(f d));
                                0: the attack's default */
} gt_attack_config;

void gt_attack_config_init(gt_attack_config *cfg);

/* One compact batch handed to an attack's run(). Device pointers are backend memory of the
 * oracle's backend; HOST arrays are plain memory. */
typedef struct gt_attack_batch {
  int64_t n;                 /* rows, 1..oracle max batch */
  int64_t d;                 /* elements per row */
  const float *x;            /* [n, d] clean points (never written) */
  const int32_t *labels;     /* [n] true classes */
  const int32_t *targets;    /* [n] target classes for the loss; NULL when untargeted */
  const int32_t *hit;        /* [n] what success means, for vec->success: NULL = misclassified, else
                                classified as hit[i] (== targets when require_target_hit) */
  const int64_t *sample_ids; /* [n] ORIGINAL dataset indices, for the RNG */
  uint32_t restart;          /* RNG restart counter: target_rank * restarts + restart */
  float *x_adv;              /* [n, d] out: for broken rows the adversarial point; other rows: any
                                point of the attack (the run loop ignores them) */
  int32_t *success;          /* HOST [n] out, zeroed by the caller: 1 where x_adv breaks the row */
  int64_t *forward;          /* HOST [n], zeroed: the attack ADDS the forward passes spent on each row */
  int64_t *backward;         /* HOST [n], zeroed: likewise backward passes */
} gt_attack_batch;

/* An attack. State is whatever create() allocates (device buffers for the oracle's max batch);
 * run() may be called many times on one state (batches, restarts, target ranks). */
typedef struct gt_attack {
  const char *name;          /* registry key: "pgd" */
  const char *summary;       /* one line for `gauntlet attacks` */
  unsigned norms;            /* GT_NORM_BIT(GT_NORM_LINF) | ... */
  gt_attack_access access;
  gt_attack_goal goal;
  int targeted;              /* 1: accepts targeted modes */
  gt_target_mode default_target; /* the mode used when the caller asks for none: GT_TARGET_NONE for most;
                                    GT_TARGET_TOP for apgd-t and fab-t (AutoAttack's targeted members) */
  /* Replaces the defaults of the fields it reads by its own values and checks them (the run loop
   * has already checked norm, eps, restarts, batch, targets, loss and eot). */
  gt_status (*resolve)(gt_attack_config *cfg, gt_error *err);
  gt_status (*create)(const gt_attack_config *cfg, gt_oracle *oracle, void **state, gt_error *err);
  gt_status (*run)(void *state, gt_oracle *oracle, gt_attack_batch *batch, gt_error *err);
  void (*destroy)(void *state);
} gt_attack;

/* The registry (src/attack/registry.c). */
int gt_attack_count(void);
const gt_attack *gt_attack_get(int index);          /* 0 <= index < gt_attack_count() */
const gt_attack *gt_attack_find(const char *name);  /* NULL when unknown */

/* The points to attack, in host memory. */
typedef struct gt_attack_points {
  int64_t n;
  const float *x;            /* [n, d] in [0,1], d = the model's input size */
  const int32_t *labels;     /* [n] */
  const int64_t *ids;        /* [n] original dataset indices (keys of the RNG); NULL: 0..n-1 */
  const int32_t *targets;    /* [n] GT_TARGET_GIVEN only: target classes (!= label) */
} gt_attack_points;

/* Per-point results (arrays [n], allocated by the run, freed by gt_attack_result_free). */
typedef struct gt_attack_result {
  gt_attack_config config;   /* as run, defaults resolved */
  const char *attack;        /* the attack's name */
  int64_t n;
  int32_t *clean_pred;       /* prediction on x */
  int32_t *clean_correct;    /* clean_pred == label */
  int32_t *success;          /* 1: clean-correct point broken, confirmed by re-evaluation */
  int32_t *adv_pred;         /* prediction on the returned x_adv (== clean_pred where not broken) */
  int32_t *target;           /* target class of the run that broke the point; -1 otherwise */
  float *norm;               /* ||x_adv - x|| in config.norm; 0 where not broken */
  int64_t *forward;          /* passes the attack spent on the point (clean and confirming passes excluded) */
  int64_t *backward;
  int64_t n_clean_correct;
  int64_t n_robust;          /* clean-correct and not broken */
  int64_t n_unconfirmed;     /* successes claimed by the attack that re-evaluation did not confirm */
  int64_t n_nonfinite;       /* returned points holding NaN or inf */
  int64_t n_over_eps;        /* bounded attacks: broken points beyond eps (a bug if ever > 0) */
  float max_norm;            /* over broken points */
  gt_oracle_counts total;    /* every pass of the run, clean and confirming passes included */
} gt_attack_result;

void gt_attack_result_free(gt_attack_result *res);

/* Runs the named attack on the points with a model (creates an oracle with cfg->eot).
 * x_adv: HOST [n, d] or NULL; receives x_adv for broken points and x elsewhere. */
gt_status gt_attack_run(const char *name, const gt_attack_config *cfg, gt_model *model,
                        const gt_attack_points *pts, float *x_adv, gt_attack_result *res, gt_error *err);

/* The same on a whole dataset (ids 0..n-1 of the dataset as given, e.g. after take_first). */
gt_status gt_attack_run_dataset(const char *name, const gt_attack_config *cfg, gt_model *model,
                                const gt_dataset *ds, float *x_adv, gt_attack_result *res, gt_error *err);

/* The run loop on an existing oracle (ensembles share one, so its counts add up); cfg->eot must
 * equal the oracle's. */
gt_status gt_attack_run_oracle(const gt_attack *attack, const gt_attack_config *cfg, gt_oracle *oracle,
                               const gt_attack_points *pts, float *x_adv, gt_attack_result *res, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
