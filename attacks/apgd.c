/* APGD, Auto-PGD (Croce & Hein, ICML 2020): AutoAttack's parameter-free PGD, as three attacks.
 *   apgd-ce   cross-entropy loss
 *   apgd-dlr  DLR loss (needs >= 3 classes)
 *   apgd-t    targeted DLR loss (needs >= 4 classes) towards the run loop's targets; without a
 *             target mode it runs AutoAttack's APGD-T: GT_TARGET_TOP over the 2nd..10th highest
 *             clean logits (9 ranks)
 *
 * Linf, L2 (one run, N iterations, x_0 the start):
 *   x_0     = x + eps t / ||t|| clipped to [0,1] (t uniform in [-1,1]^d for Linf, Gaussian for L2:
 *             GT_START_SPHERE), or x without a random start
 *   z       = P(x_k + alpha_k dir(grad f(x_k)))                      dir, P: gauntlet/hd/project.h
 *   x_{k+1} = P(x_k + a (z - x_k) + (1 - a)(x_k - x_{k-1}))          a = 0.75; a = 1 for k = 0
 * (both in one vector op, momentum_step: gauntlet/hd/momentum.h)
 * with alpha_0 = 2 eps, halved (and x_k, grad reset to the best point seen) at the checkpoints of
 * apgd_schedule.h. The best-loss point x_best (with its gradient) is what restarts use; success is
 * tracked apart: a row is finished, with x_adv = that iterate, at its first misclassified one
 * (x_0 included), and leaves the working set.
 *
 * L1 (Croce & Hein 2021, AutoAttack's standard L1 version): no momentum; sparse steps along the k
 * largest gradient coordinates that can still move (gt_dir_row), k starting from the sparsity of
 * the start and adapted with the step size every few iterations (apgd_schedule.h); the exact
 * projection onto the L1 ball and the box; three stages at radii 3 eps, 2 eps, eps. Only the last
 * stage's iterates (within eps) can finish a row. The random start is the projection of
 * x + N(0, I) onto the 3 eps ball and the box.
 *
 * Device state per active row (working-set columns, compacted as rows finish): x, x0, grad, x_best,
 * grad_best [d]; loss_best, alpha [1]; Linf/L2: x_prev [d], loss_prev, best_last, rises, reduced
 * [1]; L1: l1_k, l0_old [1]. Per iteration one gradient query and a few vector ops; the host sees
 * the working set's success flags, and [n] values (rises, best losses, step sizes, L0 sizes) at
 * checkpoints only. The last iterate of a run (of a stage for L1) needs only its loss and logits:
 * a forward pass. Cost per point and run: N + 1 forward and N backward passes (L1: N + 3 and N).
 *
 * Randomness: the start only, from (seed, START stream, sample id, rank * restarts + restart). */
#include <math.h>
#include <stdlib.h>

#include "apgd_schedule.h"
#include "attack/attack_list.h"
#include "attack/attack_util.h"
#include "gauntlet/workset.h"

/* AutoAttack's APGD-T: the 2nd..10th highest clean logits. */

typedef struct apgd_state {
  gt_attack_config cfg;
  gt_oracle *o;
  gt_backend *be;
  const gt_vec_iface *v;
  gt_workset *ws;
  int64_t cap, d;
  int l1;
  uint32_t restart; /* RNG restart counter of the batch being run */
  /* working-set columns */
  float *grad, *grad_best, *x_best, *x_prev; /* [cap, d] */
  float *loss_best, *loss_prev, *best_last, *alpha, *l0_old;
  int32_t *rises, *reduced, *l1_k;
  /* plain device buffers */
  float *z;                     /* [cap, d] scratch for the random starts */
  float *loss, *l0, *eps;       /* [cap] */
  float *logits;                /* [cap, k] */
  int32_t *mask;                /* [cap] */
  /* host */
  int *checkpoints;             /* [steps] */
  int n_checkpoints;
  float *h_best, *h_last, *h_alpha, *h_l0, *h_l0_old; /* [cap] */
  int32_t *h_rises, *h_reduced, *h_mask, *h_k;        /* [cap] */
} apgd_state;

/* ---- configuration ---- */

