/* FAB, the fast adaptive boundary attack (Croce & Hein, "Minimally distorted adversarial examples
 * with a fast adaptive boundary attack", ICML 2020): a minimum-norm white-box attack. Each step
 * linearises the decision boundary at the iterate, projects both the iterate and the clean point
 * onto that plane inside the [0,1] box (exactly, gauntlet/hd/hyperplane.h), and steps to a
 * combination of the two projections biased towards the clean point; adversarial iterates are
 * recorded and pulled back towards the clean point, so the attack keeps shrinking the
 * perturbation. One iteration is told in fab_step.c, the final search in fab_search.c.
 *
 *   fab    untargeted: the boundary nearest in the linearisation, over every class other than the
 *          label (k - 1 gradients per step: one forward and k - 1 backward passes); accepts
 *          targeted modes too, then behaves as fab-t
 *   fab-t  the boundary of one target class per run; without a target mode it runs the run loop's
 *          GT_TARGET_TOP mode with 9 ranks (AutoAttack's FAB-T: the 2nd..10th highest clean logits)
 *
 * eps decides what a success is (documented in docs/ATTACKS.md):
 *   eps == 0 or +inf  unbounded minimum norm: every row runs all steps and restarts; a row is
 *                     broken when any adversarial point was found, x_adv is the smallest-norm one
 *                     (after the final search), and res.norm gives the robust-accuracy-vs-eps curve
 *   0 < eps < inf     bounded (AutoAttack's use): a row is broken only by a point within eps; it
 *                     leaves the working set at its first adversarial iterate within eps (the
 *                     smallest-norm adversarial found at that moment); rows still robust at the end
 *                     that have adversarial points beyond eps get the final search, which may bring
 *                     them within eps.
 * Defaults (the reference's): 100 steps, alpha_max 0.1, eta 1.05, beta 0.9, final search of 3
 * steps. Restarts: the first run starts at the clean point, later ones at a random point at half
 * of min(R, best norm so far) from it (R = eps when bounded; unbounded: AutoAttack's default
 * radius, 0.3 Linf, 1.0 L2, 5.0 L1); random_start 1 makes every run random, 0 none (one run).
 * All restarts of a rank run inside the run loop's first restart call, carrying the best point
 * across them as the reference does; the run loop's later restart calls find nothing to do. */
#include <math.h>
#include <stdlib.h>

#include "attack/attack_list.h"
#include "attack/attack_util.h"
#include "fab.h"


/* AutoAttack's default radius per norm when no eps is given (Linf, L2, L1). */
static const float fab_unbounded_radius[GT_NORM_COUNT] = {0.3f, 1.0f, 5.0f};

static gt_status resolve_common(const char *name, gt_attack_config *cfg, gt_error *err) {
  if (!(cfg->eps >= 0.0f))
    return gt_error_set(err, GT_ERR_USAGE, "%s: eps = %g; need eps >= 0 (0: unbounded minimum norm)", name,
                        (double)cfg->eps);
  if (cfg->steps == 0) cfg->steps = FAB_DEFAULT_STEPS;
  if (cfg->steps < 1 || cfg->steps > 1000000)
    return gt_error_set(err, GT_ERR_USAGE, "%s: %d steps is outside 1..1000000", name, cfg->steps);
  if (cfg->step_size != 0.0f)
    return gt_error_set(err, GT_ERR_USAGE,
                        "%s: step size %g given, but FAB has none (its steps come from the projection onto the "
                        "linearised boundary)",
                        name, (double)cfg->step_size);
  if (cfg->random_start < -1 || cfg->random_start > 1)
    return gt_error_set(err, GT_ERR_USAGE, "%s: random_start %d is not -1, 0 or 1", name, cfg->random_start);
  if (cfg->random_start == 0) return gt_attack_refuse_restarts(name, cfg, err);
  return GT_OK;
}

static gt_status fab_resolve(gt_attack_config *cfg, gt_error *err) { return resolve_common("fab", cfg, err); }

static gt_status fab_t_resolve(gt_attack_config *cfg, gt_error *err) { return resolve_common("fab-t", cfg, err); }

