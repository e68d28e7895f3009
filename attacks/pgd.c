/* PGD and BIM: iterated steepest-ascent steps on the loss, each projected onto the eps-ball around
 * the clean point and the [0,1] box (Madry et al. 2018; Kurakin et al. 2017 for BIM).
 *
 *   x_0     = x (bim) or a random start (pgd): Linf uniform in the ball (Madry), L2 / L1 a point
 *             on the eps-sphere in a Gaussian direction; both then projected (L1 exactly).
 *   x_{t+1} = P(x_t + alpha * dir(grad loss(x_t)))      dir, P: gauntlet/hd/project.h
 *
 * Any-iteration success: every iterate x_0 .. x_steps is evaluated (the logits come with each
 * gradient; x_steps costs one extra forward pass), and a row is finished, with x_adv = that
 * iterate, at its first misclassified one. Finished rows leave the working set, so later passes
 * run on still-robust rows only.
 *
 * Defaults: steps 10; step size 2.5 * eps / steps (Madry's rule) in every norm; loss CE (targeted
 * modes: CE_TARGETED); pgd: random start, restarts as configured (1); bim: no random start and
 * one run; L1: k = ceil(0.05 d) coordinates per step.
 * Restart r of rank q draws its start from (seed, START stream, sample id, q * restarts + r). */
#include <math.h>
#include <stdlib.h>

#include "attack/attack_list.h"
#include "attack/attack_util.h"
#include "gauntlet/workset.h"

#define PGD_DEFAULT_STEPS 10
#define PGD_MADRY_FACTOR 2.5f

typedef struct pgd_state {
  gt_attack_config cfg;
  gt_oracle *o;
  gt_workset *ws;
  float *grad;   /* workset column [cap, d] */
  float *logits; /* [cap, k] */
  float *alpha, *eps;
  int32_t *l1_k;
} pgd_state;

static gt_status resolve_common(const char *name, gt_attack_config *cfg, int default_random_start, gt_error *err) {
  if (cfg->steps == 0) cfg->steps = PGD_DEFAULT_STEPS;
  if (cfg->steps < 1 || cfg->steps > 1000000)
    return gt_error_set(err, GT_ERR_USAGE, "%s: %d steps is outside 1..1000000", name, cfg->steps);
  if (cfg->step_size == 0.0f) cfg->step_size = PGD_MADRY_FACTOR * cfg->eps / (float)cfg->steps;
  if (!(cfg->step_size >= 0.0f) || isinf(cfg->step_size))
    return gt_error_set(err, GT_ERR_USAGE, "%s: step size %g", name, (double)cfg->step_size);
  if (cfg->random_start < 0) cfg->random_start = default_random_start;
  gt_status st = GT_OK;
  if (!cfg->random_start) st = gt_attack_refuse_restarts(name, cfg, err);
  if (st == GT_OK && cfg->norm == GT_NORM_L1) st = gt_attack_resolve_l1(name, cfg, err);
  return st;
}

static gt_status pgd_resolve(gt_attack_config *cfg, gt_error *err) { return resolve_common("pgd", cfg, 1, err); }
static gt_status bim_resolve(gt_attack_config *cfg, gt_error *err) { return resolve_common("bim", cfg, 0, err); }

static void pgd_destroy(void *state) {
  pgd_state *s = state;
  if (!s) return;
  gt_workset_free(s->ws); /* frees the grad column */
  gt_attack_free(s->o, s->logits);
  gt_attack_free(s->o, s->alpha);
  gt_attack_free(s->o, s->eps);
  gt_attack_free(s->o, s->l1_k);
  free(s);
}

static gt_status pgd_create(const gt_attack_config *cfg, gt_oracle *o, void **state, gt_error *err) {
  pgd_state *s = calloc(1, sizeof *s);
  if (!s) return gt_error_set(err, GT_ERR_MEMORY, "pgd: out of memory");
  s->cfg = *cfg;
  s->o = o;
  int64_t cap = gt_oracle_max_batch(o), d = gt_oracle_input_numel(o);
  gt_status st = gt_workset_create(o, &s->ws, err);
  if (st == GT_OK) st = gt_workset_add_column(s->ws, (void **)&s->grad, (size_t)d * sizeof(float), err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap * gt_oracle_num_classes(o), sizeof(float), (void **)&s->logits, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, cfg->step_size, &s->alpha, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, cfg->eps, &s->eps, err);
  if (st == GT_OK) st = gt_attack_const_i32(o, gt_attack_l1_k(cfg->l1_sparsity, d), &s->l1_k, err);
  if (st != GT_OK) {
    pgd_destroy(s);
    return st;
  }
  *state = s;
  return GT_OK;
}

static gt_status pgd_run(void *state, gt_oracle *o, gt_attack_batch *b, gt_error *err) {
  pgd_state *s = state;
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(o);
  const gt_vec_iface *v = gt_oracle_vec(o);
  int eot = gt_oracle_eot(o);
  gt_status st = gt_workset_begin(ws, b, err);
  if (st == GT_OK && s->cfg.random_start) {
    gt_start_kind kind = s->cfg.norm == GT_NORM_LINF ? GT_START_BOX : GT_START_SPHERE;
    st = gt_workset_random_start(ws, kind, s->cfg.norm, s->cfg.eps, s->cfg.seed, s->grad, err);
  }
  for (int t = 0; st == GT_OK && t <= s->cfg.steps; t++) {
    /* Iterate t: its logits (and, before the last, its gradient). */
    if (t < s->cfg.steps) {
      st = gt_oracle_loss_grad(o, ws->x, ws->n, s->cfg.loss, ws->labels, ws->targets, NULL, s->grad, s->logits, err);
      gt_workset_charge(ws, eot, eot);
    } else {
      st = gt_oracle_logits(o, ws->x, ws->n, s->logits, err);
      gt_workset_charge(ws, 1, 0);
    }
    if (st == GT_OK) st = gt_workset_check(ws, s->logits, err);
    if (st == GT_OK) st = gt_workset_retire(ws, ws->flags_host, ws->x, err);
    if (st != GT_OK || ws->n == 0 || t == s->cfg.steps) break;
    gt_vec_step step = {
        .norm = s->cfg.norm,
        .n = ws->n,
        .d = ws->d,
        .x = ws->x,
        .grad = s->grad,
        .x0 = ws->x0,
        .alpha = s->alpha,
        .eps = s->eps,
        .l1_k = s->cfg.norm == GT_NORM_L1 ? s->l1_k : NULL,
        .out = ws->x,
    };
    st = v->ascent_step(be, &step, err);
  }
  if (st == GT_OK) st = gt_workset_end(ws, err);
  return st;
}

#define PGD_NORMS (GT_NORM_BIT(GT_NORM_LINF) | GT_NORM_BIT(GT_NORM_L2) | GT_NORM_BIT(GT_NORM_L1))

const gt_attack gt_attack_pgd = {
    .name = "pgd",
    .summary = "projected gradient descent with a random start and restarts (Madry et al.)",
    .norms = PGD_NORMS,
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_BOUNDED,
    .targeted = 1,
    .resolve = pgd_resolve,
    .create = pgd_create,
    .run = pgd_run,
    .destroy = pgd_destroy,
};

const gt_attack gt_attack_bim = {
    .name = "bim",
    .summary = "basic iterative method: pgd started at the clean point",
    .norms = PGD_NORMS,
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_BOUNDED,
    .targeted = 1,
    .resolve = bim_resolve,
    .create = pgd_create,
    .run = pgd_run,
    .destroy = pgd_destroy,
};