typedef enum apgd_variant { APGD_CE, APGD_DLR, APGD_T } apgd_variant;

static const char *variant_name(apgd_variant v) {
  return v == APGD_CE ? "apgd-ce" : (v == APGD_DLR ? "apgd-dlr" : "apgd-t");
}

/* Each variant ascends one loss (its targeted twin in targeted modes). The default CE counts as
 * "not chosen"; another loss is refused rather than silently replaced. */
static gt_status resolve_loss(apgd_variant var, gt_attack_config *cfg, gt_error *err) {
  const char *name = variant_name(var);
  int targeted = cfg->targeted != GT_TARGET_NONE;
  gt_loss_kind own = var == APGD_CE ? (targeted ? GT_LOSS_CE_TARGETED : GT_LOSS_CE)
                                    : (targeted ? GT_LOSS_DLR_TARGETED : GT_LOSS_DLR);
  gt_loss_kind unset = targeted ? GT_LOSS_CE_TARGETED : GT_LOSS_CE;
  if (cfg->loss != own && cfg->loss != unset)
    return gt_error_set(err, GT_ERR_USAGE,
                        "%s ascends the %s loss, not %s (apgd-ce: ce, apgd-dlr: dlr, apgd-t: targeted dlr)", name,
                        gt_loss_name(own), gt_loss_name(cfg->loss));
  cfg->loss = own;
  return GT_OK;
}

static gt_status resolve_common(apgd_variant var, gt_attack_config *cfg, gt_error *err) {
  const char *name = variant_name(var);
  gt_status st = resolve_loss(var, cfg, err);
  if (st != GT_OK) return st;
  if (cfg->steps == 0) cfg->steps = GT_APGD_DEFAULT_STEPS;
  if (cfg->steps < 1 || cfg->steps > 1000000)
    return gt_error_set(err, GT_ERR_USAGE, "%s: %d steps is outside 1..1000000", name, cfg->steps);
  if (cfg->norm == GT_NORM_L1 && cfg->steps < GT_APGD_L1_MIN_STEPS)
    return gt_error_set(err, GT_ERR_USAGE,
                        "%s: the L1 schedule (stages at 3 eps, 2 eps, eps) needs at least %d steps, got %d", name,
                        GT_APGD_L1_MIN_STEPS, cfg->steps);
  if (cfg->step_size == 0.0f)
    cfg->step_size = (cfg->norm == GT_NORM_L1 ? GT_APGD_STEP_L1 : GT_APGD_STEP_LINF_L2) * cfg->eps;
  if (!(cfg->step_size >= 0.0f) || isinf(cfg->step_size))
    return gt_error_set(err, GT_ERR_USAGE, "%s: step size %g", name, (double)cfg->step_size);
  if (cfg->l1_sparsity != 0.0f)
    return gt_error_set(err, GT_ERR_USAGE, "%s: the L1 sparsity adapts by itself; l1_sparsity %g cannot be set", name,
                        (double)cfg->l1_sparsity);
  if (cfg->random_start < 0) cfg->random_start = 1;
  if (!cfg->random_start) return gt_attack_refuse_restarts(name, cfg, err);
  return GT_OK;
}

static gt_status apgd_ce_resolve(gt_attack_config *cfg, gt_error *err) { return resolve_common(APGD_CE, cfg, err); }
static gt_status apgd_dlr_resolve(gt_attack_config *cfg, gt_error *err) { return resolve_common(APGD_DLR, cfg, err); }
static gt_status apgd_t_resolve(gt_attack_config *cfg, gt_error *err) { return resolve_common(APGD_T, cfg, err); }

/* ---- state ---- */

static void apgd_destroy(void *state) {
  apgd_state *s = state;
  if (!s) return;
  gt_workset_free(s->ws); /* frees the columns */
  void *dev[] = {s->z, s->loss, s->l0, s->eps, s->logits, s->mask};
  for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++) gt_attack_free(s->o, dev[i]);
  void *host[] = {s->checkpoints, s->h_best, s->h_last, s->h_alpha, s->h_l0, s->h_l0_old,
                  s->h_rises, s->h_reduced, s->h_mask, s->h_k};
  for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) free(host[i]);
  free(s);
}