static void fab_destroy(void *state) {
  fab_state *s = state;
  if (!s) return;
  gt_workset_free(s->ws); /* frees the best column */
  void *dev[] = {s->w,    s->z1,   s->z2,   s->z3,  s->jac,           s->diff, s->dual, s->cls,  s->logits, s->f,
                 s->ca,   s->cb,   s->one_minus_eta, s->eta, s->box,  s->mask, s->idx,  s->idx2, s->tgt_f};
  for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++) gt_attack_free(s->o, dev[i]);
  void *host[] = {s->diff_h, s->dual_h, s->cls_h,  s->best_dist_h, s->f_h,   s->a1_h,  s->a2_h,     s->ca_h,
                  s->cb_h,   s->nrm_h,  s->mask_h,    s->done_h, s->idx_h, s->idx2_h,   s->flag_h,
                  s->la2_h,  s->y1_h,   s->y2_h,   s->y3_h,        s->labels_h, s->best_norm_h, s->hit_h};
  for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) free(host[i]);
  free(s);
}

static gt_status alloc_device(fab_state *s, gt_error *err) {
  gt_oracle *o = s->o;
  int64_t cd = s->cap * s->d, mc = (int64_t)s->m * s->cap;
  size_t f4 = sizeof(float), i4 = sizeof(int32_t);
  gt_status st = gt_workset_add_column(s->ws, (void **)&s->best, (size_t)s->d * f4, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cd, f4, (void **)&s->w, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cd, f4, (void **)&s->z1, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cd, f4, (void **)&s->z2, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cd, f4, (void **)&s->z3, err);
  if (st == GT_OK && !s->targeted) st = gt_attack_alloc(o, mc * s->d, f4, (void **)&s->jac, err);
  if (st == GT_OK) st = gt_attack_alloc(o, mc, f4, (void **)&s->diff, err);
  if (st == GT_OK) st = gt_attack_alloc(o, mc, f4, (void **)&s->dual, err);
  if (st == GT_OK) st = gt_attack_alloc(o, mc, i4, (void **)&s->cls, err);
  if (st == GT_OK) st = gt_attack_alloc(o, s->cap * s->k, f4, (void **)&s->logits, err);
  if (st == GT_OK) st = gt_attack_alloc(o, s->cap, f4, (void **)&s->f, err);
  if (st == GT_OK) st = gt_attack_alloc(o, s->cap, f4, (void **)&s->ca, err);
  if (st == GT_OK) st = gt_attack_alloc(o, s->cap, f4, (void **)&s->cb, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, 1.0f - FAB_ETA, &s->one_minus_eta, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, FAB_ETA, &s->eta, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, INFINITY, &s->box, err);
  if (st == GT_OK) st = gt_attack_alloc(o, s->cap, i4, (void **)&s->mask, err);
  if (st == GT_OK) st = gt_attack_alloc(o, s->cap, i4, (void **)&s->idx, err);
  if (st == GT_OK) st = gt_attack_alloc(o, s->cap, i4, (void **)&s->idx2, err);
  if (st == GT_OK) st = gt_attack_alloc(o, s->cap, i4, (void **)&s->tgt_f, err);
  return st;
}

static gt_status alloc_host(fab_state *s, gt_error *err) {
  size_t cap = (size_t)s->cap, mc = (size_t)s->m * cap, ck = cap * (size_t)s->k;
  s->diff_h = malloc(mc * sizeof(float));
  s->dual_h = malloc(mc * sizeof(float));
  s->cls_h = malloc(mc * sizeof(int32_t));
  float **fl[] = {&s->best_dist_h, &s->f_h, &s->a1_h, &s->a2_h, &s->ca_h, &s->cb_h, &s->nrm_h, &s->best_norm_h};
  for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) *fl[i] = malloc(cap * sizeof(float));
  int32_t **in[] = {&s->mask_h, &s->done_h, &s->idx_h, &s->idx2_h, &s->flag_h, &s->la2_h, &s->labels_h, &s->hit_h};
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) *in[i] = malloc(cap * sizeof(int32_t));
  s->y1_h = malloc(ck * sizeof(float));
  s->y2_h = malloc(ck * sizeof(float));
  s->y3_h = malloc(ck * sizeof(float));
  int ok = s->diff_h && s->dual_h && s->cls_h && s->y1_h && s->y2_h && s->y3_h;
  for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) ok = ok && *fl[i];
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) ok = ok && *in[i];
  if (!ok) return gt_error_set(err, GT_ERR_MEMORY, "fab: out of memory for a batch of %lld", (long long)s->cap);
  return GT_OK;
}

