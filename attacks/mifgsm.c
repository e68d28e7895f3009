/* MI-FGSM: iterative FGSM with momentum on the L1-normalised gradient (Dong et al. 2018):
 *   g_{t+1} = mu * g_t + grad_t / ||grad_t||_1            (g_0 = 0; a zero gradient adds nothing)
 *   x_{t+1} = P(x_t + alpha * dir(g_{t+1}))                dir: sign (Linf) or g / ||g||_2 (L2)
 * starting at the clean point, with any-iteration success as in pgd.c (rows leave the working set
 * at their first misclassified iterate).
 * Defaults: steps 10, step size eps / steps (the paper's alpha = eps / T), decay mu = 1.0, loss CE,
 * no random start, one run (there is no randomness). */
#include <math.h>
#include <stdlib.h>

#include "attack/attack_list.h"
#include "attack/attack_util.h"
#include "gauntlet/workset.h"

#define MIFGSM_DEFAULT_STEPS 10

typedef struct mifgsm_state {
  gt_attack_config cfg;
  gt_oracle *o;
  gt_workset *ws;
  float *grad;     /* workset column [cap, d] */
  float *momentum; /* workset column [cap, d] */
  float *logits;   /* [cap, k] */
  float *alpha, *eps, *mu;
} mifgsm_state;

static gt_status mifgsm_resolve(gt_attack_config *cfg, gt_error *err) {
  if (cfg->steps == 0) cfg->steps = MIFGSM_DEFAULT_STEPS;
  if (cfg->steps < 1 || cfg->steps > 1000000)
    return gt_error_set(err, GT_ERR_USAGE, "mifgsm: %d steps is outside 1..1000000", cfg->steps);
  if (cfg->step_size == 0.0f) cfg->step_size = cfg->eps / (float)cfg->steps;
  if (!(cfg->step_size >= 0.0f) || isinf(cfg->step_size))
    return gt_error_set(err, GT_ERR_USAGE, "mifgsm: step size %g", (double)cfg->step_size);
  if (!(cfg->decay >= 0.0f) || isinf(cfg->decay))
    return gt_error_set(err, GT_ERR_USAGE, "mifgsm: decay %g, need a finite value >= 0", (double)cfg->decay);
  if (cfg->random_start < 0) cfg->random_start = 0;
  if (cfg->random_start) return gt_error_set(err, GT_ERR_USAGE, "mifgsm has no random start (use pgd)");
  return gt_attack_refuse_restarts("mifgsm", cfg, err);
}

static void mifgsm_destroy(void *state) {
  mifgsm_state *s = state;
  if (!s) return;
  gt_workset_free(s->ws); /* frees the grad and momentum columns */
  gt_attack_free(s->o, s->logits);
  gt_attack_free(s->o, s->alpha);
  gt_attack_free(s->o, s->eps);
  gt_attack_free(s->o, s->mu);
  free(s);
}

static gt_status mifgsm_create(const gt_attack_config *cfg, gt_oracle *o, void **state, gt_error *err) {
  mifgsm_state *s = calloc(1, sizeof *s);
  if (!s) return gt_error_set(err, GT_ERR_MEMORY, "mifgsm: out of memory");
  s->cfg = *cfg;
  s->o = o;
  int64_t cap = gt_oracle_max_batch(o);
  size_t row = (size_t)gt_oracle_input_numel(o) * sizeof(float);
  gt_status st = gt_workset_create(o, &s->ws, err);
  if (st == GT_OK) st = gt_workset_add_column(s->ws, (void **)&s->grad, row, err);
  if (st == GT_OK) st = gt_workset_add_column(s->ws, (void **)&s->momentum, row, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap * gt_oracle_num_classes(o), sizeof(float), (void **)&s->logits, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, cfg->step_size, &s->alpha, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, cfg->eps, &s->eps, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, cfg->decay, &s->mu, err);
  if (st != GT_OK) {
    mifgsm_destroy(s);
    return st;
  }
  *state = s;
  return GT_OK;
}

/* momentum = mu * momentum + grad / ||grad||_1 on the active rows. */
static gt_status accumulate(mifgsm_state *s, gt_backend *be, const gt_vec_iface *v, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_status st = v->norms(be, GT_NORM_L1, s->grad, NULL, ws->n, ws->d, ws->coef, err);
  if (st == GT_OK) st = be->iface->copy_to_host(be, ws->coef_host, ws->coef, (size_t)ws->n * sizeof(float), err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < ws->n; i++) ws->coef_host[i] = ws->coef_host[i] > 0.0f ? 1.0f / ws->coef_host[i] : 0.0f;
  st = be->iface->copy_to_device(be, ws->coef, ws->coef_host, (size_t)ws->n * sizeof(float), err);
  if (st == GT_OK) st = v->axpby(be, s->mu, s->momentum, ws->coef, s->grad, ws->n, ws->d, s->momentum, err);
  return st;
}

static gt_status mifgsm_run(void *state, gt_oracle *o, gt_attack_batch *b, gt_error *err) {
  mifgsm_state *s = state;
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(o);
  const gt_vec_iface *v = gt_oracle_vec(o);
  int eot = gt_oracle_eot(o);
  gt_status st = gt_workset_begin(ws, b, err);
  if (st == GT_OK) st = v->fill(be, s->momentum, ws->n * ws->d, 0.0f, err);
  for (int t = 0; st == GT_OK && t <= s->cfg.steps; t++) {
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
    st = accumulate(s, be, v, err);
    gt_vec_step step = {
        .norm = s->cfg.norm,
        .n = ws->n,
        .d = ws->d,
        .x = ws->x,
        .grad = s->momentum,
        .x0 = ws->x0,
        .alpha = s->alpha,
        .eps = s->eps,
        .l1_k = NULL,
        .out = ws->x,
    };
    if (st == GT_OK) st = v->ascent_step(be, &step, err);
  }
  if (st == GT_OK) st = gt_workset_end(ws, err);
  return st;
}

const gt_attack gt_attack_mifgsm = {
    .name = "mifgsm",
    .summary = "momentum iterative FGSM (Dong et al. 2018), decay 1.0",
    .norms = GT_NORM_BIT(GT_NORM_LINF) | GT_NORM_BIT(GT_NORM_L2),
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_BOUNDED,
    .targeted = 1,
    .resolve = mifgsm_resolve,
    .create = mifgsm_create,
    .run = mifgsm_run,
    .destroy = mifgsm_destroy,
};