static gt_status add_rows(apgd_state *s, void **col, size_t row_bytes, gt_error *err) {
  return gt_workset_add_column(s->ws, col, row_bytes, err);
}

static gt_status create_columns(apgd_state *s, gt_error *err) {
  size_t row = (size_t)s->d * sizeof(float), f = sizeof(float), i = sizeof(int32_t);
  gt_status st = add_rows(s, (void **)&s->grad, row, err);
  if (st == GT_OK) st = add_rows(s, (void **)&s->grad_best, row, err);
  if (st == GT_OK) st = add_rows(s, (void **)&s->x_best, row, err);
  if (st == GT_OK) st = add_rows(s, (void **)&s->loss_best, f, err);
  if (st == GT_OK) st = add_rows(s, (void **)&s->alpha, f, err);
  if (s->l1) {
    if (st == GT_OK) st = add_rows(s, (void **)&s->l0_old, f, err);
    if (st == GT_OK) st = add_rows(s, (void **)&s->l1_k, i, err);
  } else {
    if (st == GT_OK) st = add_rows(s, (void **)&s->x_prev, row, err);
    if (st == GT_OK) st = add_rows(s, (void **)&s->loss_prev, f, err);
    if (st == GT_OK) st = add_rows(s, (void **)&s->best_last, f, err);
    if (st == GT_OK) st = add_rows(s, (void **)&s->rises, i, err);
    if (st == GT_OK) st = add_rows(s, (void **)&s->reduced, i, err);
  }
  return st;
}

static gt_status create_buffers(apgd_state *s, gt_error *err) {
  gt_status st = gt_attack_alloc(s->o, s->cap * s->d, sizeof(float), (void **)&s->z, err);
  if (st == GT_OK) st = gt_attack_alloc(s->o, s->cap, sizeof(float), (void **)&s->loss, err);
  if (st == GT_OK) st = gt_attack_alloc(s->o, s->cap, sizeof(float), (void **)&s->l0, err);
  if (st == GT_OK) st = gt_attack_alloc(s->o, s->cap, sizeof(int32_t), (void **)&s->mask, err);
  if (st == GT_OK)
    st = gt_attack_alloc(s->o, s->cap * gt_oracle_num_classes(s->o), sizeof(float), (void **)&s->logits, err);
  if (st == GT_OK) st = gt_attack_const_f32(s->o, s->cfg.eps, &s->eps, err);
  if (st != GT_OK) return st;
  size_t cap = (size_t)s->cap;
  s->n_checkpoints = gt_apgd_checkpoints(s->cfg.steps, NULL, 0);
  s->checkpoints = malloc((size_t)(s->n_checkpoints > 0 ? s->n_checkpoints : 1) * sizeof(int));
  s->h_best = malloc(cap * sizeof(float));
  s->h_last = malloc(cap * sizeof(float));
  s->h_alpha = malloc(cap * sizeof(float));
  s->h_l0 = malloc(cap * sizeof(float));
  s->h_l0_old = malloc(cap * sizeof(float));
  s->h_rises = malloc(cap * sizeof(int32_t));
  s->h_reduced = malloc(cap * sizeof(int32_t));
  s->h_mask = malloc(cap * sizeof(int32_t));
  s->h_k = malloc(cap * sizeof(int32_t));
  if (!s->checkpoints || !s->h_best || !s->h_last || !s->h_alpha || !s->h_l0 || !s->h_l0_old || !s->h_rises ||
      !s->h_reduced || !s->h_mask || !s->h_k)
    return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory for the host state of %lld rows", "apgd",
                        (long long)s->cap);
  gt_apgd_checkpoints(s->cfg.steps, s->checkpoints, s->n_checkpoints);
  return GT_OK;
}