static gt_status fab_create(const gt_attack_config *cfg, gt_oracle *o, void **state, gt_error *err) {
  int k = gt_oracle_num_classes(o);
  if (k < 2) return gt_error_set(err, GT_ERR_USAGE, "fab: the model has %d class; FAB needs at least 2", k);
  fab_state *s = calloc(1, sizeof *s);
  if (!s) return gt_error_set(err, GT_ERR_MEMORY, "fab: out of memory");
  s->cfg = *cfg;
  s->o = o;
  s->cap = gt_oracle_max_batch(o);
  s->d = gt_oracle_input_numel(o);
  s->k = k;
  s->targeted = cfg->targeted != GT_TARGET_NONE;
  s->bounded = cfg->eps > 0.0f && isfinite(cfg->eps);
  s->start_radius = s->bounded ? cfg->eps : fab_unbounded_radius[cfg->norm];
  /* Differences per Jacobian call: all k - 1 unless the buffer would pass the cap. */
  int64_t per = s->cap * s->d, fit = FAB_JACOBIAN_MAX_FLOATS / (per > 0 ? per : 1);
  s->m = s->targeted ? 1 : (int)(fit < 1 ? 1 : (fit < k - 1 ? fit : k - 1));
  gt_status st = gt_workset_create(o, &s->ws, err);
  if (st == GT_OK) st = alloc_device(s, err);
  if (st == GT_OK) st = alloc_host(s, err);
  if (st != GT_OK) {
    fab_destroy(s);
    return st;
  }
  *state = s;
  return GT_OK;
}

/* Rows with an adversarial point (within eps when bounded) are broken with x_adv = best. */
static gt_status finish(fab_state *s, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_status st = gt_fab_final_search(s, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < ws->n; i++) {
    float b = s->best_norm_h[ws->pos[i]];
    s->done_h[i] = b < INFINITY && (!s->bounded || b <= s->cfg.eps);
  }
  st = gt_workset_retire(ws, s->done_h, s->best, err);
  if (st == GT_OK) st = gt_workset_end(ws, err);
  return st;
}

static gt_status fab_run(void *state, gt_oracle *o, gt_attack_batch *b, gt_error *err) {
  fab_state *s = state;
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(o);
  uint32_t restarts = (uint32_t)s->cfg.restarts;
  if (b->restart % restarts != 0) return GT_OK; /* every restart already ran in the first call */
  s->batch_forward = b->forward;
  gt_status st = gt_workset_begin(ws, b, err);
  if (st == GT_OK) st = gt_fab_download(s, s->labels_h, b->labels, b->n, sizeof(int32_t), err);
  if (st == GT_OK)
    st = be->iface->copy_device(be, s->best, ws->x0, (size_t)(b->n * b->d) * sizeof(float), err);
  for (int64_t i = 0; i < b->n; i++) s->best_norm_h[i] = INFINITY;
  for (uint32_t r = 0; st == GT_OK && r < restarts && ws->n > 0; r++) {
    int random = s->cfg.random_start == 1 || (s->cfg.random_start < 0 && r > 0);
    st = gt_fab_start(s, random, b->restart + r, err);
    for (int t = 0; st == GT_OK && t < s->cfg.steps && ws->n > 0; t++) st = gt_fab_step(s, err);
  }
  if (st == GT_OK) st = finish(s, err);
  return st;
}

#define FAB_NORMS (GT_NORM_BIT(GT_NORM_LINF) | GT_NORM_BIT(GT_NORM_L2) | GT_NORM_BIT(GT_NORM_L1))

const gt_attack gt_attack_fab = {
    .name = "fab",
    .summary = "fast adaptive boundary attack, minimum norm, every class's boundary (Croce & Hein)",
    .norms = FAB_NORMS,
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_MIN_NORM,
    .targeted = 1,
    .resolve = fab_resolve,
    .create = fab_create,
    .run = fab_run,
    .destroy = fab_destroy,
};

const gt_attack gt_attack_fab_t = {
    .name = "fab-t",
    .summary = "targeted FAB, one target class per run, 9 top-ranked targets by default (AutoAttack's FAB-T)",
    .default_target = GT_TARGET_TOP,
    .norms = FAB_NORMS,
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_MIN_NORM,
    .targeted = 1,
    .resolve = fab_t_resolve,
    .create = fab_create,
    .run = fab_run,
    .destroy = fab_destroy,
};