static gt_status create_common(apgd_variant var, const gt_attack_config *cfg, gt_oracle *o, void **state,
                               gt_error *err) {
  int k = gt_oracle_num_classes(o);
  if (k < gt_loss_min_classes(cfg->loss))
    return gt_error_set(err, GT_ERR_USAGE, "%s: the %s loss needs at least %d classes, the model has %d",
                        variant_name(var), gt_loss_name(cfg->loss), gt_loss_min_classes(cfg->loss), k);
  apgd_state *s = calloc(1, sizeof *s);
  if (!s) return gt_error_set(err, GT_ERR_MEMORY, "apgd: out of memory");
  s->cfg = *cfg;
  s->o = o;
  s->be = gt_oracle_backend(o);
  s->v = gt_oracle_vec(o);
  s->cap = gt_oracle_max_batch(o);
  s->d = gt_oracle_input_numel(o);
  s->l1 = cfg->norm == GT_NORM_L1;
  gt_status st = gt_workset_create(o, &s->ws, err);
  if (st == GT_OK) st = create_columns(s, err);
  if (st == GT_OK) st = create_buffers(s, err);
  if (st != GT_OK) {
    apgd_destroy(s);
    return st;
  }
  *state = s;
  return GT_OK;
}

static gt_status apgd_ce_create(const gt_attack_config *cfg, gt_oracle *o, void **state, gt_error *err) {
  return create_common(APGD_CE, cfg, o, state, err);
}
static gt_status apgd_dlr_create(const gt_attack_config *cfg, gt_oracle *o, void **state, gt_error *err) {
  return create_common(APGD_DLR, cfg, o, state, err);
}
static gt_status apgd_t_create(const gt_attack_config *cfg, gt_oracle *o, void **state, gt_error *err) {
  return create_common(APGD_T, cfg, o, state, err);
}

/* ---- steps of the run ---- */

static gt_status to_host(apgd_state *s, void *dst, const void *src, size_t elem, gt_error *err) {
  return s->be->iface->copy_to_host(s->be, dst, src, (size_t)s->ws->n * elem, err);
}

static gt_status to_dev(apgd_state *s, void *dst, const void *src, size_t elem, gt_error *err) {
  return s->be->iface->copy_to_device(s->be, dst, src, (size_t)s->ws->n * elem, err);
}

static gt_status dev_copy(apgd_state *s, void *dst, const void *src, size_t row_bytes, gt_error *err) {
  return s->be->iface->copy_device(s->be, dst, src, (size_t)s->ws->n * row_bytes, err);
}

/* Loss (and gradient, and logits when `judge`) at the active rows' x; charges the passes. */
static gt_status evaluate(apgd_state *s, int with_grad, int judge, gt_error *err) {
  gt_workset *ws = s->ws;
  int eot = gt_oracle_eot(s->o);
  gt_status st = gt_oracle_loss_grad(s->o, ws->x, ws->n, s->cfg.loss, ws->labels, ws->targets, s->loss,
                                     with_grad ? s->grad : NULL, judge ? s->logits : NULL, err);
  gt_workset_charge(ws, eot, with_grad ? eot : 0);
  return st;
}

/* Rows whose x is misclassified (or on target) finish with x_adv = x. */
static gt_status judge(apgd_state *s, gt_error *err) {
  gt_status st = gt_workset_check(s->ws, s->logits, err);
  if (st == GT_OK) st = gt_workset_retire(s->ws, s->ws->flags_host, s->ws->x, err);
  return st;
}

/* After the first evaluation of a run (or L1 stage): the start is the best point so far. */
static gt_status begin_best(apgd_state *s, float alpha0, gt_error *err) {
  gt_workset *ws = s->ws;
  size_t row = (size_t)s->d * sizeof(float);
  gt_status st = dev_copy(s, s->loss_best, s->loss, sizeof(float), err);
  if (st == GT_OK) st = dev_copy(s, s->x_best, ws->x, row, err);
  if (st == GT_OK) st = dev_copy(s, s->grad_best, s->grad, row, err);
  if (st == GT_OK) st = s->v->fill(s->be, s->alpha, ws->n, alpha0, err);
  if (st != GT_OK || s->l1) return st;
  st = dev_copy(s, s->loss_prev, s->loss, sizeof(float), err);
  if (st == GT_OK) st = dev_copy(s, s->best_last, s->loss, sizeof(float), err);
  if (st == GT_OK) st = s->v->fill_i32(s->be, s->rises, ws->n, 0, err);
  if (st == GT_OK) st = s->v->fill_i32(s->be, s->reduced, ws->n, 1, err);
  return st;
}

/* Best-loss bookkeeping after an evaluation (with_grad: the gradient is that of x). */
static gt_status track(apgd_state *s, int with_grad, gt_error *err) {
  gt_workset *ws = s->ws;
  size_t row = (size_t)s->d * sizeof(float);
  gt_status st = s->v->track_max(s->be, s->loss, ws->n, s->loss_best, s->mask, s->l1 ? NULL : s->loss_prev,
                                 s->l1 ? NULL : s->rises, err);
  if (st == GT_OK) st = s->v->copy_rows_masked(s->be, s->mask, ws->x, ws->n, row, s->x_best, err);
  if (st == GT_OK && with_grad) st = s->v->copy_rows_masked(s->be, s->mask, s->grad, ws->n, row, s->grad_best, err);
  return st;
}

/* Rows flagged in h_mask go back to their best point and its gradient. */
static gt_status restart_masked(apgd_state *s, int any, gt_error *err) {
  if (!any) return GT_OK;
  gt_workset *ws = s->ws;
  size_t row = (size_t)s->d * sizeof(float);
  gt_status st = to_dev(s, s->mask, s->h_mask, sizeof(int32_t), err);
  if (st == GT_OK) st = s->v->copy_rows_masked(s->be, s->mask, s->x_best, ws->n, row, ws->x, err);
  if (st == GT_OK) st = s->v->copy_rows_masked(s->be, s->mask, s->grad_best, ws->n, row, s->grad, err);
  return st;
}

/* ---- Linf, L2 ---- */

/* x <- P(x + a (z - x) + (1 - a)(x - x_prev)) with z = P(x + alpha dir(grad)) (x <- z on the first
 * step), x_prev <- x: one fused vector op (gauntlet/hd/momentum.h). */
static gt_status momentum_step(apgd_state *s, int first, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_vec_momentum m = {.norm = s->cfg.norm, .n = ws->n, .d = s->d, .x = ws->x, .x_prev = s->x_prev,
                       .grad = s->grad, .x0 = ws->x0, .alpha = s->alpha, .eps = s->eps,
                       .momentum = GT_APGD_MOMENTUM, .first = first};
  return s->v->momentum_step(s->be, &m, err);
}

/* A checkpoint closing an interval of `interval` steps. */
static gt_status checkpoint_linf_l2(apgd_state *s, int interval, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_status st = to_host(s, s->h_rises, s->rises, sizeof(int32_t), err);
  if (st == GT_OK) st = to_host(s, s->h_reduced, s->reduced, sizeof(int32_t), err);
  if (st == GT_OK) st = to_host(s, s->h_best, s->loss_best, sizeof(float), err);
  if (st == GT_OK) st = to_host(s, s->h_last, s->best_last, sizeof(float), err);
  if (st == GT_OK) st = to_host(s, s->h_alpha, s->alpha, sizeof(float), err);
  if (st != GT_OK) return st;
  int any = 0;
  for (int64_t i = 0; i < ws->n; i++) {
    int halve = gt_apgd_halve(s->h_rises[i], interval, s->h_reduced[i], s->h_last[i], s->h_best[i]);
    if (halve) s->h_alpha[i] *= 0.5f;
    s->h_reduced[i] = halve;
    s->h_mask[i] = halve;
    any |= halve;
  }
  st = to_dev(s, s->alpha, s->h_alpha, sizeof(float), err);
  if (st == GT_OK) st = to_dev(s, s->reduced, s->h_reduced, sizeof(int32_t), err);
  if (st == GT_OK) st = dev_copy(s, s->best_last, s->loss_best, sizeof(float), err);
  if (st == GT_OK) st = s->v->fill_i32(s->be, s->rises, ws->n, 0, err);
  if (st == GT_OK) st = restart_masked(s, any, err);
  return st;
}

static gt_status run_linf_l2(apgd_state *s, gt_error *err) {
  gt_workset *ws = s->ws;
  int steps = s->cfg.steps;
  gt_status st = GT_OK;
  if (s->cfg.random_start)
    st = gt_workset_random_start(ws, GT_START_SPHERE, s->cfg.norm, s->cfg.eps, s->cfg.seed, s->z, err);
  if (st == GT_OK) st = evaluate(s, 1, 1, err);
  if (st == GT_OK) st = begin_best(s, s->cfg.step_size, err);
  if (st == GT_OK) st = judge(s, err);
  int cp = 0, last_cp = 0;
  for (int i = 0; st == GT_OK && ws->n > 0 && i < steps; i++) {
    int last = i == steps - 1;
    st = momentum_step(s, i == 0, err);
    if (st == GT_OK) st = evaluate(s, !last, 1, err);
    if (st == GT_OK) st = track(s, !last, err);
    if (st == GT_OK) st = judge(s, err);
    if (st != GT_OK || ws->n == 0 || last) break;
    if (cp < s->n_checkpoints && i + 1 == s->checkpoints[cp]) {
      st = checkpoint_linf_l2(s, s->checkpoints[cp] - last_cp, err);
      last_cp = s->checkpoints[cp++];
    }
  }
  return st;
}

/* ---- L1 ---- */

/* The sparsity of the active rows' x against x0, into h_l0. */
static gt_status l0_sizes(apgd_state *s, const float *x, gt_error *err) {
  gt_status st = s->v->count_nonzero(s->be, x, s->ws->x0, s->ws->n, s->d, s->l0, err);
  if (st == GT_OK) st = to_host(s, s->h_l0, s->l0, sizeof(float), err);
  return st;
}

/* The start of a stage: k and the reference sparsity from the start point itself. */
static gt_status begin_sparsity(apgd_state *s, gt_error *err) {
  gt_status st = l0_sizes(s, s->ws->x, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < s->ws->n; i++) s->h_k[i] = gt_apgd_l1_k((double)s->h_l0[i], s->d);
  st = to_dev(s, s->l1_k, s->h_k, sizeof(int32_t), err);
  if (st == GT_OK) st = dev_copy(s, s->l0_old, s->l0, sizeof(float), err);
  return st;
}

static gt_status checkpoint_l1(apgd_state *s, float alpha0, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_status st = l0_sizes(s, s->x_best, err);
  if (st == GT_OK) st = to_host(s, s->h_l0_old, s->l0_old, sizeof(float), err);
  if (st == GT_OK) st = to_host(s, s->h_alpha, s->alpha, sizeof(float), err);
  if (st != GT_OK) return st;
  int any = 0;
  for (int64_t i = 0; i < ws->n; i++) {
    s->h_mask[i] = gt_apgd_l1_checkpoint(s->h_l0[i], &s->h_l0_old[i], &s->h_alpha[i], alpha0, s->d, &s->h_k[i]);
    any |= s->h_mask[i];
  }
  st = to_dev(s, s->alpha, s->h_alpha, sizeof(float), err);
  if (st == GT_OK) st = to_dev(s, s->l0_old, s->h_l0_old, sizeof(float), err);
  if (st == GT_OK) st = to_dev(s, s->l1_k, s->h_k, sizeof(int32_t), err);
  if (st == GT_OK) st = restart_masked(s, any, err);
  return st;
}

/* x <- P_{3 eps}(x0 + N(0, I)), drawn at the run's RNG site. */
static gt_status random_start_l1(apgd_state *s, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_vec_random r = {.dist = GT_RNG_NORMAL,
                     .seed = s->cfg.seed,
                     .stream = GT_RNG_STREAM_START,
                     .restart = s->restart,
                     .step = 0,
                     .sample_ids = ws->ids,
                     .n = ws->n,
                     .d = s->d,
                     .out = s->z};
  gt_status st = s->v->random_fill(s->be, &r, err);
  if (st == GT_OK) st = s->v->axpby(s->be, ws->ones, ws->x0, ws->ones, s->z, ws->n, s->d, ws->x, err);
  if (st == GT_OK) st = s->v->project(s->be, GT_NORM_L1, ws->x, ws->x0, s->eps, ws->n, s->d, ws->x, err);
  return st;
}

static gt_status run_stage_l1(apgd_state *s, int stage, int iters, float radius, float alpha0, gt_error *err) {
  gt_workset *ws = s->ws;
  int final = stage == GT_APGD_L1_STAGES - 1;
  gt_status st = s->v->fill(s->be, s->eps, s->cap, radius, err);
  if (st == GT_OK && stage == 0 && s->cfg.random_start) st = random_start_l1(s, err);
  if (st == GT_OK && stage > 0)
    st = s->v->project(s->be, GT_NORM_L1, s->x_best, ws->x0, s->eps, ws->n, s->d, ws->x, err);
  if (st == GT_OK) st = evaluate(s, 1, final, err);
  if (st == GT_OK) st = begin_best(s, alpha0, err);
  if (st == GT_OK) st = begin_sparsity(s, err);
  if (st == GT_OK && final) st = judge(s, err);
  int interval = gt_apgd_l1_interval(iters), since = 0;
  for (int i = 0; st == GT_OK && ws->n > 0 && i < iters; i++) {
    int last = i == iters - 1;
    gt_vec_step step = {.norm = GT_NORM_L1, .n = ws->n, .d = s->d, .x = ws->x, .grad = s->grad, .x0 = ws->x0,
                        .alpha = s->alpha, .eps = s->eps, .l1_k = s->l1_k, .out = ws->x};
    st = s->v->ascent_step(s->be, &step, err);
    if (st == GT_OK) st = evaluate(s, !last, final, err);
    if (st == GT_OK) st = track(s, !last, err);
    if (st == GT_OK && final) st = judge(s, err);
    if (st != GT_OK || ws->n == 0 || last) break;
    if (++since == interval) {
      st = checkpoint_l1(s, alpha0, err);
      since = 0;
    }
  }
  return st;
}

static gt_status run_l1(apgd_state *s, gt_error *err) {
  static const float radius_factor[GT_APGD_L1_STAGES] = {3.0f, 2.0f, 1.0f};
  int iters[GT_APGD_L1_STAGES];
  gt_apgd_l1_stages(s->cfg.steps, iters);
  float ratio = s->cfg.eps > 0.0f ? s->cfg.step_size / s->cfg.eps : 0.0f; /* initial step in units of the radius */
  gt_status st = GT_OK;
  for (int stage = 0; st == GT_OK && s->ws->n > 0 && stage < GT_APGD_L1_STAGES; stage++) {
    float radius = radius_factor[stage] * s->cfg.eps;
    st = run_stage_l1(s, stage, iters[stage], radius, ratio * radius, err);
  }
  return st;
}

static gt_status apgd_run(void *state, gt_oracle *o, gt_attack_batch *b, gt_error *err) {
  apgd_state *s = state;
  s->restart = b->restart;
  gt_status st = gt_workset_begin(s->ws, b, err);
  if (st == GT_OK) st = s->l1 ? run_l1(s, err) : run_linf_l2(s, err);
  if (st == GT_OK) st = gt_workset_end(s->ws, err);
  return st;
}

#define APGD_NORMS (GT_NORM_BIT(GT_NORM_LINF) | GT_NORM_BIT(GT_NORM_L2) | GT_NORM_BIT(GT_NORM_L1))

const gt_attack gt_attack_apgd_ce = {
    .name = "apgd-ce",
    .summary = "Auto-PGD on the cross-entropy loss (Croce & Hein 2020; AutoAttack's first attack)",
    .norms = APGD_NORMS,
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_BOUNDED,
    .targeted = 1,
    .resolve = apgd_ce_resolve,
    .create = apgd_ce_create,
    .run = apgd_run,
    .destroy = apgd_destroy,
};

const gt_attack gt_attack_apgd_dlr = {
    .name = "apgd-dlr",
    .summary = "Auto-PGD on the DLR loss (needs >= 3 classes)",
    .norms = APGD_NORMS,
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_BOUNDED,
    .targeted = 1,
    .resolve = apgd_dlr_resolve,
    .create = apgd_dlr_create,
    .run = apgd_run,
    .destroy = apgd_destroy,
};

const gt_attack gt_attack_apgd_t = {
    .name = "apgd-t",
    .summary = "Auto-PGD on the targeted DLR loss over the top-9 other classes (AutoAttack's APGD-T; >= 4 classes)",
    .default_target = GT_TARGET_TOP,
    .norms = APGD_NORMS,
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_BOUNDED,
    .targeted = 1,
    .resolve = apgd_t_resolve,
    .create = apgd_t_create,
    .run = apgd_run,
    .destroy = apgd_destroy,
};
